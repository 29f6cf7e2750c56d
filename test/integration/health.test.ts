import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { AuditProgress, AuditReport, Finding, FindingKind, HealthSummary } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { registryCalls } from '../support/registry-calls'

/**
 * Fleet health and the isolation audit on hand-made drift of every kind: each is found
 * with the right tenants, and the SQL the audit shows fixes it.
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>
const meta = { senderUrl: 'file:///test/index.html' }

/** The template's tables, for any schema: foreign keys, an index, a trigger, a policy, row security. */
const tableDdl = (s: string) => `
  CREATE TABLE ${s}.nchat_users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, display_name text, last_seen_at timestamptz);
  CREATE TABLE ${s}.nchat_channels (id serial PRIMARY KEY, name text NOT NULL, created_by int REFERENCES ${s}.nchat_users(id));
  CREATE TABLE ${s}.nchat_messages (id bigserial PRIMARY KEY, channel_id int NOT NULL REFERENCES ${s}.nchat_channels(id), body text, created_at timestamptz NOT NULL DEFAULT now());
  CREATE INDEX nchat_messages_channel_idx ON ${s}.nchat_messages (channel_id, created_at);
  CREATE TRIGGER nchat_users_touch BEFORE UPDATE ON ${s}.nchat_users FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
  ALTER TABLE ${s}.nchat_messages ENABLE ROW LEVEL SECURITY;
  CREATE POLICY nchat_messages_own ON ${s}.nchat_messages USING (channel_id > 0);`

const ids = { alpha: randomUUID(), bravo: randomUUID(), charlie: randomUUID(), delta: randomUUID(), echo: randomUUID() }

describe('fleet health and the isolation audit', () => {
  let db: Db
  let ctx: AppContext
  let registry: Registry
  const events: AuditProgress[] = []
  const { call } = registryCalls(() => registry)
  const audit = () => call<AuditReport>('health:audit', { jobId: randomUUID() })
  const only = (r: AuditReport, kind: FindingKind): Finding[] => r.findings.filter((f) => f.kind === kind)
  const role = `nchat_test_bypass_${process.pid}`

  beforeAll(async () => {
    db = await freshDatabase('health')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    const tenant = (id: string, slug: string) =>
      db.client.query(`INSERT INTO public.tenants (id, name, slug, owner_email, owner_name, schema_name) VALUES ($1, $2, $2, $3, 'O', $4)`, [id, slug, `${slug}@x.io`, `tenant_${slug}`])
    for (const [slug, id] of Object.entries(ids)) await tenant(id, slug)
    await db.client.query(`
      CREATE SCHEMA nchat; ${tableDdl('nchat')}
      -- alpha: a faithful copy; bravo: copied as the app does (LIKE ... INCLUDING ALL);
      -- charlie: a faithful copy missing a column and an index, with an extra table.
      CREATE SCHEMA tenant_alpha; ${tableDdl('tenant_alpha')}
      CREATE SCHEMA tenant_bravo;
      CREATE TABLE tenant_bravo.nchat_users (LIKE nchat.nchat_users INCLUDING ALL);
      CREATE TABLE tenant_bravo.nchat_channels (LIKE nchat.nchat_channels INCLUDING ALL);
      CREATE TABLE tenant_bravo.nchat_messages (LIKE nchat.nchat_messages INCLUDING ALL);
      CREATE SCHEMA tenant_charlie; ${tableDdl('tenant_charlie')}
      ALTER TABLE tenant_charlie.nchat_users DROP COLUMN display_name;
      DROP INDEX tenant_charlie.nchat_messages_channel_idx;
      CREATE TABLE tenant_charlie.scratch (id int);
      -- delta: no schema at all; echo: an empty schema; ghost: a schema with no tenant row.
      CREATE SCHEMA tenant_echo;
      CREATE SCHEMA tenant_ghost; CREATE TABLE tenant_ghost.leftover (id int);
      -- Database-wide: CREATE for everyone, a SECURITY DEFINER function without search_path,
      -- policies with row security switched off, a role that bypasses row security.
      GRANT CREATE ON SCHEMA tenant_alpha TO PUBLIC;
      CREATE FUNCTION public.leaky_lookup(s text) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
      ALTER TABLE public.tenant_settings DISABLE ROW LEVEL SECURITY;
      CREATE ROLE ${role} BYPASSRLS;
    `)
    const platform = { emit: (event: string, p: unknown) => void (event === 'health:progress' && events.push(p as AuditProgress)) }
    ctx = createContext({ platform: platform as never, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget(targetFromUrl(db.url))
    registry = createRegistry(ctx, handlers, () => true)
  })
  afterAll(async () => {
    await ctx?.db.close()
    await db?.client.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {})
    await db?.close()
  })

  it('summary: server, connections, tenants, webhooks and backups in one call', async () => {
    await db.client.query(`INSERT INTO public.stripe_webhooks (stripe_event_id, event_type, payload, processed, created_at)
                           VALUES ('evt_old', 'invoice.paid', '{}', false, now() - interval '3 days'), ('evt_new', 'invoice.paid', '{}', false, now()), ('evt_done', 'invoice.paid', '{}', true, now() - interval '9 days')`)
    const s = await call<HealthSummary>('health:summary', {})
    expect(s.serverVersion).toMatch(/^1[5-9]/)
    expect(s.databaseSizeBytes).toBeGreaterThan(1_000_000)
    expect(s.connections.used).toBeGreaterThanOrEqual(1)
    expect(s.connections.max).toBeGreaterThan(s.connections.used)
    expect(s.tenants).toEqual({ total: 5, active: 5 })
    expect(s.oldestUnprocessedWebhook).toMatchObject({ eventId: 'evt_old', eventType: 'invoice.paid' })
    expect(s.backups).toEqual({ available: true, hours: 24, withoutRecentVerified: 5, ofTenants: 5 })
  })

  it('finds every kind of drift with the right tenants', async () => {
    events.length = 0
    const r = await audit()
    expect(r.cancelled).toBe(false)
    expect(r.schemasChecked).toBe(3) // alpha, bravo, charlie (delta missing, echo empty)
    expect(events.at(-1)).toMatchObject({ phase: 'done', schemasDone: 3, schemasTotal: 3 })

    expect(only(r, 'schema-missing').map((f) => f.tenants.map((t) => t.slug))).toEqual([['delta']])
    expect(only(r, 'schema-empty').map((f) => f.tenants.map((t) => t.slug))).toEqual([['echo']])
    expect(only(r, 'orphan-schema').map((f) => f.tenants.map((t) => t.schema))).toEqual([['tenant_ghost']])

    const drift = only(r, 'schema-drift')
    expect(drift.map((f) => f.tenants.map((t) => t.slug)).sort()).toEqual([['bravo'], ['charlie']])
    const bravo = drift.find((f) => f.tenants[0]!.slug === 'bravo')!
    // LIKE ... INCLUDING ALL loses foreign keys, triggers and policies: security-relevant.
    expect(bravo.severity).toBe('high')
    expect(bravo.detail).toMatch(/nchat_channels: constraints missing nchat_channels_created_by_fkey/)
    expect(bravo.detail).toMatch(/nchat_users: triggers missing nchat_users_touch/)
    expect(bravo.detail).toMatch(/nchat_messages: policies missing nchat_messages_own; row-level security is off/)
    const charlie = drift.find((f) => f.tenants[0]!.slug === 'charlie')!
    expect(charlie.severity).toBe('low')
    expect(charlie.detail).toMatch(/tables not in the template: scratch/)
    expect(charlie.detail).toMatch(/nchat_users: columns missing display_name/)
    expect(charlie.detail).toMatch(/nchat_messages: indexes missing nchat_messages_channel_idx/)

    expect(only(r, 'public-create')[0]!.tenants.map((t) => t.schema)).toContain('tenant_alpha')
    expect(only(r, 'security-definer-search-path')[0]!.detail).toMatch(/leaky_lookup\(text\)/)
    expect(only(r, 'rls-disabled').map((f) => f.title)).toEqual(['Row-level security is off on public.tenant_settings'])
    expect(only(r, 'privileged-role')[0]!.detail).toContain(`${role} (BYPASSRLS, no login)`)
    // Findings keep their id from one audit to the next.
    expect((await audit()).findings.map((f) => f.id)).toEqual(r.findings.map((f) => f.id))
  })

  it('an admin applies a finding’s fix from the latest audit; it is recorded; stale or unknown ids are refused', async () => {
    const r = await audit()
    const open = only(r, 'public-create')[0]!
    const applied = await call<{ statements: number; partial: boolean }>('health:applyFix', { findingId: open.id })
    expect(applied).toMatchObject({ statements: open.tenantCount, partial: false })
    const logged = await db.client.query(`SELECT params FROM console.operator_log WHERE action = 'health.fix' ORDER BY id DESC LIMIT 1`)
    expect(logged.rows[0].params).toMatchObject({ kind: 'public-create', finding: open.id })
    // The audit it came from is used up: a second fix asks for a new audit.
    const again = await registry.invoke('health:applyFix', { findingId: only(r, 'security-definer-search-path')[0]!.id }, meta)
    expect(again).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    const after = await audit()
    expect(only(after, 'public-create')).toEqual([])
    expect(await registry.invoke('health:applyFix', { findingId: only(after, 'orphan-schema')[0]!.id }, meta)).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED' } })
    expect(await registry.invoke('health:applyFix', { findingId: 'nope' }, meta)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
  })

  it('the SQL each finding shows fixes it', async () => {
    const r = await audit()
    // The tenants were inserted without limits or features: plan drift too.
    for (const kind of ['schema-drift', 'public-create', 'security-definer-search-path', 'rls-disabled', 'privileged-role', 'plan-drift'] as FindingKind[]) {
      for (const f of only(r, kind)) {
        expect(f.fixSql, `${kind}: ${f.title}`).toBeTruthy()
        await db.client.query(f.fixSql!)
      }
    }
    expect(only(r, 'schema-empty')[0]!.fixSql).toBeNull()
    const after = await audit()
    const left = after.findings.map((f) => f.kind).sort()
    // What has no automatic fix stays: the missing and empty schemas, the orphan, the extra
    // table charlie keeps (reported, never dropped), and superusers (only named).
    expect(left).toEqual(['orphan-schema', 'privileged-role', 'schema-drift', 'schema-empty', 'schema-missing'])
    expect(only(after, 'privileged-role')[0]!.detail).not.toContain(role)
    expect(only(after, 'privileged-role')[0]!.fixSql).toBeNull()
    expect(only(after, 'schema-drift')[0]!.detail).toBe('tables not in the template: scratch')
  })

  it('cancels between phases, and a second audit cannot start while one runs', async () => {
    await audit() // the session's layout is read and cached
    // Hold public.tenants so the audit waits on its first query.
    const locker = new pg.Client({ connectionString: db.url })
    await locker.connect()
    await locker.query('BEGIN; LOCK TABLE public.tenants IN ACCESS EXCLUSIVE MODE')
    const jobId = randomUUID()
    const running = registry.invoke('health:audit', { jobId }, meta)
    try {
      await vi.waitFor(
        async () => {
          const w = await db.client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)
          expect(w.rows[0].n).toBe(1)
        },
        { timeout: 20_000 }
      )
      expect(await registry.invoke('health:audit', { jobId: randomUUID() }, meta)).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
      expect(await registry.invoke('health:cancelAudit', { jobId }, meta)).toEqual({ ok: true, data: { cancelled: true } })
    } finally {
      await locker.query('COMMIT')
      await locker.end()
    }
    const r = await running
    expect(r).toMatchObject({ ok: true, data: { cancelled: true, schemasChecked: 0 } })
    expect((r as { data: AuditReport }).data.findings.map((f) => f.kind)).not.toContain('schema-drift')
  })
})
