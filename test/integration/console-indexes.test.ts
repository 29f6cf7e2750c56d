import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditIndexInfo, AuditIndexResult, IndexAreaStatus, IndexChange, IndexInfo } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { buildFleet } from '../../bench/fleet'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { registryCalls } from '../support/registry-calls'

/**
 * The console's indexes on the app's tables (src-main/indexes) through the real registry:
 * every area listed, create and drop written to the operator log and visible in the
 * catalog, refused for support (role) and for an admin login that does not own the table
 * (with the reason), and the audit screen's channels still served by the same facility.
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>

describe('console indexes (030 layout)', () => {
  let db: Db
  let ctx: AppContext
  let registry: Registry
  const { call, fail } = registryCalls(() => registry)
  const extra: { ctx: AppContext; role: string }[] = []

  beforeAll(async () => {
    db = await freshDatabase('cidx')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    await buildFleet(db.client, { tenants: 500, seed: 2, months: 2 })
    ctx = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget(targetFromUrl(db.url))
    registry = createRegistry(ctx, handlers, () => true)
  })

  afterAll(async () => {
    for (const e of extra) {
      await e.ctx.db.close()
      await db.client.query(`DROP OWNED BY ${e.role}; DROP ROLE ${e.role}`)
    }
    await ctx?.db.close()
    await db?.close()
  })

  /** A login in one console role that owns none of the app's tables. */
  async function loginAs(group: 'nchat_console_support' | 'nchat_console_admin') {
    const role = `cidx_${group.slice(14)}_${process.pid}`
    await db.client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw' IN ROLE ${group}`)
    const url = new URL(db.url)
    url.username = role
    url.password = 'pw'
    const c = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
    await c.db.setTarget(targetFromUrl(url.toString()))
    extra.push({ ctx: c, role })
    return registryCalls(() => createRegistry(c, handlers, () => true))
  }

  const catalog = async (name: string) =>
    (await db.client.query<{ def: string; valid: boolean }>(`SELECT pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)`, [`public.${name}`])).rows[0] ?? null

  it('lists every area, all named nchat_console_*, none present at first; the directory is in slow mode', async () => {
    const all = await call<IndexInfo[]>('indexes:list', {})
    const areas = new Set(all.map((i) => i.area))
    expect([...areas].sort()).toEqual(['audit', 'billing', 'directory'])
    expect(all.filter((i) => i.area === 'audit').map((i) => i.name)).toEqual([
      'nchat_console_audit_logs_created_id',
      'nchat_console_audit_logs_tenant_created',
      'nchat_console_audit_logs_action_created'
    ])
    expect(all.every((i) => /^nchat_console_[a-z0-9_]+$/.test(i.name) && i.definition.startsWith('CREATE INDEX CONCURRENTLY'))).toBe(true)
    expect(all.every((i) => !i.exists && i.canCreate && i.reason === null)).toBe(true)
    expect(all.find((i) => i.name === 'nchat_console_tenants_search')!.definition).toMatch(/USING gin .*gin_trgm_ops/)
    const st = await call<IndexAreaStatus>('indexes:status', { area: 'directory' })
    expect(st.ready).toBe(false)
    expect(st.missing.length).toBe(all.filter((i) => i.area === 'directory').length)
    expect(st.hint).toMatch(/Slow mode: .*Console indexes/)
  })

  it('creates the billing failures index (partial, newest first), logs it, shows the plan; then drops it', async () => {
    const name = 'nchat_console_stripe_webhooks_failed'
    const made = await call<IndexChange>('indexes:create', { name })
    expect(made.changed).toBe(true)
    expect(made.planBefore).toMatch(/Execution Time/)
    expect(made.planAfter).toMatch(/Execution Time/)
    const def = await catalog(name)
    expect(def?.valid).toBe(true)
    expect(def?.def).toMatch(/WHERE \(\(processed IS NOT TRUE\) OR \(error IS NOT NULL\)\)/)
    expect((await call<IndexInfo[]>('indexes:list', { area: 'billing' }))[0]).toMatchObject({ name, exists: true, invalid: false })
    // Again: nothing to do, still logged.
    expect((await call<IndexChange>('indexes:create', { name })).changed).toBe(false)
    const dropped = await call<IndexChange>('indexes:drop', { name })
    expect(dropped.changed).toBe(true)
    expect(await catalog(name)).toBeNull()
    expect((await call<IndexChange>('indexes:drop', { name })).changed).toBe(false)
    const log = await db.client.query<{ action: string; params: { name: string; created?: boolean; dropped?: boolean; area: string } }>(
      `SELECT action, params FROM console.operator_log WHERE params ->> 'name' = $1 ORDER BY id`,
      [name]
    )
    expect(log.rows.map((r) => [r.action, r.params.created ?? r.params.dropped])).toEqual([
      ['indexes.create', true],
      ['indexes.create', false],
      ['indexes.drop', true],
      ['indexes.drop', false]
    ])
    expect(log.rows[0]!.params.area).toBe('billing')
  })

  it('creating every directory index puts the directory in fast mode; status follows drops at once', async () => {
    for (const i of await call<IndexInfo[]>('indexes:list', { area: 'directory' })) await call('indexes:create', { name: i.name })
    expect((await call<IndexAreaStatus>('indexes:status', { area: 'directory' })).ready).toBe(true)
    expect((await call<{ mode: string }>('tenants:list', {})).mode).toBe('fast')
    await call('indexes:drop', { name: 'nchat_console_usage_users' })
    const st = await call<IndexAreaStatus>('indexes:status', { area: 'directory' })
    expect(st).toMatchObject({ ready: false, missing: ['nchat_console_usage_users'] })
    expect((await call<{ mode: string }>('tenants:list', {})).mode).toBe('slow')
    await call('indexes:create', { name: 'nchat_console_usage_users' })
  })

  it('refuses an unknown name, and names outside the registry never reach SQL', async () => {
    expect((await fail('indexes:create', { name: 'nchat_console_nope' })).code).toBe('NOT_FOUND')
    expect((await fail('indexes:drop', { name: 'idx_tenants_slug' })).code).toBe('INVALID_INPUT')
    expect((await fail('indexes:drop', { name: 'nchat_console_x; DROP TABLE t' })).code).toBe('INVALID_INPUT')
  })

  it('support may list but not create or drop (role)', async () => {
    const support = await loginAs('nchat_console_support')
    expect((await support.call<IndexInfo[]>('indexes:list', {})).length).toBeGreaterThan(10)
    expect((await support.fail('indexes:create', { name: 'nchat_console_stripe_webhooks_failed' })).code).toBe('FORBIDDEN')
    expect((await support.fail('indexes:drop', { name: 'nchat_console_tenants_name_id' })).code).toBe('FORBIDDEN')
  })

  it('an admin login that does not own the table is told why, and refused', async () => {
    const admin = await loginAs('nchat_console_admin')
    const list = await admin.call<IndexInfo[]>('indexes:list', { area: 'billing' })
    expect(list[0]).toMatchObject({ canCreate: false })
    expect(list[0]!.reason).toMatch(/needs the owner of public\.stripe_webhooks \(postgres\)/)
    const err = await admin.fail('indexes:create', { name: 'nchat_console_stripe_webhooks_failed' })
    expect(err.code).toBe('FORBIDDEN')
    expect(err.message).toMatch(/owner of public\.stripe_webhooks/)
    expect((await admin.fail('indexes:drop', { name: 'nchat_console_tenants_name_id' })).code).toBe('FORBIDDEN')
    expect(await catalog('nchat_console_tenants_name_id')).not.toBeNull()
    // Its directory still lists tenants (fast: the indexes exist, whoever made them).
    expect((await admin.call<{ rows: unknown[] }>('tenants:list', {})).rows.length).toBe(50)
  })

  it("the audit screen's channels are the same facility's audit area", async () => {
    const list = await call<AuditIndexInfo[]>('audit:indexes', {})
    expect(list.map((i) => i.name)).toEqual((await call<IndexInfo[]>('indexes:list', { area: 'audit' })).map((i) => i.name))
    const r = await call<AuditIndexResult>('audit:createIndex', { name: 'nchat_console_audit_logs_created_id' })
    expect(r).toMatchObject({ name: 'nchat_console_audit_logs_created_id', created: true })
    expect(r.planAfter).toMatch(/Execution Time/)
    const log = await db.client.query(`SELECT action FROM console.operator_log WHERE params ->> 'name' = 'nchat_console_audit_logs_created_id'`)
    expect(log.rows).toEqual([{ action: 'audit.create_index' }])
    expect((await fail('audit:createIndex', { name: 'nchat_console_tenants_name_id' })).code).toBe('NOT_FOUND')
    // And it is removable like the others.
    expect((await call<IndexChange>('indexes:drop', { name: 'nchat_console_audit_logs_created_id' })).changed).toBe(true)
  })
})
