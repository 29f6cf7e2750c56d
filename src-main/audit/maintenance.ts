/**
 * The deployment guide's cleanup jobs, made safe: each has a dry run (count and a sample
 * of 20), runs in one transaction, refuses when the count changed since the dry run, and
 * is recorded in the operator log in that same transaction.
 *
 * The guide's monthly job sets status 'archived', which the tenants CHECK constraint of
 * the 030 layout rejects. The console reads the CHECK: when it allows 'archived', the job
 * does what the guide says; when it does not, the tenants stay 'cancelled' (the app
 * knows no other state for them) and are marked retired in metadata (retiredAt,
 * retiredBy), so the job is idempotent and a later hard delete still has its checks.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { MaintenanceJob, MaintenancePreview, MaintenanceResult } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import type { ConnectionManager, ConnectionTarget, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import type { SessionService } from '../session'

const SAMPLE = 20
const RETIRE_DAYS = 90
const WEBHOOK_DAYS = 30

interface JobSql {
  title: string
  explanation: string
  unavailable: string | null
  /** The rows the job changes (FROM ... WHERE ...), alias x. */
  scope: string
  sample: string
  /** The change, RETURNING x.id. */
  run: string
  mode: string | null
}

function jobSql(job: MaintenanceJob, layout: Layout): JobSql {
  const tc = layout.tenantColumns
  switch (job) {
    case 'expired-invitations':
      return {
        title: 'Delete expired, unaccepted invitations',
        explanation: 'Deletes invitations whose expires_at has passed and that were never accepted (the guide runs this daily).',
        unavailable: layout.hasInvitations ? null : 'This database has no public.tenant_invitations table (newer layout): there is nothing to clean.',
        scope: `FROM public.tenant_invitations x WHERE x.expires_at < now() AND x.accepted_at IS NULL`,
        sample: `SELECT x.id::text, x.tenant_id::text, t.slug::text AS tenant_slug, x.email::text, x.role::text, x.expires_at
                   FROM public.tenant_invitations x LEFT JOIN public.tenants t ON t.id = x.tenant_id
                  WHERE x.expires_at < now() AND x.accepted_at IS NULL ORDER BY x.expires_at LIMIT ${SAMPLE}`,
        run: `DELETE FROM public.tenant_invitations x WHERE x.expires_at < now() AND x.accepted_at IS NULL RETURNING x.id::text AS id`,
        mode: null
      }
    case 'old-webhooks':
      return {
        title: `Delete processed webhook rows older than ${WEBHOOK_DAYS} days`,
        explanation: `Deletes rows of public.stripe_webhooks that were processed and are older than ${WEBHOOK_DAYS} days (the guide runs this weekly). Unprocessed or failed events are kept.`,
        unavailable: layout.hasStripeWebhooks ? null : 'This database has no public.stripe_webhooks table (newer layout): there is nothing to clean.',
        scope: `FROM public.stripe_webhooks x WHERE x.created_at < now() - interval '${WEBHOOK_DAYS} days' AND x.processed = true`,
        sample: `SELECT x.id::text, x.stripe_event_id::text, x.event_type::text, x.tenant_id::text, x.created_at, x.processed_at
                   FROM public.stripe_webhooks x WHERE x.created_at < now() - interval '${WEBHOOK_DAYS} days' AND x.processed = true
                  ORDER BY x.created_at LIMIT ${SAMPLE}`,
        run: `DELETE FROM public.stripe_webhooks x WHERE x.created_at < now() - interval '${WEBHOOK_DAYS} days' AND x.processed = true RETURNING x.id::text AS id`,
        mode: null
      }
    case 'retire-cancelled': {
      const where = `x.status = 'cancelled' AND x.cancelled_at < now() - interval '${RETIRE_DAYS} days'`
      const sample = (extra: string) =>
        `SELECT x.id::text, x.slug::text, x.name::text, x.status::text, x.cancelled_at FROM public.tenants x WHERE ${where}${extra} ORDER BY x.cancelled_at LIMIT ${SAMPLE}`
      const base = { title: `Retire tenants cancelled more than ${RETIRE_DAYS} days ago` }
      if (!tc.has('cancelled_at') || !tc.has('status')) {
        return { ...base, explanation: '', unavailable: 'public.tenants has no cancelled_at column here: cancelled tenants cannot be dated.', scope: '', sample: '', run: '', mode: null }
      }
      if (layout.statuses.includes('archived')) {
        return {
          ...base,
          explanation: `Sets status 'archived' on tenants cancelled more than ${RETIRE_DAYS} days ago, as the deployment guide says (this database's status CHECK allows 'archived').`,
          unavailable: null,
          scope: `FROM public.tenants x WHERE ${where}`,
          sample: sample(''),
          run: `UPDATE public.tenants x SET status = 'archived' WHERE ${where} RETURNING x.id::text AS id, x.slug::text AS slug`,
          mode: "status 'archived'"
        }
      }
      const notRetired = ` AND NOT (coalesce(x.metadata, '{}'::jsonb) ? 'retiredAt')`
      return {
        ...base,
        explanation:
          `The deployment guide sets status 'archived', but this database's CHECK on tenants.status allows only ${layout.statuses.map((s) => `'${s}'`).join(', ')}, ` +
          `so the guide's UPDATE would fail. The console keeps these tenants 'cancelled' and marks them retired in their metadata (retiredAt, retiredBy); ` +
          'tenants already marked are left alone. Removing them for good stays a hard delete, with its backup check.',
        unavailable: tc.has('metadata') ? null : "public.tenants has no metadata column and its CHECK rejects 'archived': there is no correct way to mark a tenant retired here.",
        scope: `FROM public.tenants x WHERE ${where}${notRetired}`,
        sample: sample(notRetired),
        run: `UPDATE public.tenants x SET metadata = coalesce(x.metadata, '{}'::jsonb) || jsonb_build_object('retiredAt', now(), 'retiredBy', $1::text)
               WHERE ${where}${notRetired} RETURNING x.id::text AS id, x.slug::text AS slug`,
        mode: 'metadata.retiredAt'
      }
    }
  }
}

export class Maintenance {
  /** Signs dry runs: a run must come from a dry run of this console process. */
  private readonly secret = randomBytes(32)

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    private readonly clock: () => number = Date.now
  ) {}

  private sign(job: MaintenanceJob, count: number, at: number): string {
    return createHmac('sha256', this.secret).update(`${job}\u0000${count}\u0000${at}\u0000${this.db.gen}`).digest('hex')
  }

  /** The dry run's count, if the token is one this console issued for this job and connection, at most 15 minutes ago. */
  private countFromToken(job: MaintenanceJob, token: string): number {
    const [count, at, mac] = token.split('.') as [string, string, string]
    const expected = Buffer.from(this.sign(job, Number(count), Number(at)), 'hex')
    const given = Buffer.from(mac, 'hex')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError('INVALID_INPUT', 'This run does not come from a dry run of this console and connection: run the dry run again.')
    }
    if (this.clock() - Number(at) > DRY_RUN_TTL_MS) throw new AppError('CONFLICT', 'The dry run is older than 15 minutes: run it again before running the job.')
    return Number(count)
  }

  private target(): ConnectionTarget {
    const t = this.db.target
    if (!t) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return t
  }

  private async spec(job: MaintenanceJob): Promise<JobSql> {
    const layout = await this.session.layout()
    if (!layout.tenantColumns.has('id')) throw new AppError('UNSUPPORTED', 'This database has no public.tenants table, so there is nothing to maintain.')
    return jobSql(job, layout)
  }

  async preview(job: MaintenanceJob): Promise<MaintenancePreview> {
    this.target()
    const s = await this.spec(job)
    const head = { job, title: s.title, explanation: s.explanation }
    if (s.unavailable) return { ...head, available: false, unavailable: s.unavailable, count: 0, sample: [], token: '' }
    const [count, sample] = await Promise.all([
      this.db.query<{ n: string }>(`SELECT count(*)::bigint AS n ${s.scope}`),
      this.db.query<Record<string, unknown>>(s.sample)
    ])
    const rows = sample.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])))
    const n = Number(count.rows[0]!.n)
    const at = this.clock()
    return { ...head, available: true, unavailable: null, count: n, sample: rows, token: `${n}.${at}.${this.sign(job, n, at)}` }
  }

  async run(job: MaintenanceJob, token: string): Promise<MaintenanceResult> {
    const target = this.target()
    const expectedCount = this.countFromToken(job, token)
    const s = await this.spec(job)
    if (s.unavailable) throw new AppError('UNSUPPORTED', s.unavailable)
    const started = Date.now()
    try {
      return await this.db.tx(async (c) => {
        await ensureOperatorLog(c)
        const who = target.operator?.email || target.operator?.name || 'console'
        const r = await c.query<{ id: string; slug?: string }>(s.run, s.mode === 'metadata.retiredAt' ? [who] : [])
        const affected = r.rowCount ?? r.rows.length
        if (affected !== expectedCount) {
          throw new AppError('CONFLICT', `The dry run counted ${expectedCount} but ${affected} would change now: nothing was changed. Run the dry run again.`)
        }
        await c.query(
          `INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, params, outcome)
           VALUES ($1, $2, session_user, $3, $4, 'ok')`,
          [
            target.operator?.name ?? 'operator',
            target.operator?.email ?? '',
            `maintenance.${job}`,
            JSON.stringify({ affected, expectedCount, mode: s.mode, ids: r.rows.slice(0, 1000).map((x) => x.slug ?? x.id), idsTruncated: r.rows.length > 1000 })
          ]
        )
        return { job, affected, mode: s.mode, durationMs: Date.now() - started }
      })
    } catch (e) {
      if (e instanceof AppError) throw e
      const code = (e as { code?: string }).code
      if (code === '23514') {
        throw new AppError('CONFLICT', 'The database refused the change with a CHECK constraint (the tenants table does not allow that status). Nothing was changed.')
      }
      if (code === '42501') throw new AppError('FORBIDDEN', 'The connected database role may not change these rows: maintenance jobs need the admin console role.')
      throw toAppError(e)
    }
  }
}

/** How long a dry run stays good for running its job. */
const DRY_RUN_TTL_MS = 15 * 60_000

async function ensureOperatorLog(c: Queryable): Promise<void> {
  const r = await c.query<{ ok: boolean }>(`SELECT to_regclass('console.operator_log') IS NOT NULL AS ok`)
  if (!r.rows[0]?.ok) throw new AppError('NOT_CONFIGURED', "The console's migrations have not been applied here: maintenance jobs are recorded in the operator log, which they create.")
}
