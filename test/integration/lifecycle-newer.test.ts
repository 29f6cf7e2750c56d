import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CREATE, lifecycleDatabase, openConsole, type Console } from './lifecycle-support'

/** The newer tenancy layout (data-model.md section 4): what works, and a clear word on what does not. */
const NEWER = readFileSync(join(resolve(__dirname, '..'), 'fixtures/app-newer.sql'), 'utf8')
const UMBRELLA = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
const HOOLI = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'

type Db = Awaited<ReturnType<typeof lifecycleDatabase>>
let db: Db
let con: Console

beforeAll(async () => {
  db = await lifecycleDatabase('lcn', { template: () => NEWER })
  con = await openConsole(db.url)
})
afterAll(async () => {
  await con?.close()
  await db?.close()
})

describe('newer layout', () => {
  it('says creation is unsupported instead of failing with SQL', async () => {
    const r = await con.call('lifecycle:create', { ...CREATE, slug: 'initech', plan: 'pro' })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('UNSUPPORTED')
      expect(r.error.message).toMatch(/030 tenancy layout/)
    }
    const caps = (await con.call('lifecycle:capabilities', {})) as { ok: true; data: { actions: Record<string, { allowed: boolean; reason: string | null }>; plans: string[] } }
    expect(caps.data.actions.create).toMatchObject({ allowed: false, reason: expect.stringMatching(/030/) })
    expect(caps.data.actions.suspend?.allowed).toBe(true)
    expect(caps.data.plans).toContain('business')
  })

  it('suspends and reactivates, auditing into tenant_audit_log with actor and old/new values', async () => {
    const s = await con.call('lifecycle:suspend', { id: UMBRELLA, reason: 'terms_violation' })
    expect(s).toMatchObject({ ok: true, data: { status: 'suspended', changed: true } })
    const a = await db.client.query(`SELECT actor_email, action, old_values, new_values FROM public.tenant_audit_log WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1`, [UMBRELLA])
    expect(a.rows[0]).toMatchObject({ actor_email: 'ops@example.com', action: 'tenant.suspend', old_values: { status: 'active' }, new_values: { status: 'suspended' } })
    const r = await con.call('lifecycle:reactivate', { id: UMBRELLA, reason: 'owner_request' })
    expect(r).toMatchObject({ ok: true, data: { status: 'active' } })
    const o = await db.client.query(`SELECT action FROM console.operator_log WHERE tenant_id = $1 ORDER BY id`, [UMBRELLA])
    expect(o.rows.map((x) => x.action)).toEqual(['tenant.suspend', 'tenant.reactivate'])
  })

  it('edits name and plan (limits keep their values for plans the console does not know); custom domains live elsewhere', async () => {
    const ed = (await con.call('lifecycle:editable', { id: HOOLI })) as { ok: true; data: { version: string; plan: string } }
    expect(ed.data.plan).toBe('starter')
    const u = await con.call('lifecycle:update', { id: HOOLI, version: ed.data.version, name: 'Hooli XYZ', plan: 'business' })
    expect(u.ok).toBe(true)
    const t = await db.client.query(`SELECT name, plan, limits FROM public.tenants WHERE id = $1`, [HOOLI])
    expect(t.rows[0]).toMatchObject({ name: 'Hooli XYZ', plan: 'business', limits: { maxUsers: 25 } })
    const ed2 = (await con.call('lifecycle:editable', { id: HOOLI })) as { ok: true; data: { version: string } }
    const d = await con.call('lifecycle:update', { id: HOOLI, version: ed2.data.version, customDomain: 'chat.hooli.example' })
    expect(d.ok || [d.error.code, d.error.message]).toEqual(['UNSUPPORTED', expect.stringMatching(/tenant_domains/)])
  })

  it('cancels and restores', async () => {
    expect(await con.call('lifecycle:cancel', { id: HOOLI })).toMatchObject({ ok: true, data: { status: 'cancelled' } })
    expect(await con.call('lifecycle:restore', { id: HOOLI })).toMatchObject({ ok: true, data: { status: 'active' } })
  })
})
