import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditDetail, AuditEntry, AuditExportProgress, AuditFilterInput, AuditPage, MaintenancePreview, MaintenanceResult } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { registryCalls } from '../support/registry-calls'
import { fakeVerifiedBackup } from './lifecycle-support'

/**
 * The audit trail through the real registry on real PostgreSQL (030 layout): every
 * filter against an independent query, the row detail, a hard-deleted tenant's trail,
 * the maintenance jobs (dry run = what is then changed, the 'archived' case), CSV equal
 * to the pages, and keyset pages over 1,000,000 rows while rows are being inserted.
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>
const meta = { senderUrl: 'file:///test/index.html' }

const T = {
  alpha: '11111111-1111-4111-8111-111111111111',
  bravo: '22222222-2222-4222-8222-222222222222',
  charlie: '33333333-3333-4333-8333-333333333333'
}
const U1 = 'aaaaaaaa-0000-4000-8000-000000000001'
const U2 = 'aaaaaaaa-0000-4000-8000-000000000002'
const ACTIONS = ['user.login', 'channel.create', 'tenant.suspend'] as const
const RESOURCES = ['user', 'channel', 'tenant'] as const

async function seed(c: pg.Client): Promise<void> {
  const t = async (id: string, slug: string, status: string, cancelledDaysAgo: number | null) =>
    c.query(
      `INSERT INTO public.tenants (id, name, slug, status, owner_email, owner_name, schema_name, cancelled_at, created_at)
       VALUES ($1, $2, $3, $4, $5, 'Owner', $6, CASE WHEN $7::int IS NULL THEN NULL ELSE now() - make_interval(days => $7::int) END, '2025-01-01Z')`,
      [id, `Tenant ${slug}`, slug, status, `${slug}@example.com`, `tenant_${slug}`, cancelledDaysAgo]
    )
  await t(T.alpha, 'alpha', 'active', null)
  await t(T.bravo, 'bravo', 'cancelled', 100)
  await t(T.charlie, 'charlie', 'cancelled', 10)
  // 36 app rows: 12 per tenant, some at the same instant (ties), 'needle' in every 5th.
  let i = 0
  for (const [slug, id] of Object.entries(T)) {
    for (let k = 0; k < 12; k++, i++) {
      const at = `2025-06-${String(1 + Math.floor(i / 2)).padStart(2, '0')}T10:00:00.123456Z`
      await c.query(
        `INSERT INTO public.tenant_audit_logs (tenant_id, user_id, action, resource, resource_id, details, ip_address, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, '10.0.0.1', $7)`,
        [id, k % 2 ? U1 : U2, ACTIONS[k % 3], RESOURCES[k % 3], randomUUID(), JSON.stringify({ note: i % 5 === 0 ? `has NEEDLE_x ${slug}` : `plain ${slug}`, n: i }), at]
      )
    }
  }
  // Operator log rows at the same instants as some app rows (ties across sources).
  for (let k = 0; k < 10; k++) {
    await c.query(
      `INSERT INTO console.operator_log (at, operator_name, operator_email, db_role, action, tenant_id, tenant_slug, params, outcome)
       VALUES ($1, $2, $3, 'ops_login', $4, $5, 'alpha', $6, 'ok')`,
      [
        `2025-06-${String(1 + k).padStart(2, '0')}T10:00:00.123456Z`,
        k % 2 ? 'Olivia Ops' : 'Sam Support',
        k % 2 ? 'olivia@ops.example' : 'sam@ops.example',
        k % 2 ? 'tenant.suspend' : 'usage.refresh',
        T.alpha,
        JSON.stringify({ reason: k % 3 ? 'unpaid' : 'needle_x in params' })
      ]
    )
  }
  // Invitations: 3 expired and unaccepted, 1 expired but accepted, 1 still valid.
  for (const [exp, acc] of [['-2 days', null], ['-1 day', null], ['-1 hour', null], ['-3 days', 'now()'], ['+2 days', null]] as const) {
    await c.query(
      `INSERT INTO public.tenant_invitations (tenant_id, email, token, expires_at, accepted_at) VALUES ($1, $2, $3, now() + $4::interval, ${acc ?? 'NULL'})`,
      [T.alpha, `${randomUUID()}@x.example`, randomUUID(), exp]
    )
  }
  // Webhooks: 2 processed and old, 1 old but unprocessed, 1 processed but recent.
  for (const [age, processed] of [['40 days', true], ['31 days', true], ['60 days', false], ['2 days', true]] as const) {
    await c.query(
      `INSERT INTO public.stripe_webhooks (stripe_event_id, event_type, payload, processed, created_at) VALUES ($1, 'invoice.paid', '{}', $2, now() - $3::interval)`,
      [`evt_${randomUUID()}`, processed, age]
    )
  }
}

describe('audit trail through the real registry', () => {
  let db: Db
  let ctx: AppContext
  let registry: Registry
  const progress: AuditExportProgress[] = []
  const answers: (string | null)[] = []
  let onProgress: ((p: AuditExportProgress) => void) | null = null
  const { call, fail } = registryCalls(() => registry)
  /** Every page of a filter, following the cursors. */
  const all = async (filter: AuditFilterInput, limit = 7): Promise<AuditEntry[]> => {
    const out: AuditEntry[] = []
    let cursor: string | undefined
    for (;;) {
      const p: AuditPage = await call('audit:list', { filter, cursor, limit })
      out.push(...p.rows)
      if (!p.nextCursor) return out
      cursor = p.nextCursor
    }
  }
  /** The same filter written directly against the tables, in the timeline's order. */
  const expected = async (where: { app?: string; archive?: string; console?: string }, params: unknown[] = []): Promise<string[]> => {
    const parts: string[] = []
    if (where.app) parts.push(`SELECT created_at AS t, 'app' AS s, id::text AS k, id::text AS id FROM public.tenant_audit_logs a WHERE ${where.app}`)
    if (where.archive) parts.push(`SELECT created_at AS t, 'archive' AS s, lpad(id::text, 20, '0') AS k, id::text AS id FROM console.tenant_audit_archive a WHERE ${where.archive}`)
    if (where.console) parts.push(`SELECT at AS t, 'console' AS s, lpad(id::text, 20, '0') AS k, id::text AS id FROM console.operator_log a WHERE ${where.console}`)
    const r = await db.client.query<{ s: string; id: string }>(`SELECT s, id FROM (${parts.join(' UNION ALL ')}) u ORDER BY t DESC, s, k DESC`, params)
    return r.rows.map((x) => `${x.s}:${x.id}`)
  }
  const keys = (rows: AuditEntry[]) => rows.map((r) => `${r.source}:${r.id}`)

  beforeAll(async () => {
    db = await freshDatabase('audit')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    await seed(db.client)
    const platform = {
      emit: (event: string, p: unknown) => {
        if (event === 'audit:progress') {
          progress.push(p as AuditExportProgress)
          onProgress?.(p as AuditExportProgress)
        }
      },
      saveDialog: async () => answers.shift() ?? null
    }
    ctx = createContext({ platform: platform as never, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget(targetFromUrl(db.url))
    registry = createRegistry(ctx, handlers, () => true)
  })
  afterAll(async () => {
    await ctx?.db.close()
    await db?.close()
  })

  it('one timeline of app rows and operator log, newest first, source marked, ties in a stable order', async () => {
    const rows = await all({})
    expect(rows).toHaveLength(36 + 10)
    expect(keys(rows)).toEqual(await expected({ app: 'true', archive: 'true', console: 'true' }))
    const first = rows[0]!
    expect(first.createdAt).toMatch(/^2025-06-18T10:00:00\.123456Z$/)
    const op = rows.find((r) => r.source === 'console')!
    expect(op).toMatchObject({ tenantId: T.alpha, tenantSlug: 'alpha', tenantExists: true, dbRole: 'ops_login', resource: op.action.split('.')[0] })
    // Apart: one source only.
    expect(keys(await all({ sources: ['console'] }))).toEqual(await expected({ console: 'true' }))
    expect(keys(await all({ sources: ['app'] }))).toEqual(await expected({ app: 'true' }))
  })

  it('every filter, alone and combined, returns what the tables hold', async () => {
    const cases: [AuditFilterInput, { app?: string; archive?: string; console?: string }, unknown[]][] = [
      [{ tenantId: T.bravo }, { app: 'tenant_id = $1', console: 'tenant_id = $1' }, [T.bravo]],
      [{ tenantId: T.alpha }, { app: 'tenant_id = $1', console: 'tenant_id = $1' }, [T.alpha]],
      [{ actor: U1 }, { app: 'user_id = $1' }, [U1]],
      [{ actor: 'olivia' }, { app: 'false', console: "operator_name ILIKE '%olivia%' OR operator_email ILIKE '%olivia%'" }, []],
      [{ actor: 'ops_login' }, { app: 'false', console: "db_role = 'ops_login'" }, []],
      [{ action: 'tenant.suspend' }, { app: "action = 'tenant.suspend'", console: "action = 'tenant.suspend'" }, []],
      [{ resource: 'channel' }, { app: "resource = 'channel'", console: "split_part(action, '.', 1) = 'channel'" }, []],
      [{ resource: 'tenant' }, { app: "resource = 'tenant'", console: "split_part(action, '.', 1) = 'tenant'" }, []],
      [
        { from: '2025-06-03T00:00:00Z', to: '2025-06-07T00:00:00Z' },
        { app: "created_at >= '2025-06-03Z' AND created_at < '2025-06-07Z'", console: "at >= '2025-06-03Z' AND at < '2025-06-07Z'" },
        []
      ],
      [{ text: 'needle_X' }, { app: "details::text ILIKE '%needle\\_x%'", console: "concat_ws(' ', params::text, error) ILIKE '%needle\\_x%'" }, []],
      // % and _ are literal characters in the search, not wildcards.
      [{ text: '%' }, { app: "details::text LIKE '%\\%%'", console: "concat_ws(' ', params::text, error) LIKE '%\\%%'" }, []],
      [
        { tenantId: T.alpha, action: 'tenant.suspend', from: '2025-06-01T00:00:00Z', to: '2025-06-05T00:00:00Z', sources: ['app', 'console'] },
        {
          app: "tenant_id = $1 AND action = 'tenant.suspend' AND created_at >= '2025-06-01Z' AND created_at < '2025-06-05Z'",
          console: "tenant_id = $1 AND action = 'tenant.suspend' AND at >= '2025-06-01Z' AND at < '2025-06-05Z'"
        },
        [T.alpha]
      ]
    ]
    for (const [filter, where, params] of cases) {
      const got = keys(await all(filter, 4))
      const want = await expected(where, params)
      expect(got, JSON.stringify(filter)).toEqual(want)
    }
    // Known answers too: 12 rows of bravo; 'olivia' is the operator on 5 rows.
    expect(await all({ tenantId: T.bravo })).toHaveLength(12)
    expect(await all({ actor: 'Olivia' })).toHaveLength(5)
    expect(await fail('audit:list', { filter: { from: '2025-06-07T00:00:00Z', to: '2025-06-01T00:00:00Z' } })).toMatchObject({ code: 'INVALID_INPUT' })
    expect(await fail('audit:list', { cursor: 'not-a-cursor' })).toMatchObject({ code: 'INVALID_INPUT' })
    expect(await fail('audit:list', { filter: { tenantId: 'x' } })).toMatchObject({ code: 'INVALID_INPUT' })
    // An offset that pushes an edge date past year 9999 (or before year 1) is bad input, not a server error.
    expect(await fail('audit:list', { filter: { to: '9999-12-31T23:59:59-23:59' } })).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('9999') })
    expect(await fail('audit:list', { filter: { from: '0000-01-01T00:00:00+23:59' } })).toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('a row detail returns the whole row as stored', async () => {
    const [row] = (await call<AuditPage>('audit:list', { filter: { sources: ['app'] }, limit: 1 })).rows
    const d = await call<AuditDetail>('audit:get', { source: 'app', id: row!.id })
    expect(d.table).toBe('public.tenant_audit_logs')
    expect(d.row).toMatchObject({ id: row!.id, tenant_id: row!.tenantId, ip_address: '10.0.0.1', action: row!.action })
    expect(d.row.details).toBeTypeOf('object')
    const [op] = (await call<AuditPage>('audit:list', { filter: { sources: ['console'] }, limit: 1 })).rows
    expect((await call<AuditDetail>('audit:get', { source: 'console', id: op!.id })).row).toMatchObject({ db_role: 'ops_login' })
    expect(await fail('audit:get', { source: 'console', id: '999999' })).toMatchObject({ code: 'NOT_FOUND' })
    expect(await fail('audit:get', { source: 'app', id: '12' })).toMatchObject({ code: 'NOT_FOUND' })
  })

  it("a hard-deleted tenant's app trail is copied first and still shown afterwards", async () => {
    const before = await all({ tenantId: T.bravo, sources: ['app'] })
    expect(before).toHaveLength(12)
    await fakeVerifiedBackup(db.client, T.bravo)
    await call('lifecycle:hardDelete', { id: T.bravo, confirmSlug: 'bravo', expectedSchema: 'tenant_bravo' })
    const gone = await db.client.query(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1`, [T.bravo])
    expect(gone.rows[0].n).toBe(0)
    const after = await all({ tenantId: T.bravo })
    const archived = after.filter((r) => r.source === 'archive')
    // Same rows (ties at one instant may order differently: the archive has its own ids).
    const facts = (rows: AuditEntry[]) => rows.map((r) => [r.createdAt, r.action, r.userId, r.resource, r.resourceId].join('|')).sort()
    expect(facts(archived)).toEqual(facts(before))
    expect(archived.every((r) => r.tenantSlug === 'bravo' && !r.tenantExists)).toBe(true)
    // And the operator log's record of the delete itself.
    expect(after.some((r) => r.source === 'console' && r.action === 'tenant.hard_delete')).toBe(true)
    const d = await call<AuditDetail>('audit:get', { source: 'archive', id: archived[0]!.id })
    expect(d.row).toMatchObject({ ip_address: '10.0.0.1', _source_table: 'tenant_audit_logs', _tenant_slug: 'bravo' })
    // The original row, id and all (two rows share each instant, so find it by id).
    const original = before.find((r) => r.id === d.row.id)
    expect(original).toMatchObject({ createdAt: archived[0]!.createdAt, action: archived[0]!.action })
    // The archive is append-only.
    await expect(db.client.query(`DELETE FROM console.tenant_audit_archive`)).rejects.toThrow(/append-only/)
  })

  it('maintenance: the dry run counts what is then changed, in one transaction, on the operator log', async () => {
    for (const [job, n] of [['expired-invitations', 3], ['old-webhooks', 2]] as const) {
      const p = await call<MaintenancePreview>('maintenance:preview', { job })
      expect(p).toMatchObject({ available: true, count: n })
      expect(p.sample).toHaveLength(n)
      // A token not issued by this console, or for another job, is refused and changes nothing.
      const [, at, mac] = p.token.split('.')
      expect(await fail('maintenance:run', { job, token: `${n + 1}.${at}.${mac}` })).toMatchObject({ code: 'INVALID_INPUT' })
      expect(await fail('maintenance:run', { job: job === 'old-webhooks' ? 'expired-invitations' : 'old-webhooks', token: p.token })).toMatchObject({ code: 'INVALID_INPUT' })
      const r = await call<MaintenanceResult>('maintenance:run', { job, token: p.token })
      expect(r.affected).toBe(n)
      expect((await call<MaintenancePreview>('maintenance:preview', { job })).count).toBe(0)
    }
    const inv = await db.client.query(`SELECT count(*)::int AS n FROM public.tenant_invitations`)
    expect(inv.rows[0].n).toBe(2)
    const wh = await db.client.query(`SELECT count(*)::int AS n FROM public.stripe_webhooks`)
    expect(wh.rows[0].n).toBe(2)
    const log = await db.client.query(`SELECT action, params FROM console.operator_log WHERE action LIKE 'maintenance.%' ORDER BY id`)
    expect(log.rows.map((r) => [r.action, r.params.affected])).toEqual([
      ['maintenance.expired-invitations', 3],
      ['maintenance.old-webhooks', 2]
    ])
  })

  it("retire-cancelled: the CHECK rejects 'archived', so tenants stay cancelled and are marked retired; never a raw constraint error", async () => {
    // bravo is gone; make a tenant cancelled long ago, and one recently (charlie).
    await db.client.query(
      `INSERT INTO public.tenants (name, slug, status, owner_email, owner_name, schema_name, cancelled_at) VALUES ('Old', 'old-co', 'cancelled', 'o@x.example', 'O', 'tenant_old_co', now() - interval '91 days')`
    )
    const p = await call<MaintenancePreview>('maintenance:preview', { job: 'retire-cancelled' })
    expect(p.count).toBe(1)
    expect(p.sample.map((s) => s.slug)).toEqual(['old-co'])
    expect(p.explanation).toMatch(/CHECK.*'archived'|'archived'.*CHECK/)
    const r = await call<MaintenanceResult>('maintenance:run', { job: 'retire-cancelled', token: p.token })
    expect(r).toMatchObject({ affected: 1, mode: 'metadata.retiredAt' })
    const t = await db.client.query(`SELECT status, metadata FROM public.tenants WHERE slug = 'old-co'`)
    expect(t.rows[0].status).toBe('cancelled')
    expect(t.rows[0].metadata.retiredAt).toBeTruthy()
    // Idempotent: nothing left to retire.
    expect((await call<MaintenancePreview>('maintenance:preview', { job: 'retire-cancelled' })).count).toBe(0)
    // The guide's own statement fails on this CHECK, which is why the console does not run it.
    await expect(db.client.query(`UPDATE public.tenants SET status = 'archived' WHERE slug = 'old-co'`)).rejects.toThrow(/check constraint/)
  })

  it("retire-cancelled where the CHECK allows 'archived': the guide's UPDATE", async () => {
    const extra = await freshDatabase('audit_arch')
    try {
      await runMigrations(extra.client, await loadMigrations(join(ROOT, 'migrations')))
      await extra.client.query(`ALTER TABLE public.tenants DROP CONSTRAINT tenants_status_check`)
      await extra.client.query(`ALTER TABLE public.tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended', 'trial', 'cancelled', 'pending', 'archived'))`)
      await extra.client.query(
        `INSERT INTO public.tenants (name, slug, status, owner_email, owner_name, schema_name, cancelled_at) VALUES ('Old', 'old-co', 'cancelled', 'o@x.example', 'O', 'tenant_old_co', now() - interval '91 days')`
      )
      const c2 = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
      await c2.db.setTarget(targetFromUrl(extra.url))
      try {
        const p = await c2.maintenance.preview('retire-cancelled')
        expect(p.count).toBe(1)
        expect(await c2.maintenance.run('retire-cancelled', p.token)).toMatchObject({ affected: 1, mode: "status 'archived'" })
        expect((await extra.client.query(`SELECT status FROM public.tenants WHERE slug = 'old-co'`)).rows[0].status).toBe('archived')
      } finally {
        await c2.db.close()
      }
    } finally {
      await extra.close()
    }
  })

  it('CSV export of the current filter equals its pages; a closed dialog saves nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-csv-'))
    try {
      const file = join(dir, 'a.csv')
      answers.push(file)
      const filter: AuditFilterInput = { text: 'needle_x' }
      const r = await call<{ saved: boolean; rows: number; path: string }>('audit:exportCsv', { jobId: randomUUID(), filter })
      const pages = await all(filter)
      expect(r).toMatchObject({ saved: true, rows: pages.length, path: file })
      const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n')
      expect(lines[0]).toBe('source,id,created_at,tenant_id,tenant_slug,user_id,actor_name,actor_email,db_role,action,resource,resource_id,outcome,details')
      expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(pages.map((p) => `${p.source},${p.id},${p.createdAt}`))
      expect(lines.slice(1).every((l) => /needle_x/i.test(l))).toBe(true)
      // Closed dialog.
      expect(await call('audit:exportCsv', { jobId: randomUUID(), filter })).toMatchObject({ saved: false, path: null })
      expect(progress.at(-1)).toMatchObject({ state: 'done', rows: pages.length })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('support reads the audit; maintenance and indexes need admin', async () => {
    const role = `audit_support_${process.pid}`
    await db.client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw' IN ROLE nchat_console_support`)
    const url = new URL(db.url)
    url.username = role
    url.password = 'pw'
    const c2 = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
    await c2.db.setTarget(targetFromUrl(url.toString()))
    const reg2 = createRegistry(c2, handlers, () => true)
    try {
      const page = await reg2.invoke('audit:list', { filter: { tenantId: T.bravo } }, meta)
      expect(page.ok && (page.data as AuditPage).rows.length).toBeGreaterThan(0)
      const m = await reg2.invoke('maintenance:run', { job: 'old-webhooks', token: `0.0.${'0'.repeat(64)}` }, meta)
      expect(!m.ok && m.error.code).toBe('FORBIDDEN')
    } finally {
      await c2.db.close()
      await db.client.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`)
    }
  })

  it('keyset pages over 1,000,000 app rows + operator log while rows are inserted: none skipped, none repeated', async () => {
    await db.client.query(
      `INSERT INTO public.tenant_audit_logs (id, tenant_id, user_id, action, resource, details, created_at)
       SELECT gen_random_uuid(), $1, NULL, 'bulk.event', 'bulk', '{"k": 1}', timestamptz '2024-01-01Z' + make_interval(secs => (g / 4)::int)
         FROM generate_series(1, 1000000) g`,
      [T.alpha]
    )
    await db.client.query(
      `INSERT INTO console.operator_log (at, action, params) SELECT timestamptz '2024-01-01Z' + make_interval(secs => (g * 7)::int), 'bulk.op', '{}' FROM generate_series(1, 20000) g`
    )
    await db.client.query('ANALYZE public.tenant_audit_logs; ANALYZE console.operator_log')
    const start = await db.client.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM public.tenant_audit_logs) + (SELECT count(*) FROM console.operator_log) + (SELECT count(*) FROM console.tenant_audit_archive) AS n`
    )
    const total = Number(start.rows[0]!.n)
    // Rows keep arriving on another connection, in both sources, while we page down.
    const writer = new pg.Client({ connectionString: db.url })
    await writer.connect()
    let writing = true
    let inserted = 0
    const loop = (async () => {
      while (writing) {
        await writer.query(`INSERT INTO public.tenant_audit_logs (tenant_id, action, details) VALUES ($1, 'live.event', '{}')`, [T.alpha])
        await writer.query(`INSERT INTO console.operator_log (action) VALUES ('live.op')`)
        inserted += 2
      }
    })()
    const seen = new Set<string>()
    let dup = 0
    let seenBefore = 0
    let prev: AuditEntry | null = null
    let outOfOrder = 0
    let cursor: string | undefined
    let pages = 0
    try {
      for (;;) {
        const p: AuditPage = await call('audit:list', { cursor, limit: 1000 })
        pages++
        for (const r of p.rows) {
          const k = `${r.source}:${r.id}`
          if (seen.has(k)) dup++
          seen.add(k)
          if (r.action !== 'live.event' && r.action !== 'live.op') seenBefore++
          if (prev && prev.createdAt < r.createdAt) outOfOrder++
          prev = r
        }
        if (!p.nextCursor) break
        cursor = p.nextCursor
      }
    } finally {
      writing = false
      await loop
      await writer.end()
    }
    expect(dup).toBe(0)
    expect(outOfOrder).toBe(0)
    expect(inserted).toBeGreaterThan(0)
    // Every row that existed at the start was seen (new rows arrive above the cursor).
    expect(seenBefore).toBe(total)
    expect(pages).toBeGreaterThan(1000)
  }, 300_000)

  it('cancelling an export of the million rows stops it after its first chunk and leaves no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-cancel-'))
    try {
      const file = join(dir, 'all.csv')
      answers.push(file)
      const jobId = randomUUID()
      onProgress = (p) => {
        if (p.jobId === jobId && p.state === 'running') void registry.invoke('audit:cancelExport', { jobId }, meta)
      }
      const r = await call<{ saved: boolean; cancelled: boolean; rows: number; path: string | null }>('audit:exportCsv', { jobId, filter: {} })
      expect(r).toMatchObject({ saved: false, cancelled: true, path: null })
      expect(r.rows).toBeGreaterThan(0)
      expect(r.rows).toBeLessThan(1_000_000)
      expect(readdirSync(dir)).toEqual([])
      expect(progress.at(-1)).toMatchObject({ jobId, state: 'cancelled' })
    } finally {
      onProgress = null
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
