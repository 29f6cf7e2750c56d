import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppContext } from '../../src-main/context'
import { createRegistry, handlers } from '../../src-main/ipc'
import type { freshDatabase } from '../support/db'
import { TestPlatform, makeService, makeTenant, migratedDatabase } from './backup-support'
import { dropRole, loginRole, urlFor } from './lifecycle-support'

/**
 * Support staff export backups; only admins restore. Through the real handler registry
 * as a real login in the support group: the role check, and the database's own grants
 * (a tenant schema made outside the console, without the support grants, cannot be read).
 */
let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
let support: { name: string; password: string }
const platform = new TestPlatform()
let con: ReturnType<typeof makeService>
let call: (channel: string, input: unknown) => Promise<{ ok: true; data: unknown } | { ok: false; error: { code: string; message: string } }>
const ids: Record<string, string> = {}
let dir: string

beforeAll(async () => {
  db = await migratedDatabase('bkroles')
  c = db.client
  ids.granted = await makeTenant(c, 'granted')
  // What the console's tenant creation grants the support group on a new schema.
  await c.query(`GRANT USAGE ON SCHEMA tenant_granted TO nchat_console_support;
                 GRANT SELECT ON ALL TABLES IN SCHEMA tenant_granted TO nchat_console_support;
                 GRANT SELECT ON ALL SEQUENCES IN SCHEMA tenant_granted TO nchat_console_support`)
  // Made by hand after the console's migrations: no grants for the console's roles.
  ids.handmade = await makeTenant(c, 'handmade')
  support = await loginRole(c, 'nchat_console_support', 'bksupport')
  con = makeService(urlFor(db.url, support.name, support.password), platform)
  await con.ready()
  const ctx = { db: con.db, session: con.session, backups: con.svc } as unknown as AppContext
  const registry = createRegistry(ctx, handlers, () => true)
  call = (channel, input) => registry.invoke(channel as never, input as never, { senderUrl: 'test://' }) as never
  dir = mkdtempSync(join(tmpdir(), 'nchat-bk-roles-'))
})

afterAll(async () => {
  await con?.close()
  const url = db ? new URL(db.url) : null
  await db?.close()
  if (url && support) {
    url.pathname = '/postgres'
    await dropRole(url.toString(), support.name)
  }
})

async function exportVia(tenantId: string, file: string) {
  platform.nextSavePath = file
  const r = await call('backups:export', { tenantId })
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return (await con.svc.waitFor((r.data as { jobId: string }).jobId))!
}

describe('backups as the support role', () => {
  it('row-level security: a support login without BYPASSRLS is refused in words, and no file is left', async () => {
    expect(await con.session.role()).toBe('support')
    const file = join(dir, 'granted-rls.nchatbak')
    const end = await exportVia(ids.granted!, file)
    expect(end.status).toBe('failed')
    // public.tenants and the template's messages table have policies that would filter rows.
    expect(end.message).toMatch(/cannot back up tables with row-level security \(public\.tenant_settings, public\.tenants, tenant_granted\.nchat_messages\)/)
    expect(end.message).toContain(`ALTER ROLE "${support.name}" BYPASSRLS`)
    expect(existsSync(file)).toBe(false)
    expect(readdirSync(dir)).toEqual([])
    // The tool status says so before anyone clicks (the UI disables its backup buttons with it).
    const tools = await call('backups:tools', {})
    expect(tools.ok && tools.data).toMatchObject({ ok: false, message: expect.stringMatching(/BYPASSRLS/) })
  })

  it('with BYPASSRLS, support exports a verified file with every row', async () => {
    await c.query(`ALTER ROLE ${support.name} BYPASSRLS`)
    const tools = await call('backups:tools', {})
    expect(tools.ok && tools.data).toMatchObject({ ok: true, message: null })
    const file = join(dir, 'granted.nchatbak')
    const end = await exportVia(ids.granted!, file)
    expect([end.status, end.message]).toEqual(['succeeded', null])
    expect(existsSync(file)).toBe(true)
    const [rec] = await con.svc.list({ tenantId: ids.granted!, limit: 5 })
    expect(rec!.status).toBe('succeeded')
    expect(rec!.verifiedAt).not.toBeNull()
    const messages = (await c.query(`SELECT count(*)::int AS n FROM tenant_granted.nchat_messages`)).rows[0].n
    expect(rec!.rowCounts?.nchat_messages).toBe(messages)
  })

  it('a schema support may not read: refused with the grant it needs, and no file', async () => {
    const file = join(dir, 'handmade.nchatbak')
    const end = await exportVia(ids.handmade!, file)
    expect(end.status).toBe('failed')
    expect(end.message).toMatch(/cannot read tenant schema tenant_handmade/)
    expect(end.message).toMatch(/USAGE on each tenant schema and SELECT/)
    expect(existsSync(file)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.includes('handmade'))).toEqual([])
    const [rec] = await con.svc.list({ tenantId: ids.handmade!, limit: 5 })
    expect(rec!.status).toBe('failed')
  })

  it('restore is admin work: FORBIDDEN by the handler, before anything is read or changed', async () => {
    const [rec] = await con.svc.list({ tenantId: ids.granted!, limit: 5 })
    const before = (await c.query(`SELECT count(*)::int AS n FROM tenant_granted.nchat_messages`)).rows[0].n
    for (const input of [
      { backupId: rec!.id, mode: 'same' },
      { backupId: rec!.id, mode: 'copy', newSlug: 'granted-copy', newName: 'Copy' }
    ]) {
      const r = await call('backups:restore', input)
      expect(r.ok ? 'ok' : r.error.code).toBe('FORBIDDEN')
    }
    expect((await c.query(`SELECT count(*)::int AS n FROM tenant_granted.nchat_messages`)).rows[0].n).toBe(before)
    expect((await c.query(`SELECT count(*)::int AS n FROM public.tenants WHERE slug = 'granted-copy'`)).rows[0].n).toBe(0)
  })
})
