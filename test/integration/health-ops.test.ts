import { randomUUID } from 'node:crypto'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditReport, Checklist, IncidentPreview, IncidentRestored, IncidentStarted, OrphanAdopted, OrphanDropped, OrphanSuggestion } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { PLANS } from '../../src-main/domain/plans'
import { createRegistry, handlers } from '../../src-main/ipc'
import { templateDdl } from '../../src-main/seed/template'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { startRedis } from '../support/redis-server'
import { registryCalls } from '../support/registry-calls'
import { dropRole, loginRole, urlFor } from './lifecycle-support'

/**
 * Fleet health, what an operator does with it, on a real PostgreSQL: limits that drift
 * from the plan, the guide's checklist, incident mode and its exact undo, orphan schemas
 * adopted or backed up and dropped; refused for support, by the handler and the database.
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>
const operator = { name: 'Test Operator', email: 'ops@example.com' }

let db: Db
let redis: Awaited<ReturnType<typeof startRedis>> | null = null
let redisPort = 0
let admin: { name: string; password: string }
let support: { name: string; password: string }
const consoles: AppContext[] = []

async function consoleFor(url: string, opts: { userDataDir?: string; redis?: boolean; webhookSecret?: string } = {}) {
  const platform = { emit: () => {}, userDataDir: opts.userDataDir }
  const ctx = createContext({ platform: platform as never, migrationsDir: join(ROOT, 'migrations') })
  await ctx.db.setTarget(targetFromUrl(url, { operator, webhookSecret: opts.webhookSecret ?? null, ...(opts.redis ? { redisUrl: `redis://127.0.0.1:${redisPort}/0` } : {}) }))
  consoles.push(ctx)
  const registry = createRegistry(ctx, handlers, () => true)
  return { ctx, ...registryCalls(() => registry) }
}
type Con = Awaited<ReturnType<typeof consoleFor>>
let root: Con
let asSupport: Con

const ids: Record<string, string> = {}
async function tenant(slug: string, status: string, plan: 'free' | 'pro' = 'pro', extra: { limits?: object; features?: object; metadata?: object; schema?: string } = {}) {
  ids[slug] = randomUUID()
  await db.client.query(
    `INSERT INTO public.tenants (id, name, slug, owner_email, owner_name, schema_name, status, billing_plan, limits, features, metadata)
     VALUES ($1, $2, $2, $3, 'O', $4, $5, $6, $7, $8, $9)`,
    [
      ids[slug],
      slug,
      `${slug}@x.io`,
      extra.schema ?? `tenant_${slug.replace(/-/g, '_')}`,
      status,
      plan,
      JSON.stringify(extra.limits ?? PLANS[plan].limits),
      JSON.stringify(extra.features ?? PLANS[plan].features),
      JSON.stringify(extra.metadata ?? {})
    ]
  )
}
const row = async (slug: string) => (await db.client.query(`SELECT status, limits, features, metadata FROM public.tenants WHERE slug = $1`, [slug])).rows[0]

beforeAll(async () => {
  db = await freshDatabase('hops')
  await db.client.query(templateDdl('nchat'))
  await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
  admin = await loginRole(db.client, 'nchat_console_admin', 'hadmin')
  support = await loginRole(db.client, 'nchat_console_support', 'hsupport')
  redis = await startRedis()
  redisPort = redis.port
  root = await consoleFor(db.url, { redis: true })
  // The support console's profile holds a webhook signing secret; root's does not.
  asSupport = await consoleFor(urlFor(db.url, support.name, support.password), { webhookSecret: 'whsec_0123456789abcdef' })
})

afterAll(async () => {
  for (const c of consoles) await c.db.close()
  redis?.stop()
  const adminUrl = db ? (() => { const u = new URL(db.url); u.pathname = '/postgres'; return u.toString() })() : ''
  await db?.close()
  for (const r of [admin, support]) if (r) await dropRole(adminUrl, r.name)
})

describe('limits and features that drift from the plan', () => {
  it('finds hand-made drift without a recorded override; its SQL resets the plan’s keys, keeps overrides and unknown keys', async () => {
    await tenant('plain-pro', 'active')
    // maxUsers edited by hand in SQL, and an extra key the console does not know.
    await tenant('drifted-pro', 'active', 'pro', { limits: { ...PLANS.pro.limits, maxUsers: 999, legacyQuota: 7 } })
    // The same value, but recorded as an override (what an edit in the console writes).
    await tenant('override-pro', 'active', 'pro', {
      limits: { ...PLANS.pro.limits, maxUsers: 500, maxChannels: 1 },
      metadata: { consoleOverrides: { limits: { maxUsers: 500 }, features: {} } }
    })
    // A free tenant with a paid feature switched on, and one with no limits at all.
    await tenant('drifted-free', 'trial', 'free', { features: { ...PLANS.free.features, videoCalls: true } })
    await db.client.query(`UPDATE public.tenants SET limits = NULL WHERE slug = 'plain-pro'`)

    const r = await root.call<AuditReport>('health:audit', { jobId: randomUUID() })
    const plan = r.findings.filter((f) => f.kind === 'plan-drift')
    expect(plan.map((f) => [f.title.split(' ')[1], f.tenants.map((t) => t.slug)]).sort()).toEqual([
      ['free', ['drifted-free']],
      ['pro', ['drifted-pro', 'override-pro', 'plain-pro']]
    ])
    const pro = plan.find((f) => f.title.includes(' pro '))!
    expect(pro.severity).toBe('medium')
    // override-pro differs only in maxChannels (its maxUsers is recorded); plain-pro lacks every key.
    expect(pro.detail).toMatch(/maxUsers \(2\)/)
    expect(pro.detail).toMatch(/maxChannels \(2\)/)
    expect(pro.fixSql).toContain(`WHERE "billing_plan" = 'pro' AND id IN (`)
    const free = plan.find((f) => f.title.includes(' free '))!
    expect(free.detail).toMatch(/videoCalls \(1\)/)

    // The admin applies the pro fix through the audited path; the free one's SQL is run as shown.
    expect(await root.call<{ statements: number }>('health:applyFix', { findingId: pro.id })).toMatchObject({ statements: 1, partial: false })
    await db.client.query(free.fixSql!)
    expect((await row('drifted-pro')).limits).toEqual({ ...PLANS.pro.limits, legacyQuota: 7 })
    expect((await row('override-pro')).limits).toEqual({ ...PLANS.pro.limits, maxUsers: 500 })
    expect((await row('plain-pro')).limits).toEqual(PLANS.pro.limits)
    expect((await row('drifted-free')).features).toEqual(PLANS.free.features)
    const logged = await db.client.query(`SELECT params FROM console.operator_log WHERE action = 'health.fix' ORDER BY id DESC LIMIT 1`)
    expect(logged.rows[0].params).toMatchObject({ kind: 'plan-drift', finding: pro.id })
    const again = await root.call<AuditReport>('health:audit', { jobId: randomUUID() })
    expect(again.findings.filter((f) => f.kind === 'plan-drift')).toEqual([])
  })
})

describe('the guide’s security checklist', () => {
  const status = (c: Checklist) => Object.fromEntries(c.lines.map((l) => [l.id, l.status]))

  it('on a clean database: what can be verified passes, with its evidence; the rest is listed as not verifiable', async () => {
    await db.client.query(`INSERT INTO public.tenant_audit_logs (tenant_id, action) SELECT id, 'user.login' FROM public.tenants`)
    await db.client.query(`INSERT INTO console.backup_batches (directory, tenant_ids, status, created_at) VALUES ('/tmp', '{}', 'succeeded', now() - interval '2 hours')`)
    await db.client.query(
      `INSERT INTO console.backup_catalog (tenant_id, tenant_slug, tenant_schema, file_path, file_name, status, started_at, finished_at, verified_at, verification)
       SELECT id, slug, schema_name, '/tmp/x', 'x', 'succeeded', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours', 'quick' FROM public.tenants`
    )
    const c = await asSupport.call<Checklist>('health:checklist', {})
    expect(c.lines.map((l) => l.line)).toHaveLength(10)
    expect(status(c)).toEqual({
      'wildcard-ssl': 'cannot-tell',
      rls: 'pass',
      'webhook-signatures': 'pass',
      'rate-limits': 'pass',
      'audit-logging': 'pass',
      backups: 'pass',
      'cross-tenant': 'cannot-tell',
      'admin-roles': 'pass',
      'env-secrets': 'cannot-tell',
      'custom-domains': 'cannot-tell'
    })
    const by = Object.fromEntries(c.lines.map((l) => [l.id, l]))
    expect(by.rls!.evidence).toContain('public.tenants (2 policies)')
    expect(by['admin-roles']!.evidence).toContain('tenants_super_admin')
    expect(by['admin-roles']!.evidence).toMatch(/logins with the console admin group \(nchat_console_admin\): (?!none)/)
    expect(by['audit-logging']!.evidence).toMatch(/public\.tenant_audit_logs: \d+ entries in the last 30 days/)
    expect(by['webhook-signatures']!.evidence).toContain('The profile holds the endpoint’s signing secret')
    expect(by['webhook-signatures']!.evidence).not.toContain('whsec_0123')
    expect(c.lines.filter((l) => !l.verifiable).map((l) => l.id)).toEqual(['wildcard-ssl', 'cross-tenant', 'env-secrets', 'custom-domains'])
  })

  it('on a broken database: each broken line fails or cannot tell, saying why', async () => {
    await db.client.query(`
      ALTER TABLE public.tenants DISABLE ROW LEVEL SECURITY;
      UPDATE public.tenants SET limits = limits - 'rateLimitPerMinute' WHERE slug = 'drifted-pro';
      DELETE FROM public.tenant_audit_logs;
      DELETE FROM console.backup_batches;`)
    try {
      const c = await root.call<Checklist>('health:checklist', {})
      const by = Object.fromEntries(c.lines.map((l) => [l.id, l]))
      expect(status(c)).toMatchObject({ rls: 'fail', 'rate-limits': 'fail', 'audit-logging': 'cannot-tell', backups: 'fail', 'admin-roles': 'fail' })
      expect(by.rls!.evidence).toContain('policies present but row-level security OFF (the policies do nothing): public.tenants')
      expect(by['rate-limits']!.evidence).toMatch(/1 have none/)
      expect(by['audit-logging']!.evidence).toContain('it is empty')
      expect(by.backups!.evidence).toContain('no scheduled run seen')
      expect(by['admin-roles']!.evidence).toContain('row-level security is OFF')
      // No signing secret in root's profile.
      expect(by['webhook-signatures']).toMatchObject({ status: 'fail', evidence: expect.stringContaining('The profile holds no webhook signing secret') })
      // With a secret, but the app rejecting events for their signature: the secrets differ.
      await db.client.query(
        `INSERT INTO public.stripe_webhooks (stripe_event_id, event_type, payload, processed, error) VALUES ('evt_sig', 'invoice.paid', '{}', false, 'No signatures found matching the expected signature for payload')`
      )
      const withSecret = Object.fromEntries((await asSupport.call<Checklist>('health:checklist', {})).lines.map((l) => [l.id, l]))
      expect(withSecret['webhook-signatures']).toMatchObject({ status: 'fail', evidence: expect.stringContaining('1 event failed with a signature error') })
    } finally {
      await db.client.query(`DELETE FROM public.stripe_webhooks WHERE stripe_event_id = 'evt_sig'; ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY; UPDATE public.tenants SET limits = limits || '{"rateLimitPerMinute": 120}' WHERE slug = 'drifted-pro'`)
    }
  })
})

describe('incident mode', () => {
  let preview: IncidentPreview
  let started: IncidentStarted

  it('the dry run counts the live tenants (the template’s own tenant is refused by the suspend rules)', async () => {
    await tenant('paused', 'suspended', 'pro', { metadata: { consoleSuspension: { reason: 'payment_failure', previousStatus: 'active', at: '2026-01-01T00:00:00.000Z' } } })
    await tenant('gone-co', 'cancelled')
    await tenant('default-tenant', 'active', 'pro', { schema: 'nchat' })
    await tenant('later', 'pending')
    // A trial that lapsed before the incident: the lifecycle will want a choice to reactivate it.
    await tenant('lapsed', 'trial', 'free')
    await db.client.query(`UPDATE public.tenants SET trial_ends_at = now() - interval '2 days' WHERE slug = 'lapsed'`)
    preview = await asSupport.call<IncidentPreview>('health:incidentPreview', {})
    // plain-pro, drifted-pro, override-pro (active), drifted-free and lapsed (trial).
    expect(preview).toMatchObject({ toSuspend: 5, byStatus: { active: 3, trial: 2 }, confirmPhrase: 'SUSPEND 5 TENANTS', open: null })
    expect(preview.skipped.map((s) => s.slug)).toEqual(['default-tenant'])
  })

  it('support is refused by the handler and by the database; a wrong phrase changes nothing', async () => {
    expect(await asSupport.fail('health:incidentStart', { confirmPhrase: preview.confirmPhrase })).toMatchObject({ code: 'FORBIDDEN' })
    // Past the handler (the service called directly), the database refuses the support login.
    await expect(asSupport.ctx.healthOps.incidentStart({ confirmPhrase: preview.confirmPhrase })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(await root.fail('health:incidentStart', { confirmPhrase: 'SUSPEND 4 TENANTS' })).toMatchObject({ code: 'CONFLICT' })
    const live = await db.client.query(`SELECT count(*)::int AS n FROM public.tenants WHERE status IN ('active', 'trial')`)
    expect(live.rows[0].n).toBe(6)
    expect((await db.client.query(`SELECT count(*)::int AS n FROM console.incidents`)).rows[0].n).toBe(0)
  })

  it('suspends every live tenant in one transaction, records exactly who, and evicts their cache keys', async () => {
    const r = new Redis({ port: redisPort })
    await r.set('tenant:plain-pro', '{}')
    await r.set('tenant:drifted-free', '{}')
    await r.set('tenant:paused', '{}')
    started = await root.call<IncidentStarted>('health:incidentStart', { confirmPhrase: 'SUSPEND 5 TENANTS', note: 'tenant A saw tenant B' })
    expect(started).toMatchObject({ suspended: 5, warnings: [], incident: { tenantsSuspended: 5, pending: 5, closedAt: null, openedBy: 'ops@example.com' } })
    expect(started.evictedKeys).toBeGreaterThanOrEqual(4)
    expect(await r.exists('tenant:plain-pro', 'tenant:drifted-free')).toBe(0)
    expect(await r.exists('tenant:paused')).toBe(1) // not part of the incident
    r.disconnect()
    const st = await db.client.query(`SELECT slug, status, metadata -> 'consoleSuspension' ->> 'reason' AS reason FROM public.tenants ORDER BY slug`)
    expect(Object.fromEntries(st.rows.map((x) => [x.slug, `${x.status}/${x.reason}`]))).toEqual({
      'default-tenant': 'active/null',
      'drifted-free': 'suspended/security_incident',
      'drifted-pro': 'suspended/security_incident',
      'gone-co': 'cancelled/null',
      lapsed: 'suspended/security_incident',
      later: 'pending/null',
      'override-pro': 'suspended/security_incident',
      paused: 'suspended/payment_failure',
      'plain-pro': 'suspended/security_incident'
    })
    const rec = await db.client.query(`SELECT tenant_slug, previous_status FROM console.incident_tenants WHERE incident_id = $1 ORDER BY tenant_slug`, [started.incident.id])
    expect(rec.rows).toEqual([
      { tenant_slug: 'drifted-free', previous_status: 'trial' },
      { tenant_slug: 'drifted-pro', previous_status: 'active' },
      { tenant_slug: 'lapsed', previous_status: 'trial' },
      { tenant_slug: 'override-pro', previous_status: 'active' },
      { tenant_slug: 'plain-pro', previous_status: 'active' }
    ])
    // The lifecycle's audit rows for each tenant, and the incident itself.
    const audit = await db.client.query(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE action = 'tenant.suspend'`)
    expect(audit.rows[0].n).toBe(5)
    const log = await db.client.query(`SELECT params FROM console.operator_log WHERE action = 'health.incident_start'`)
    expect(log.rows[0].params).toMatchObject({ incidentId: started.incident.id, suspended: 5, reason: 'security_incident' })
    // One open incident at a time.
    expect(await root.fail('health:incidentStart', { confirmPhrase: 'SUSPEND 0 TENANTS' })).toMatchObject({ code: 'CONFLICT' })
  })

  it('"reactivate those" restores exactly that set; a tenant changed in between is reported, not overwritten', async () => {
    // In between: drifted-pro reactivated by hand; override-pro reactivated and suspended again
    // for another reason; "later" suspended for another reason after the incident.
    const lc = root.ctx.lifecycle
    await lc.reactivate({ id: ids['drifted-pro']!, reason: 'other', note: 'checked, fine' })
    await lc.reactivate({ id: ids['override-pro']!, reason: 'other', note: 'checked' })
    await lc.suspend({ id: ids['override-pro']!, reason: 'terms_violation' })
    await lc.suspend({ id: ids.later!, reason: 'payment_failure' })
    expect(await asSupport.fail('health:incidentRestore', { incidentId: started.incident.id })).toMatchObject({ code: 'FORBIDDEN' })
    await expect(asSupport.ctx.healthOps.incidentRestore(started.incident.id)).rejects.toMatchObject({ code: 'FORBIDDEN' })

    const done = await root.call<IncidentRestored>('health:incidentRestore', { incidentId: started.incident.id })
    expect(done.reactivated).toBe(2)
    expect(done.reported.map((x) => [x.slug, x.outcome])).toEqual([
      ['drifted-pro', 'changed'],
      ['lapsed', 'refused'],
      ['override-pro', 'changed']
    ])
    expect(done.reported[1]!.detail).toMatch(/trial ended/)
    expect(done.reported[2]!.detail).toContain('terms_violation')
    expect(done.incident).toMatchObject({ pending: 0, outcomes: { reactivated: 2, changed: 2, gone: 0, refused: 1 } })
    expect(done.incident.closedAt).not.toBeNull()
    const st = await db.client.query(`SELECT slug, status, metadata -> 'consoleSuspension' ->> 'reason' AS reason FROM public.tenants ORDER BY slug`)
    expect(Object.fromEntries(st.rows.map((x) => [x.slug, `${x.status}/${x.reason}`]))).toEqual({
      'default-tenant': 'active/null',
      'drifted-free': 'trial/null', // back to its trial
      'drifted-pro': 'active/null',
      'gone-co': 'cancelled/null',
      lapsed: 'suspended/security_incident', // refused and reported: reactivate it by hand, choosing
      later: 'suspended/payment_failure',
      'override-pro': 'suspended/terms_violation',
      paused: 'suspended/payment_failure',
      'plain-pro': 'active/null'
    })
    expect(await root.fail('health:incidentRestore', { incidentId: started.incident.id })).toMatchObject({ code: 'CONFLICT' })
    const log = await db.client.query(`SELECT params FROM console.operator_log WHERE action = 'health.incident_restore'`)
    expect(log.rows[0].params).toMatchObject({ incidentId: started.incident.id, reactivated: 2 })
  })
})

describe('orphan schemas', () => {
  it('an orphan is adopted: slug and name derived, the slug edited (the schema follows), suspended, audited', async () => {
    await db.client.query(`CREATE SCHEMA tenant_old_shop; CREATE TABLE tenant_old_shop.orders (id int); INSERT INTO tenant_old_shop.orders VALUES (1)`)
    const s = await root.call<OrphanSuggestion>('health:orphanSuggest', { schema: 'tenant_old_shop' })
    expect(s).toEqual({ schema: 'tenant_old_shop', slug: 'old-shop', name: 'Old Shop', problem: null, tables: 1 })
    const input = { schema: 'tenant_old_shop', slug: 'old-store', name: 'Old Store', ownerEmail: 'owner@old.test', ownerName: 'Owner' }
    expect(await asSupport.fail('health:orphanAdopt', input)).toMatchObject({ code: 'FORBIDDEN' })
    await expect(asSupport.ctx.healthOps.orphanAdopt(input)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(await root.fail('health:orphanAdopt', { ...input, slug: 'Bad Slug' })).toMatchObject({ code: 'INVALID_INPUT' })
    const a = await root.call<OrphanAdopted>('health:orphanAdopt', input)
    expect(a).toMatchObject({ slug: 'old-store', schema: 'tenant_old_store', status: 'suspended', plan: 'free' })
    const t = await db.client.query(`SELECT slug, name, schema_name, status, limits, metadata FROM public.tenants WHERE id = $1`, [a.tenantId])
    expect(t.rows[0]).toMatchObject({ slug: 'old-store', name: 'Old Store', schema_name: 'tenant_old_store', status: 'suspended', limits: PLANS.free.limits })
    expect((await db.client.query(`SELECT count(*)::int AS n FROM tenant_old_store.orders`)).rows[0].n).toBe(1)
    expect((await db.client.query(`SELECT action FROM public.tenant_audit_logs WHERE tenant_id = $1`, [a.tenantId])).rows).toEqual([{ action: 'tenant.adopt' }])
    const log = await db.client.query(`SELECT tenant_schema FROM console.operator_log WHERE action = 'health.orphan_adopt'`)
    expect(log.rows).toEqual([{ tenant_schema: 'tenant_old_store' }])
    // No longer an orphan.
    const r = await root.call<AuditReport>('health:audit', { jobId: randomUUID() })
    expect(r.findings.filter((f) => f.kind === 'orphan-schema').flatMap((f) => f.tenants.map((x) => x.schema))).not.toContain('tenant_old_store')
    expect(await root.fail('health:orphanAdopt', { ...input, schema: 'tenant_old_store', slug: 'old-store-2' })).toMatchObject({ code: 'CONFLICT' })
  })

  it('a drop is refused when the backup fails; with a verified backup the schema is dropped, audited', async () => {
    await db.client.query(`CREATE SCHEMA tenant_ghost; CREATE TABLE tenant_ghost.leftover (id int); INSERT INTO tenant_ghost.leftover VALUES (1), (2)`)
    const input = { schema: 'tenant_ghost', confirmSchema: 'tenant_ghost' }
    expect(await root.fail('health:orphanDrop', { ...input, confirmSchema: 'tenant_ghos' })).toMatchObject({ code: 'INVALID_INPUT' })
    expect(await asSupport.fail('health:orphanDrop', input)).toMatchObject({ code: 'FORBIDDEN' })
    await expect(asSupport.ctx.healthOps.orphanDrop(input)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    // The database refuses a drop without a verified backup, whoever calls it.
    await expect(db.client.query(`SELECT console.drop_orphan_schema('tenant_ghost', gen_random_uuid())`)).rejects.toMatchObject({ hint: 'nchat:no_backup' })

    // A console whose backup folder cannot be written: the backup fails, nothing is dropped.
    const notADir = join(tmpdir(), `hops-file-${process.pid}-${randomUUID().slice(0, 6)}`)
    writeFileSync(notADir, 'not a folder')
    const broken = await consoleFor(db.url, { userDataDir: notADir })
    const err = await broken.fail('health:orphanDrop', input)
    expect(err).toMatchObject({ code: 'CONFLICT' })
    expect(err.message).toMatch(/^The backup of tenant_ghost failed, so the schema was not dropped/)
    expect((await db.client.query(`SELECT count(*)::int AS n FROM tenant_ghost.leftover`)).rows[0].n).toBe(2)
    expect((await db.client.query(`SELECT count(*)::int AS n FROM console.operator_log WHERE action = 'health.orphan_drop'`)).rows[0].n).toBe(0)
    rmSync(notADir, { force: true })

    const d = await root.call<OrphanDropped>('health:orphanDrop', input)
    expect(d).toMatchObject({ schema: 'tenant_ghost', tables: ['leftover'] })
    expect(existsSync(d.backupFile)).toBe(true)
    const b = await db.client.query(`SELECT status, verified_at IS NOT NULL AS verified, tenant_schema FROM console.backup_catalog WHERE id = $1`, [d.backupId])
    expect(b.rows[0]).toEqual({ status: 'succeeded', verified: true, tenant_schema: 'tenant_ghost' })
    expect((await db.client.query(`SELECT to_regnamespace('tenant_ghost') AS n`)).rows[0].n).toBeNull()
    const log = await db.client.query(`SELECT params FROM console.operator_log WHERE action = 'health.orphan_drop'`)
    expect(log.rows[0].params).toMatchObject({ droppedSchema: 'tenant_ghost', backupId: d.backupId, tables: ['leftover'] })
    // Never a tenant's schema, nor the template.
    expect(await root.fail('health:orphanDrop', { schema: 'tenant_old_store', confirmSchema: 'tenant_old_store' })).toMatchObject({ code: 'CONFLICT' })
    expect(await root.fail('health:orphanDrop', { schema: 'nchat', confirmSchema: 'nchat' })).toMatchObject({ code: 'INVALID_INPUT' })
  })
})
