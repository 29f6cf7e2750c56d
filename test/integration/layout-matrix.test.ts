import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { BackupProgress, BackupRecord, LifecycleCapabilities, TenantDetail, TenantPage, VerifyResult } from '../../src-preload/contract'
import { BackupService } from '../../src-main/backup/service'
import type { AppContext } from '../../src-main/context'
import { ConnectionManager, targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers } from '../../src-main/ipc'
import { LifecycleService } from '../../src-main/lifecycle/service'
import { templateDdl } from '../../src-main/seed/template'
import { SessionService } from '../../src-main/session'
import { TenantDirectoryService } from '../../src-main/tenants'
import { freshDatabase } from '../support/db'
import { TestPlatform } from './backup-support'
import { CREATE, dropRole, loginRole, urlFor } from './lifecycle-support'

/**
 * The matrix of issue #12: list, detail, suspend, reactivate, edit, create, cancel, back up,
 * verify (quick and deep), restore as a copy and hard delete, on both layouts' fixtures, as a
 * superuser, as a member of the admin group (with BYPASSRLS) and as a member of the support
 * group, all through the real handler registry. Every cell is either done (and checked in
 * the database) or refused with a message the test asserts.
 */

const ROOT = resolve(__dirname, '../..')
type Result<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } }
type Login = 'superuser' | 'admin' | 'support'

interface Cons {
  call<T = unknown>(channel: string, input: unknown): Promise<Result<T>>
  backups: BackupService
  platform: TestPlatform
  close(): Promise<void>
}

async function consoleFor(url: string): Promise<Cons> {
  const db = new ConnectionManager()
  await db.setTarget(targetFromUrl(url, { pgBinDir: inject('pgBinDir'), operator: { name: 'Matrix', email: 'matrix@example.com' } }))
  const session = new SessionService(db)
  const platform = new TestPlatform()
  const backups = new BackupService(db, session, platform, { consoleVersion: 'test', backupsDir: mkdtempSync(join(tmpdir(), 'nchat-matrix-')), notifyAfterMs: 0 })
  const ctx = { db, session, lifecycle: new LifecycleService(db, session, { baseDomain: 'nchat.app' }), tenants: new TenantDirectoryService(db, session), backups } as unknown as AppContext
  const registry = createRegistry(ctx, handlers, () => true)
  return { call: (ch, input) => registry.invoke(ch, input, { senderUrl: 'test://' }) as never, backups, platform, close: () => db.close() }
}

const LAYOUTS = [
  ['030', (s: string) => templateDdl(s)],
  ['newer', () => readFileSync(join(ROOT, 'test/fixtures/app-newer.sql'), 'utf8')]
] as const

describe.each(LAYOUTS)('layout %s', (layout, ddl) => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  const roles: { name: string; password: string }[] = []
  const cons = {} as Record<Login, Cons>
  const dir = mkdtempSync(join(tmpdir(), 'nchat-matrix-files-'))

  beforeAll(async () => {
    db = await freshDatabase(`mx${layout}`)
    await db.client.query(ddl('nchat'))
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    const admin = await loginRole(db.client, 'nchat_console_admin', 'mxadm')
    await db.client.query(`ALTER ROLE ${admin.name} BYPASSRLS`)
    const support = await loginRole(db.client, 'nchat_console_support', 'mxsup')
    roles.push(admin, support)
    cons.superuser = await consoleFor(db.url)
    cons.admin = await consoleFor(urlFor(db.url, admin.name, admin.password))
    cons.support = await consoleFor(urlFor(db.url, support.name, support.password))
  })
  afterAll(async () => {
    for (const c of Object.values(cons)) await c.close()
    const u = db ? new URL(db.url) : null
    await db?.close()
    if (u) {
      u.pathname = '/postgres'
      for (const r of roles) await dropRole(u.toString(), r.name)
    }
  })

  async function ok<T>(r: Promise<Result<T>>): Promise<T> {
    const x = await r
    if (!x.ok) throw new Error(`${x.error.code}: ${x.error.message}`)
    return x.data
  }
  async function refused(r: Promise<Result<unknown>>, code: string, message: RegExp): Promise<void> {
    const x = await r
    expect(x.ok ? 'done' : [x.error.code, x.error.message]).toEqual([code, expect.stringMatching(message)])
  }
  async function exportNow(c: Cons, tenantId: string, name: string): Promise<BackupProgress> {
    c.platform.nextSavePath = join(dir, `${name}.nchatbak`)
    const started = await ok(c.call<{ jobId: string }>('backups:export', { tenantId }))
    return (await c.backups.waitFor(started.jobId))!
  }
  async function latestBackup(tenantId: string): Promise<BackupRecord> {
    const list = await ok(cons.superuser.call<BackupRecord[]>('backups:list', { tenantId, limit: 5 }))
    return list.find((b) => b.status === 'succeeded')!
  }
  const status = async (id: string) => (await db.client.query(`SELECT status FROM public.tenants WHERE id = $1`, [id])).rows[0]?.status

  it.each(['superuser', 'admin', 'support'] as const)('as %s', async (login) => {
    const c = cons[login]
    const slug = `${login}-subj`
    const subject = (await ok(cons.superuser.call<{ tenantId: string }>('lifecycle:create', { ...CREATE, slug }))).tenantId
    const schema = `tenant_${login}_subj`

    // list and detail
    const page = await ok(c.call<TenantPage>('tenants:list', { search: slug }))
    expect(page.rows.map((r) => r.slug)).toEqual([slug])
    expect((await ok(c.call<TenantDetail>('tenants:get', { id: subject }))).schemaExists).toBe(true)

    // suspend and reactivate: support work
    await ok(c.call('lifecycle:suspend', { id: subject, reason: 'payment_failure' }))
    expect(await status(subject)).toBe('suspended')
    await ok(c.call('lifecycle:reactivate', { id: subject, reason: 'owner_request' }))
    expect(await status(subject)).toBe('active')

    const caps = await ok(c.call<LifecycleCapabilities>('lifecycle:capabilities', {}))
    const admin = login !== 'support'
    expect(caps.actions.create.allowed).toBe(admin)
    const ed = await ok(c.call<{ version: string }>('lifecycle:editable', { id: subject }))
    if (admin) {
      // edit and create
      await ok(c.call('lifecycle:update', { id: subject, version: ed.version, name: 'Renamed' }))
      expect((await db.client.query(`SELECT name FROM public.tenants WHERE id = $1`, [subject])).rows[0].name).toBe('Renamed')
      const made = await ok(c.call<{ schemaName: string }>('lifecycle:create', { ...CREATE, slug: `${login}-new` }))
      expect((await db.client.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [made.schemaName])).rows[0].n).toBe(1)
    } else {
      await refused(c.call('lifecycle:update', { id: subject, version: ed.version, name: 'Renamed' }), 'FORBIDDEN', /needs the admin console role.*GRANT nchat_console_admin/)
      await refused(c.call('lifecycle:create', { ...CREATE, slug: `${login}-new` }), 'FORBIDDEN', /needs the admin console role/)
    }

    // back up
    const end = await exportNow(c, subject, `${login}-${layout}`)
    if (admin) expect([end.status, end.message]).toEqual(['succeeded', null])
    else {
      // Support without BYPASSRLS: refused in words, naming the fix.
      expect(end.status).toBe('failed')
      expect(end.message).toMatch(/row-level security.*BYPASSRLS/)
      expect((await exportNow(cons.superuser, subject, `for-${login}-${layout}`)).status).toBe('succeeded')
    }
    const rec = await latestBackup(subject)
    // A tenant whose schema exists keeps the normal backup: it holds its schema.
    expect(rec.schemaMissing).toBe(false)
    expect(Object.keys(rec.rowCounts!).some((k) => !k.startsWith('public.'))).toBe(true)

    // verify, quick and deep
    expect(await ok(c.call<VerifyResult>('backups:verify', { backupId: rec.id, deep: false }))).toMatchObject({ ok: true, level: 'quick' })
    const deep = await c.call<VerifyResult>('backups:verify', { backupId: rec.id, deep: true })
    if (admin) expect(deep).toMatchObject({ ok: true, data: { ok: true, level: 'deep' } })
    else await refused(Promise.resolve(deep), 'FORBIDDEN', /only its owner or a member of nchat_console_admin may move aside.*GRANT nchat_console_admin/)

    // restore as a copy
    const copy = c.call<{ tenantSlug: string }>('backups:restore', { backupId: rec.id, mode: 'copy', newSlug: `${login}-copy`, newName: 'Copy' })
    if (admin) {
      expect((await ok(copy)).tenantSlug).toBe(`${login}-copy`)
      expect((await db.client.query(`SELECT count(*)::int AS n FROM public.tenants WHERE slug = $1`, [`${login}-copy`])).rows[0].n).toBe(1)
    } else await refused(copy, 'FORBIDDEN', /needs the admin console role/)

    // cancel and hard delete
    if (admin) {
      await ok(c.call('lifecycle:cancel', { id: subject }))
      expect(await status(subject)).toBe('cancelled')
      const del = await ok(c.call<{ droppedSchema: string | null }>('lifecycle:hardDelete', { id: subject, confirmSlug: slug, expectedSchema: schema, overrideReason: 'matrix test' }))
      expect(del).toBeTruthy()
      expect(await status(subject)).toBeUndefined()
      expect((await db.client.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [schema])).rows[0].n).toBe(0)
    } else {
      await refused(c.call('lifecycle:cancel', { id: subject }), 'FORBIDDEN', /needs the admin console role/)
      await refused(c.call('lifecycle:hardDelete', { id: subject, confirmSlug: slug, expectedSchema: schema }), 'FORBIDDEN', /needs the admin console role/)
      expect(await status(subject)).toBe('active')
    }
  })

  // Issue #12 item 9: a cancelled tenant whose schema is missing. Its backup holds its
  // public rows only (the manifest says so), verifies quick and deep, cannot become a copy,
  // and lets the hard delete go ahead; a restore into the same tenant brings the rows back.
  it.each(['superuser', 'admin', 'support'] as const)('as %s: a cancelled tenant whose schema is missing', async (login) => {
    const c = cons[login]
    const slug = `${login}-gone`
    const schema = `tenant_${login}_gone`
    const id = (await ok(cons.superuser.call<{ tenantId: string }>('lifecycle:create', { ...CREATE, slug }))).tenantId
    await ok(cons.superuser.call('lifecycle:cancel', { id }))
    await db.client.query(`DROP SCHEMA ${schema} CASCADE`)
    expect((await ok(c.call<TenantDetail>('tenants:get', { id }))).schemaExists).toBe(false)

    // back up: the public rows, flagged. Support: the same rule as any backup, so refused
    // where the public tables have row security (030) and done where they have none (newer).
    const admin = login !== 'support'
    const end = await exportNow(c, id, `${login}-gone-${layout}`)
    const publicRls = (await db.client.query(`SELECT relrowsecurity AS r FROM pg_class WHERE oid = 'public.tenants'::regclass`)).rows[0].r as boolean
    expect(publicRls).toBe(layout === '030')
    if (admin || !publicRls) expect([end.status, end.message]).toEqual(['succeeded', null])
    else {
      expect(end.status).toBe('failed')
      expect(end.message).toMatch(/row-level security.*BYPASSRLS/)
      expect((await exportNow(cons.superuser, id, `gone-for-${login}-${layout}`)).status).toBe('succeeded')
    }
    const rec = await latestBackup(id)
    expect(rec).toMatchObject({ schemaMissing: true, verifyError: null, tenantSchema: schema })
    expect(rec.verifiedAt).not.toBeNull()
    expect(rec.rowCounts).toMatchObject({ 'public.tenants': 1 })
    expect(Object.keys(rec.rowCounts!).filter((k) => !k.startsWith('public.'))).toEqual([])

    // verify, quick and deep (deep restores the rows into scratch tables and compares them)
    const quick = await ok(c.call<VerifyResult>('backups:verify', { backupId: rec.id, deep: false }))
    expect(quick).toMatchObject({ ok: true, level: 'quick', message: expect.stringMatching(new RegExp(`holds no schema: the tenant's schema ${schema} was missing`)) })
    const deep = await ok(c.call<VerifyResult>('backups:verify', { backupId: rec.id, deep: true }))
    expect(deep).toMatchObject({ ok: true, level: 'deep', message: expect.stringMatching(/holds no schema.*restored into scratch tables and match/) })
    expect(deep.tables).toContainEqual({ table: 'public.tenants', expected: 1, found: 1 })
    expect((await db.client.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [schema])).rows[0].n).toBe(0)

    // restore as a copy: refused, saying there is no schema to restore
    const copy = c.call('backups:restore', { backupId: rec.id, mode: 'copy', newSlug: `${login}-gone-copy`, newName: 'Copy' })
    if (admin) await refused(copy, 'UNSUPPORTED', /holds no schema \(the tenant's schema .* was already missing when it was backed up\).*A copy would be a tenant whose schema does not exist/)
    else await refused(copy, 'FORBIDDEN', /needs the admin console role/)
    expect((await db.client.query(`SELECT count(*)::int AS n FROM public.tenants WHERE slug = $1`, [`${login}-gone-copy`])).rows[0].n).toBe(0)

    // hard delete: allowed on that backup (admins); support refused
    const del = () => c.call('lifecycle:hardDelete', { id, confirmSlug: slug, expectedSchema: schema, overrideReason: 'matrix test' })
    if (!admin) {
      await refused(del(), 'FORBIDDEN', /needs the admin console role/)
      expect(await status(id)).toBe('cancelled')
      return
    }
    const preview = await ok(c.call<{ canDelete: boolean; backup: { schemaMissing: boolean } | null }>('lifecycle:deletePreview', { id }))
    expect(preview).toMatchObject({ canDelete: true, backup: { schemaMissing: true } })
    await ok(del())
    expect(await status(id)).toBeUndefined()

    // restore into the same tenant: its rows come back, the message says there is no schema
    const back = await ok(c.call<{ schema: string; tables: number; warnings: string[] }>('backups:restore', { backupId: rec.id, mode: 'same' }))
    expect(back.tables).toBe(0)
    expect(back.warnings).toContainEqual(expect.stringMatching(/holds no schema.*only its public rows were restored, and the tenant still has no schema/))
    expect(await status(id)).toBe('cancelled')
    expect((await db.client.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [schema])).rows[0].n).toBe(0)
  })

  it('a backup taken while the schema was missing no longer counts once a schema of that name exists', async () => {
    const slug = 'back-again'
    const schema = 'tenant_back_again'
    const id = (await ok(cons.superuser.call<{ tenantId: string }>('lifecycle:create', { ...CREATE, slug }))).tenantId
    await ok(cons.superuser.call('lifecycle:cancel', { id }))
    await db.client.query(`ALTER SCHEMA ${schema} RENAME TO back_again_aside`)
    expect((await exportNow(cons.superuser, id, `back-again-${layout}`)).status).toBe('succeeded')
    expect((await latestBackup(id)).schemaMissing).toBe(true)
    await db.client.query(`ALTER SCHEMA back_again_aside RENAME TO ${schema}`)
    // the preview says why, and the database function refuses on its own
    const preview = await ok(cons.superuser.call<{ canDelete: boolean; blockers: string[] }>('lifecycle:deletePreview', { id }))
    expect(preview.canDelete).toBe(false)
    expect(preview.blockers).toContainEqual(expect.stringMatching(/holds no schema .* but schema tenant_back_again exists now\. Back the tenant up again/))
    await refused(
      cons.superuser.call('lifecycle:hardDelete', { id, confirmSlug: slug, expectedSchema: schema, overrideReason: 'matrix test' }),
      'CONFLICT',
      /no verified backup of tenant back-again younger than 24 hours/
    )
    expect((await db.client.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [schema])).rows[0].n).toBe(1)
    // a restore of rows alone is refused while the schema exists
    const rec = (await latestBackup(id))
    await refused(cons.superuser.call('backups:restore', { backupId: rec.id, mode: 'same' }), 'CONFLICT', /holds no schema .* but schema tenant_back_again exists now/)
  })
})
