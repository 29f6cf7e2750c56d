import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PLANS } from '../../src-main/domain/plans'
import { freePort } from '../support/pg-server'
import { startRedis } from '../support/redis-server'
import { CREATE, fakeVerifiedBackup, lifecycleDatabase, openConsole, type Console } from './lifecycle-support'

type Db = Awaited<ReturnType<typeof lifecycleDatabase>>

let db: Db
let con: Console

beforeAll(async () => {
  db = await lifecycleDatabase('lc')
  con = await openConsole(db.url)
})
afterAll(async () => {
  await con?.close()
  await db?.close()
})

async function create(slug: string, extra: Record<string, unknown> = {}) {
  const r = await con.call<{ tenantId: string; schemaName: string; status: string }>('lifecycle:create', { ...CREATE, slug, ...extra })
  if (!r.ok) throw new Error(`create ${slug} failed: ${r.error.code} ${r.error.message}`)
  return r.data
}

async function row(id: string) {
  const r = await db.client.query('SELECT * FROM public.tenants WHERE id = $1', [id])
  return r.rows[0]
}

async function audit(id: string) {
  return (await db.client.query('SELECT action, resource, resource_id, details FROM public.tenant_audit_logs WHERE tenant_id = $1 ORDER BY created_at, action', [id])).rows
}

async function oplog(id: string) {
  return (await db.client.query('SELECT * FROM console.operator_log WHERE tenant_id = $1 ORDER BY id', [id])).rows
}

describe('create', () => {
  it('creates row, settings, schema and owner in one go, with plan limits and an audit trail', async () => {
    const out = await create('acme')
    expect(out.schemaName).toBe('tenant_acme')
    const t = await row(out.tenantId)
    expect(t).toMatchObject({ slug: 'acme', status: 'active', billing_plan: 'pro', billing_interval: 'monthly', schema_name: 'tenant_acme', owner_email: 'john@acme.test' })
    expect(t.limits).toEqual(PLANS.pro.limits)
    expect(t.features).toEqual(PLANS.pro.features)
    expect((await db.client.query('SELECT count(*)::int AS n FROM public.tenant_settings WHERE tenant_id = $1', [out.tenantId])).rows[0].n).toBe(1)
    const users = await db.client.query('SELECT email, display_name, role FROM tenant_acme.nchat_users')
    expect(users.rows).toEqual([{ email: 'john@acme.test', display_name: 'John Doe', role: 'owner' }])
    const a = await audit(out.tenantId)
    expect(a).toHaveLength(1)
    expect(a[0]).toMatchObject({ action: 'tenant.create', resource: 'tenant', resource_id: out.tenantId })
    expect(a[0].details.actor).toMatchObject({ name: 'Test Operator', email: 'ops@example.com', dbRole: 'postgres' })
    const o = await oplog(out.tenantId)
    expect(o[0]).toMatchObject({ action: 'tenant.create', operator_email: 'ops@example.com', tenant_slug: 'acme', outcome: 'ok' })
    // Support can read the new schema (backups).
    const g = await db.client.query(`SELECT has_schema_privilege('nchat_console_support', 'tenant_acme', 'USAGE') AS u,
                                            has_table_privilege('nchat_console_support', 'tenant_acme.nchat_messages', 'SELECT') AS s`)
    expect(g.rows[0]).toEqual({ u: true, s: true })
  })

  it('starts a 14-day trial when asked', async () => {
    const out = await create('trial-co', { trial: true, plan: 'free' })
    const t = await row(out.tenantId)
    expect(t.status).toBe('trial')
    const days = (new Date(t.trial_ends_at).getTime() - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(13.9)
    expect(days).toBeLessThan(14.1)
  })

  it.each([
    ['a"; drop schema public cascade; --', 'INVALID_INPUT'],
    ['Acme', 'INVALID_INPUT'],
    ['аcme', 'INVALID_INPUT'], // Cyrillic а
    ['acme\u200b', 'INVALID_INPUT'], // zero-width space
    ['x'.repeat(57), 'INVALID_INPUT'], // tenant_ + 57 = 64 bytes
    ['admin', 'INVALID_INPUT'],
    ['public', 'INVALID_INPUT'],
    ['pg-catalog', 'INVALID_INPUT'],
    ['-acme', 'INVALID_INPUT'],
    ['ac--me', 'INVALID_INPUT'],
    ['ab', 'INVALID_INPUT']
  ])('refuses the slug %j', async (slug, code) => {
    const before = (await db.client.query('SELECT count(*)::int AS n FROM pg_namespace')).rows[0].n
    const r = await con.call('lifecycle:create', { ...CREATE, slug })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe(code)
    expect((await db.client.query('SELECT count(*)::int AS n FROM pg_namespace')).rows[0].n).toBe(before)
    expect((await db.client.query(`SELECT to_regnamespace('public') IS NOT NULL AS ok`)).rows[0].ok).toBe(true)
  })

  it('accepts a 56-character slug (63-byte schema name)', async () => {
    const slug = 'a' + 'b'.repeat(55)
    const out = await create(slug)
    expect(Buffer.byteLength(out.schemaName)).toBe(63)
  })

  it('refuses a taken slug and an orphan schema with CONFLICT', async () => {
    const r = await con.call('lifecycle:create', { ...CREATE, slug: 'acme' })
    expect(r.ok || r.error.code).toBe('CONFLICT')
    await db.client.query('CREATE SCHEMA tenant_orphan')
    const r2 = await con.call('lifecycle:create', { ...CREATE, slug: 'orphan' })
    expect(r2.ok || r2.error.code).toBe('CONFLICT')
    expect((await db.client.query(`SELECT count(*)::int AS n FROM public.tenants WHERE slug = 'orphan'`)).rows[0].n).toBe(0)
  })

  it('leaves no row and no schema when a late step fails', async () => {
    await db.client.query(`CREATE FUNCTION public.lc_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$;
                           CREATE TRIGGER lc_fail BEFORE INSERT ON public.tenant_settings FOR EACH ROW EXECUTE FUNCTION public.lc_fail()`)
    try {
      const r = await con.call('lifecycle:create', { ...CREATE, slug: 'doomed' })
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.message).not.toMatch(/boom|INSERT|SELECT/)
    } finally {
      await db.client.query('DROP TRIGGER lc_fail ON public.tenant_settings; DROP FUNCTION public.lc_fail()')
    }
    expect((await db.client.query(`SELECT count(*)::int AS n FROM public.tenants WHERE slug = 'doomed'`)).rows[0].n).toBe(0)
    expect((await db.client.query(`SELECT to_regnamespace('tenant_doomed') AS n`)).rows[0].n).toBeNull()
    expect((await db.client.query(`SELECT count(*)::int AS n FROM console.operator_log WHERE tenant_slug = 'doomed'`)).rows[0].n).toBe(0)
  })

  it('fails creation when the parity check finds a difference', async () => {
    // A template change the cloner cannot reproduce faithfully must stop creation.
    await db.client.query(`CREATE TABLE nchat.lc_parent (id int PRIMARY KEY); CREATE TABLE nchat.lc_child () INHERITS (nchat.lc_parent)`)
    try {
      const r = await con.call('lifecycle:create', { ...CREATE, slug: 'inherits' })
      expect(r.ok || r.error.code).toBe('UNSUPPORTED')
    } finally {
      await db.client.query('DROP TABLE nchat.lc_child, nchat.lc_parent')
    }
    expect((await db.client.query(`SELECT to_regnamespace('tenant_inherits') AS n`)).rows[0].n).toBeNull()
  })
})

describe('edit', () => {
  it('updates name, branding, domain, plan and overrides; limits follow the plan unless overridden', async () => {
    const { tenantId } = await create('edit-me', { plan: 'free' })
    let ed = (await con.call<{ version: string }>('lifecycle:editable', { id: tenantId })) as { ok: true; data: { version: string } }
    const r = await con.call('lifecycle:update', {
      id: tenantId,
      version: ed.data.version,
      name: 'Edited Inc',
      branding: { appName: 'Edited Chat', primaryColor: '#ff5733', secondaryColor: null, logoUrl: 'https://cdn.example.com/logo.png', faviconUrl: null },
      customDomain: 'chat.edited.com',
      plan: 'pro',
      limitOverrides: { maxUsers: 250 },
      featureOverrides: { liveStreaming: true }
    })
    expect(r.ok).toBe(true)
    const t = await row(tenantId)
    expect(t.name).toBe('Edited Inc')
    expect(t.branding).toMatchObject({ appName: 'Edited Chat', primaryColor: '#ff5733', logoUrl: 'https://cdn.example.com/logo.png' })
    expect(t.custom_domain).toBe('chat.edited.com')
    expect(t.billing_plan).toBe('pro')
    expect(t.limits).toEqual({ ...PLANS.pro.limits, maxUsers: 250 })
    expect(t.features).toEqual({ ...PLANS.pro.features, liveStreaming: true })
    const a = (await audit(tenantId)).find((x) => x.action === 'tenant.update')
    expect(a.details.before).toMatchObject({ name: 'Acme Corporation', plan: 'free' })
    expect(a.details.after).toMatchObject({ name: 'Edited Inc', plan: 'pro', customDomain: 'chat.edited.com' })

    // Plan change keeps the overrides.
    ed = (await con.call('lifecycle:editable', { id: tenantId })) as never
    const r2 = await con.call('lifecycle:update', { id: tenantId, version: ed.data.version, plan: 'enterprise' })
    expect(r2.ok).toBe(true)
    expect((await row(tenantId)).limits).toEqual({ ...PLANS.enterprise.limits, maxUsers: 250 })
  })

  it('refuses a stale edit with CONFLICT and the current values', async () => {
    const { tenantId } = await create('stale-co')
    const ed = (await con.call('lifecycle:editable', { id: tenantId })) as { ok: true; data: { version: string } }
    const first = await con.call('lifecycle:update', { id: tenantId, version: ed.data.version, name: 'First' })
    expect(first.ok).toBe(true)
    const second = await con.call('lifecycle:update', { id: tenantId, version: ed.data.version, name: 'Second' })
    expect(second.ok).toBe(false)
    if (!second.ok) {
      expect(second.error.code).toBe('CONFLICT')
      expect((second.error.details as { current: { name: string } }).current.name).toBe('First')
    }
    expect((await row(tenantId)).name).toBe('First')
  })

  it('validates custom domains', async () => {
    const { tenantId } = await create('domain-co')
    const v = async () => ((await con.call('lifecycle:editable', { id: tenantId })) as { ok: true; data: { version: string } }).data.version
    for (const [d, code] of [
      ['acme.nchat.app', 'INVALID_INPUT'],
      ['nchat.app', 'INVALID_INPUT'],
      ['localhost', 'INVALID_INPUT'],
      ['bad_host.com', 'INVALID_INPUT'],
      ['chat.edited.com', 'CONFLICT']
    ] as const) {
      const r = await con.call('lifecycle:update', { id: tenantId, version: await v(), customDomain: d })
      expect([d, r.ok ? 'ok' : r.error.code]).toEqual([d, code])
    }
    const ok = await con.call('lifecycle:update', { id: tenantId, version: await v(), customDomain: 'Team.Domain-Co.com' })
    expect(ok.ok).toBe(true)
    expect((await row(tenantId)).custom_domain).toBe('team.domain-co.com')
  })
})

describe('suspend, reactivate, cancel, restore', () => {
  it('suspends with a reason, is a no-op when already suspended, and reactivates as the guide does', async () => {
    const { tenantId } = await create('susp-co')
    const s = await con.call<{ changed: boolean; status: string }>('lifecycle:suspend', { id: tenantId, reason: 'payment_failure' })
    expect(s).toMatchObject({ ok: true, data: { changed: true, status: 'suspended' } })
    let t = await row(tenantId)
    expect(t.suspended_at).not.toBeNull()
    expect(t.metadata.consoleSuspension).toMatchObject({ reason: 'payment_failure', previousStatus: 'active' })
    const again = await con.call('lifecycle:suspend', { id: tenantId, reason: 'payment_failure' })
    expect(again).toMatchObject({ ok: true, data: { changed: false, status: 'suspended' } })
    const r = await con.call('lifecycle:reactivate', { id: tenantId, reason: 'owner_request' })
    expect(r).toMatchObject({ ok: true, data: { changed: true, status: 'active' } })
    t = await row(tenantId)
    expect(t.suspended_at).toBeNull()
    const a = await audit(tenantId)
    const sus = a.find((x) => x.action === 'tenant.suspend')
    expect(sus.details).toMatchObject({ reason: 'payment_failure', before: { status: 'active' }, after: { status: 'suspended' } })
    expect(a.filter((x) => x.action === 'tenant.suspend')).toHaveLength(1) // the no-op wrote nothing
    expect((await oplog(tenantId)).map((o) => o.action)).toEqual(['tenant.create', 'tenant.suspend', 'tenant.reactivate'])
  })

  it('needs a note for reason "other"', async () => {
    const { tenantId } = await create('other-co')
    const r = await con.call('lifecycle:suspend', { id: tenantId, reason: 'other' })
    expect(r.ok || r.error.code).toBe('INVALID_INPUT')
    const ok = await con.call('lifecycle:suspend', { id: tenantId, reason: 'other', note: 'chargeback investigation' })
    expect(ok.ok).toBe(true)
  })

  it('cancels (Stripe cancellation pending) and restores within the grace period', async () => {
    const { tenantId } = await create('cancel-co')
    await db.client.query(`UPDATE public.tenants SET stripe_subscription_id = 'sub_123' WHERE id = $1`, [tenantId])
    const c = await con.call('lifecycle:cancel', { id: tenantId, note: 'owner asked' })
    expect(c).toMatchObject({ ok: true, data: { status: 'cancelled', changed: true } })
    let t = await row(tenantId)
    expect(t.cancelled_at).not.toBeNull()
    expect(t.metadata.consoleCancellation).toMatchObject({ stripe: 'pending', subscriptionId: 'sub_123' })
    // A cancelled tenant cannot be suspended or reactivated: CONFLICT with the current state.
    const s = await con.call('lifecycle:suspend', { id: tenantId, reason: 'payment_failure' })
    expect(s.ok || [s.error.code, (s.error.details as { current: { status: string } }).current.status]).toEqual(['CONFLICT', 'cancelled'])
    const r = await con.call('lifecycle:restore', { id: tenantId })
    expect(r).toMatchObject({ ok: true, data: { status: 'active', changed: true } })
    t = await row(tenantId)
    expect(t.cancelled_at).toBeNull()
    expect(t.metadata.consoleCancellation).toBeUndefined()
  })

  it('refuses to restore after the grace period', async () => {
    const { tenantId } = await create('late-co')
    await con.call('lifecycle:cancel', { id: tenantId })
    await db.client.query(`UPDATE public.tenants SET cancelled_at = now() - interval '31 days' WHERE id = $1`, [tenantId])
    const r = await con.call('lifecycle:restore', { id: tenantId })
    expect(r.ok || r.error.code).toBe('CONFLICT')
  })

  it('refuses a transition based on a stale status', async () => {
    const { tenantId } = await create('expect-co')
    await con.call('lifecycle:suspend', { id: tenantId, reason: 'owner_request' })
    const r = await con.call('lifecycle:cancel', { id: tenantId, expectedStatus: 'active' })
    expect(r.ok || r.error.code).toBe('CONFLICT')
    expect((await row(tenantId)).status).toBe('suspended')
  })
})

describe('bulk', () => {
  it('suspends many with one reason and reports each tenant, failures included', async () => {
    const a = await create('bulk-a')
    const b = await create('bulk-b')
    const c = await create('bulk-c')
    await con.call('lifecycle:cancel', { id: c.tenantId })
    await con.call('lifecycle:suspend', { id: b.tenantId, reason: 'owner_request' })
    const missing = '00000000-0000-4000-8000-000000000000'
    const r = await con.call<{ changed: number; unchanged: number; failed: number; results: { id: string; outcome: string; code: string | null }[] }>(
      'lifecycle:bulk',
      { ids: [a.tenantId, b.tenantId, c.tenantId, missing], action: 'suspend', reason: 'security_incident' }
    )
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.data).toMatchObject({ changed: 1, unchanged: 1, failed: 2 })
    expect(r.data.results.map((x) => [x.outcome, x.code])).toEqual([
      ['changed', null],
      ['unchanged', null],
      ['failed', 'CONFLICT'],
      ['failed', 'NOT_FOUND']
    ])
    const back = await con.call<{ changed: number }>('lifecycle:bulk', { ids: [a.tenantId, b.tenantId], action: 'reactivate', reason: 'owner_request' })
    expect(back).toMatchObject({ ok: true, data: { changed: 2 } })
  })
})

describe('hard delete', () => {
  it('refuses until cancelled, past grace, backed up and confirmed; then drops everything but the operator log', async () => {
    const { tenantId } = await create('gone-co')
    await db.client.query(`INSERT INTO tenant_gone_co.nchat_channels (name) VALUES ('general')`)
    const del = (extra: Record<string, unknown> = {}) =>
      con.call('lifecycle:hardDelete', { id: tenantId, confirmSlug: 'gone-co', expectedSchema: 'tenant_gone_co', ...extra })
    const code = async (extra: Record<string, unknown> = {}) => {
      const r = await del(extra)
      return r.ok ? 'ok' : r.error.code
    }
    expect(await code()).toBe('CONFLICT') // not cancelled
    await con.call('lifecycle:cancel', { id: tenantId })
    expect(await code()).toBe('CONFLICT') // inside grace period
    let p = (await con.call('lifecycle:deletePreview', { id: tenantId })) as { ok: true; data: { insideGrace: boolean; blockers: string[]; tables: { name: string; rows: number }[]; totalRows: number } }
    expect(p.data.insideGrace).toBe(true)
    expect(p.data.blockers.join(' ')).toMatch(/backup/)
    expect(p.data.tables.find((t) => t.name === 'nchat_channels')?.rows).toBe(1)
    expect(p.data.totalRows).toBe(2) // owner + channel
    await db.client.query(`UPDATE public.tenants SET cancelled_at = now() - interval '31 days' WHERE id = $1`, [tenantId])
    expect(await code()).toBe('CONFLICT') // no verified backup
    await fakeVerifiedBackup(db.client, tenantId, 30) // too old
    expect(await code()).toBe('CONFLICT')
    await fakeVerifiedBackup(db.client, tenantId, 1)
    p = (await con.call('lifecycle:deletePreview', { id: tenantId })) as never
    expect(p.data.blockers).toEqual([])
    expect(await code({ confirmSlug: 'gone_co' })).toBe('INVALID_INPUT') // wrong slug typed
    expect(await code({ expectedSchema: 'tenant_other' })).toBe('CONFLICT') // row/schema mismatch
    const ok = await del()
    expect(ok).toMatchObject({ ok: true, data: { slug: 'gone-co', schemaName: 'tenant_gone_co' } })
    expect((await db.client.query(`SELECT to_regnamespace('tenant_gone_co') AS n`)).rows[0].n).toBeNull()
    expect(await row(tenantId)).toBeUndefined()
    expect(await audit(tenantId)).toEqual([]) // cascaded away with the tenant
    const log = await oplog(tenantId)
    const last = log[log.length - 1]
    expect(last).toMatchObject({ action: 'tenant.hard_delete', outcome: 'ok', tenant_slug: 'gone-co', operator_email: 'ops@example.com' })
    expect(last.params.tables).toContain('nchat_messages')
    expect(log.filter((l) => l.outcome === 'refused').length).toBeGreaterThanOrEqual(5)
  })

  it('allows an admin override of the grace period with a reason', async () => {
    const { tenantId } = await create('early-co')
    await con.call('lifecycle:cancel', { id: tenantId })
    await fakeVerifiedBackup(db.client, tenantId)
    const r = await con.call('lifecycle:hardDelete', { id: tenantId, confirmSlug: 'early-co', expectedSchema: 'tenant_early_co', overrideReason: 'GDPR erasure request #42' })
    expect(r.ok).toBe(true)
    const log = await oplog(tenantId)
    expect(log[log.length - 1].params.overrideReason).toBe('GDPR erasure request #42')
  })

  it.each([
    ['nchat', 'FORBIDDEN'],
    ['public', 'FORBIDDEN'],
    ['pg_catalog', 'FORBIDDEN'],
    ['console', 'FORBIDDEN'],
    ['tenant_acme', 'CONFLICT'] // another tenant's schema: does not match this row
  ])('the database refuses to drop %s through a tampered row', async (schema, code) => {
    const { tenantId } = await create(`tamper-${schema.replace(/_/g, '-')}`)
    await con.call('lifecycle:cancel', { id: tenantId })
    await db.client.query(`UPDATE public.tenants SET cancelled_at = now() - interval '40 days' WHERE id = $1`, [tenantId])
    await fakeVerifiedBackup(db.client, tenantId)
    // Point the row at someone else's schema, bypassing the console (schema_name is unique).
    const victim = await db.client.query(`SELECT id FROM public.tenants WHERE schema_name = $1`, [schema])
    if (victim.rows[0]) await db.client.query(`UPDATE public.tenants SET schema_name = 'tenant_parked' WHERE id = $1`, [victim.rows[0].id])
    await db.client.query(`UPDATE public.tenants SET schema_name = $2 WHERE id = $1`, [tenantId, schema])
    await db.client.query(`UPDATE console.backup_catalog SET tenant_schema = $2 WHERE tenant_id = $1`, [tenantId, schema])
    try {
      const r = await con.call('lifecycle:hardDelete', { id: tenantId, confirmSlug: `tamper-${schema.replace(/_/g, '-')}`, expectedSchema: schema })
      expect(r.ok || r.error.code).toBe(code)
      expect((await db.client.query(`SELECT to_regnamespace($1) IS NOT NULL AS ok`, [schema])).rows[0].ok).toBe(true)
      // Called directly, as the guide does, the function refuses too.
      await expect(db.client.query('SELECT public.hard_delete_tenant($1)', [tenantId])).rejects.toThrow(/protected|does not match/)
    } finally {
      await db.client.query(`UPDATE public.tenants SET schema_name = 'tenant_' || replace(slug, '-', '_') WHERE id = $1`, [tenantId])
      if (victim.rows[0]) await db.client.query(`UPDATE public.tenants SET schema_name = $2 WHERE id = $1`, [victim.rows[0].id, schema])
    }
  })
})

describe('Redis cache eviction (real redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>> | null = null
  let port = 0
  beforeAll(async () => {
    redis = await startRedis()
    port = redis.port
  })
  afterAll(() => redis?.stop())

  it('evicts tenant:<slug> and the custom-domain key after commit', async () => {
    const { tenantId } = await create('cached-co')
    const ed = (await con.call('lifecycle:editable', { id: tenantId })) as { ok: true; data: { version: string } }
    await con.call('lifecycle:update', { id: tenantId, version: ed.data.version, customDomain: 'chat.cached.com' })
    const cached = await openConsole(db.url, { redisUrl: `redis://127.0.0.1:${port}/0` })
    const r = new Redis({ port })
    try {
      await r.set('tenant:cached-co', '{"status":"active"}', 'EX', 3600)
      await r.set('tenant:domain:chat.cached.com', '{"status":"active"}', 'EX', 3600)
      await r.set('tenant:other', 'keep')
      const s = await cached.call<{ evictedKeys: string[]; warnings: string[] }>('lifecycle:suspend', { id: tenantId, reason: 'terms_violation' })
      expect(s.ok).toBe(true)
      if (s.ok) {
        expect(s.data.warnings).toEqual([])
        expect(s.data.evictedKeys).toEqual(expect.arrayContaining(['tenant:cached-co', 'tenant:domain:chat.cached.com']))
      }
      expect(await r.exists('tenant:cached-co', 'tenant:domain:chat.cached.com')).toBe(0)
      expect(await r.get('tenant:other')).toBe('keep')
    } finally {
      r.disconnect()
      await cached.close()
    }
  })

  it('a Redis failure is a warning, not a rollback', async () => {
    const { tenantId } = await create('nocache-co')
    const dead = await freePort()
    const cached = await openConsole(db.url, { redisUrl: `redis://127.0.0.1:${dead}/0` })
    try {
      const s = await cached.call<{ warnings: string[]; status: string }>('lifecycle:suspend', { id: tenantId, reason: 'payment_failure' })
      expect(s.ok).toBe(true)
      if (s.ok) {
        expect(s.data.status).toBe('suspended')
        expect(s.data.warnings[0]).toMatch(/Redis/)
      }
      expect((await row(tenantId)).status).toBe('suspended')
    } finally {
      await cached.close()
    }
  })
})
