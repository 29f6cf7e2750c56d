/**
 * Incident mode, the guide's "Schema isolation failure: suspend all tenants immediately":
 * every live tenant (active or trial) suspended in one transaction with the reason
 * security_incident, through the lifecycle's own suspend (its rules, its audit rows),
 * and exactly who was suspended recorded in console.incident_tenants (migration 0014).
 * "Reactivate those" later reactivates exactly that set: a tenant whose suspension is no
 * longer the incident's (reactivated, suspended again for another reason, cancelled,
 * deleted) is reported and left as it is. The app's cache is evicted for all of them in
 * one Redis connection after the commit.
 *
 * Admins only: the registry asks for the admin role, and the first write of an incident
 * goes to a table only the admin group may write.
 */
import type { IncidentPreview, IncidentRestoreItem, IncidentRestored, IncidentStarted, IncidentSummary } from '../../src-preload/contract'
import { incidentPhrase } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import type { ConnectionManager, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import { templateTenantReason } from '../domain/template-tenant'
import { evictTenantKeys, tenantCacheKeys, type LifecycleService, type Within } from '../lifecycle'

export const INCIDENT_REASON = 'security_incident'
const LIVE = ['active', 'trial']

export interface IncidentDeps {
  db: ConnectionManager
  layout: () => Promise<Layout>
  lifecycle: Pick<LifecycleService, 'transitionWithin'>
}

type Row = Record<string, unknown>
const obj = (v: unknown): Row => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : {})
const NO_REDIS = 'The profile has no Redis URL, so the app’s tenant cache was not evicted: the app may show the old state for up to an hour.'
const warningsOf = (redisUrl: string | null | undefined, warning: string | null): string[] => (!redisUrl ? [NO_REDIS] : warning ? [warning] : [])
const pgCode = (e: unknown): string | undefined => (e as { code?: string }).code

/** Database refusals in words: the admin group's table, one open incident at a time. */
function refusal(e: unknown): never {
  const code = pgCode(e)
  if (code === '42501') throw new AppError('FORBIDDEN', 'Incident mode needs the admin console role (nchat_console_admin); the database refused it for this login. Nothing was changed.')
  if (code === '23505') throw new AppError('CONFLICT', 'An incident is already open. Reactivate its tenants (which closes it) before starting another.')
  if (code === '42P01') throw new AppError('NOT_CONFIGURED', 'The console’s incident tables are missing: apply the console migrations (Settings → Connections).')
  throw e
}

export class Incidents {
  constructor(private readonly deps: IncidentDeps) {}

  private target() {
    const t = this.deps.db.target
    if (!t) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return t
  }

  private async live(db: Queryable, templateSchema: string): Promise<{ eligible: Row[]; skipped: { slug: string; reason: string }[] }> {
    const layout = await this.deps.layout()
    if (!layout.tenantColumns.has('status')) throw new AppError('UNSUPPORTED', 'This database has no public.tenants table, so there are no tenants to suspend.')
    const r = await db.query<Row>(
      `SELECT id::text AS id, slug, status${layout.tenantColumns.has('schema_name') ? ', schema_name' : ''} FROM public.tenants WHERE status = ANY($1) ORDER BY slug`,
      [LIVE]
    )
    const eligible: Row[] = []
    const skipped: { slug: string; reason: string }[] = []
    for (const t of r.rows) {
      // The lifecycle's own rule (it refuses these too); listed in the dry run.
      const why = templateTenantReason(String(t.schema_name ?? ''), templateSchema)
      if (why) skipped.push({ slug: String(t.slug), reason: why })
      else eligible.push(t)
    }
    return { eligible, skipped }
  }

  async summaries(db: Queryable, where: string, params: unknown[] = []): Promise<IncidentSummary[]> {
    const ok = await db.query<{ ok: boolean }>(`SELECT to_regclass('console.incidents') IS NOT NULL AND has_table_privilege('console.incidents', 'SELECT') AS ok`)
    if (!ok.rows[0]?.ok) return []
    const r = await db.query<{
      id: string
      opened_at: Date
      opened_by: string
      note: string | null
      tenants_suspended: number
      closed_at: Date | null
      closed_by: string | null
      pending: number
      reactivated: number
      changed: number
      gone: number
      refused: number
    }>(
      `SELECT i.id, i.opened_at, coalesce(nullif(i.opened_by_email, ''), i.opened_by_name, i.opened_db_role) AS opened_by, i.note, i.tenants_suspended,
              i.closed_at, coalesce(nullif(i.closed_by_email, ''), i.closed_by_name, i.closed_db_role) AS closed_by,
              count(*) FILTER (WHERE x.tenant_id IS NOT NULL AND x.outcome IS NULL)::int AS pending,
              count(*) FILTER (WHERE x.outcome = 'reactivated')::int AS reactivated,
              count(*) FILTER (WHERE x.outcome = 'changed')::int AS changed,
              count(*) FILTER (WHERE x.outcome = 'gone')::int AS gone,
              count(*) FILTER (WHERE x.outcome = 'refused')::int AS refused
         FROM console.incidents i LEFT JOIN console.incident_tenants x ON x.incident_id = i.id
        WHERE ${where} GROUP BY i.id ORDER BY i.opened_at DESC LIMIT 1`,
      params
    )
    return r.rows.map((x) => ({
      id: x.id,
      openedAt: new Date(x.opened_at).toISOString(),
      openedBy: x.opened_by,
      note: x.note,
      tenantsSuspended: x.tenants_suspended,
      closedAt: x.closed_at ? new Date(x.closed_at).toISOString() : null,
      closedBy: x.closed_by,
      pending: x.pending,
      outcomes: { reactivated: x.reactivated, changed: x.changed, gone: x.gone, refused: x.refused }
    }))
  }

  /** The dry run: how many tenants, by status, and what is open. Changes nothing. */
  async preview(): Promise<IncidentPreview> {
    const t = this.target()
    const { eligible, skipped } = await this.live(this.deps.db, t.templateSchema)
    const byStatus: Record<string, number> = {}
    for (const r of eligible) byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1
    const [open] = await this.summaries(this.deps.db, 'i.closed_at IS NULL')
    const [latest] = await this.summaries(this.deps.db, 'true')
    return { toSuspend: eligible.length, byStatus, skipped, confirmPhrase: incidentPhrase(eligible.length), open: open ?? null, latest: latest ?? null }
  }

  async start(input: { confirmPhrase: string; note?: string }): Promise<IncidentStarted> {
    const target = this.target()
    const note = input.note?.trim() || null
    const within: Within = { client: null as unknown as Queryable, rows: [] }
    const result = await this.deps.db
      .tx(async (c) => {
        // First write: only the admin group may, and only one incident may be open.
        const inc = await c.query<{ id: string }>(`INSERT INTO console.incidents (opened_by_name, opened_by_email, note) VALUES ($1, $2, $3) RETURNING id`, [
          target.operator.name,
          target.operator.email,
          note
        ])
        const incidentId = inc.rows[0]!.id
        const { eligible, skipped } = await this.live(c, target.templateSchema)
        if (input.confirmPhrase.trim() !== incidentPhrase(eligible.length)) {
          throw new AppError(
            'CONFLICT',
            `The confirmation does not match: ${eligible.length.toLocaleString('en-US')} tenants are live now. Type "${incidentPhrase(eligible.length)}" to suspend them. Nothing was changed.`,
            { toSuspend: eligible.length }
          )
        }
        within.client = c
        const suspended: { id: string; slug: string; previous: string; stamp: string | null }[] = []
        for (const t of eligible) {
          const id = String(t.id)
          try {
            const out = await this.deps.lifecycle.transitionWithin('suspend', id, within, { reason: INCIDENT_REASON, note: note ?? `Incident ${incidentId}` })
            if (!out.changed) continue
            const row = within.rows.at(-1)!
            suspended.push({ id, slug: out.slug, previous: String(t.status), stamp: (obj(obj(row.metadata).consoleSuspension).at as string | undefined) ?? null })
          } catch (e) {
            // A database error aborts the whole incident; a refusal of the rules is reported.
            if (!(e instanceof AppError)) throw e
            skipped.push({ slug: String(t.slug), reason: toAppError(e).message })
          }
        }
        await c.query(
          `INSERT INTO console.incident_tenants (incident_id, tenant_id, tenant_slug, previous_status, suspension_stamp)
           SELECT $1, u.id, u.slug, u.prev, u.stamp FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS u(id, slug, prev, stamp)`,
          [incidentId, suspended.map((s) => s.id), suspended.map((s) => s.slug), suspended.map((s) => s.previous), suspended.map((s) => s.stamp)]
        )
        await c.query(`UPDATE console.incidents SET tenants_suspended = $2 WHERE id = $1`, [incidentId, suspended.length])
        await c.query(
          `INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, params) VALUES ($1, $2, session_user, 'health.incident_start', $3)`,
          [target.operator.name, target.operator.email, JSON.stringify({ incidentId, reason: INCIDENT_REASON, note, suspended: suspended.length, skipped })]
        )
        return { incidentId, suspended, skipped }
      })
      .catch(refusal)
    const ev = await evictTenantKeys(target.redisUrl, cacheKeys(within.rows))
    const [incident] = await this.summaries(this.deps.db, 'i.id = $1', [result.incidentId])
    return { incident: incident!, suspended: result.suspended.length, skipped: result.skipped, evictedKeys: ev.evicted.length, warnings: warningsOf(target.redisUrl, ev.warning) }
  }

  /** "Reactivate those": exactly the incident's tenants whose suspension is still the incident's. */
  async restore(incidentId: string): Promise<IncidentRestored> {
    const target = this.target()
    const within: Within = { client: null as unknown as Queryable, rows: [] }
    const reported: IncidentRestoreItem[] = []
    let reactivated = 0
    await this.deps.db
      .tx(async (c) => {
        // Locks the incident (and, for anyone but the admin group, is refused by the database).
        const inc = await c.query<{ closed_at: Date | null }>(`UPDATE console.incidents SET closed_at = closed_at WHERE id = $1 RETURNING closed_at`, [incidentId])
        if (!inc.rows[0]) throw new AppError('NOT_FOUND', 'There is no such incident on this database.')
        if (inc.rows[0].closed_at) throw new AppError('CONFLICT', 'This incident is closed: its tenants were reactivated already.')
        const items = await c.query<{ tenant_id: string; tenant_slug: string; stamp: string | null; status: string | null; susp: Row | null }>(
          `SELECT x.tenant_id::text, x.tenant_slug, x.suspension_stamp AS stamp, t.status::text AS status,
                  ${(await this.deps.layout()).tenantColumns.has('metadata') ? `t.metadata -> 'consoleSuspension'` : 'NULL::jsonb'} AS susp
             FROM console.incident_tenants x LEFT JOIN public.tenants t ON t.id = x.tenant_id
            WHERE x.incident_id = $1 AND x.outcome IS NULL ORDER BY x.tenant_slug`,
          [incidentId]
        )
        within.client = c
        const outcomes: { id: string; outcome: string; detail: string }[] = []
        const report = (id: string, slug: string, outcome: IncidentRestoreItem['outcome'], detail: string) => {
          outcomes.push({ id, outcome, detail })
          if (outcome !== 'reactivated') reported.push({ tenantId: id, slug, outcome, detail })
        }
        for (const it of items.rows) {
          const s = obj(it.susp)
          if (it.status === null) report(it.tenant_id, it.tenant_slug, 'gone', 'The tenant no longer exists.')
          else if (it.status !== 'suspended') report(it.tenant_id, it.tenant_slug, 'changed', `It is ${it.status} now (changed since the incident); left as it is.`)
          else if (it.stamp !== null && (s.reason !== INCIDENT_REASON || s.at !== it.stamp)) {
            report(it.tenant_id, it.tenant_slug, 'changed', `It was suspended again since the incident (reason: ${String(s.reason ?? 'unknown')}); left suspended.`)
          } else {
            try {
              await this.deps.lifecycle.transitionWithin('reactivate', it.tenant_id, within, { reason: INCIDENT_REASON, note: `Incident ${incidentId} over` })
              reactivated++
              report(it.tenant_id, it.tenant_slug, 'reactivated', 'Reactivated.')
            } catch (e) {
              // A refusal of the lifecycle's rules (a lapsed trial needs a choice) is reported.
              if (!(e instanceof AppError)) throw e
              report(it.tenant_id, it.tenant_slug, 'refused', toAppError(e).message)
            }
          }
        }
        await c.query(
          `UPDATE console.incident_tenants x SET outcome = u.outcome, outcome_detail = u.detail, resolved_at = now()
             FROM unnest($2::uuid[], $3::text[], $4::text[]) AS u(id, outcome, detail) WHERE x.incident_id = $1 AND x.tenant_id = u.id`,
          [incidentId, outcomes.map((o) => o.id), outcomes.map((o) => o.outcome), outcomes.map((o) => o.detail)]
        )
        await c.query(
          `UPDATE console.incidents SET closed_at = now(), closed_by_name = $2, closed_by_email = $3, closed_db_role = session_user WHERE id = $1`,
          [incidentId, target.operator.name, target.operator.email]
        )
        await c.query(
          `INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, params) VALUES ($1, $2, session_user, 'health.incident_restore', $3)`,
          [target.operator.name, target.operator.email, JSON.stringify({ incidentId, reactivated, reported: reported.slice(0, 200) })]
        )
      })
      .catch(refusal)
    const ev = await evictTenantKeys(target.redisUrl, cacheKeys(within.rows))
    const [incident] = await this.summaries(this.deps.db, 'i.id = $1', [incidentId])
    return { incident: incident!, reactivated, reported, evictedKeys: ev.evicted.length, warnings: warningsOf(target.redisUrl, ev.warning) }
  }
}

function cacheKeys(rows: Row[]): string[] {
  return rows.flatMap((r) => tenantCacheKeys(String(r.slug ?? ''), [typeof r.custom_domain === 'string' ? r.custom_domain : null]))
}
