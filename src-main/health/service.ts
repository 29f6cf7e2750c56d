import type { AuditReport, FixApplied, HealthSummary, ParsedInputOf } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import { log } from '../core/logger'
import type { ConnectionManager } from '../db/connection'
import type { Platform } from '../platform'
import type { SessionService } from '../session'
import { runAudit } from './audit'

/** Hours within which a tenant's newest verified backup counts as recent (the guide's nightly run). */
export const RECENT_BACKUP_HOURS = 24

export class HealthService {
  private auditJob: { id: string; abort: AbortController } | null = null
  /** The latest audit of the current connection: fixes are taken from it, never from the renderer. */
  private lastAudit: { gen: number; report: AuditReport } | null = null

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    private readonly platform: Pick<Platform, 'emit'>
  ) {}

  async summary(): Promise<HealthSummary> {
    const layout = await this.session.layout()
    const hasTenants = layout.tenantColumns.has('id')
    const [server, tenants, webhook, backups] = await Promise.all([
      this.db.query<{ version: string; size: string; used: number; max: number }>(
        `SELECT current_setting('server_version') AS version, pg_database_size(current_database()) AS size,
                (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used,
                current_setting('max_connections')::int AS max`
      ),
      hasTenants
        ? this.db.query<{ total: number; active: number }>(`SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'active')::int AS active FROM public.tenants`)
        : null,
      layout.hasStripeWebhooks
        ? this.db.query<{ stripe_event_id: string; event_type: string; created_at: Date }>(
            `SELECT stripe_event_id, event_type, created_at FROM public.stripe_webhooks WHERE processed IS NOT TRUE ORDER BY created_at LIMIT 1`
          )
        : null,
      this.recentBackups(hasTenants)
    ])
    const s = server.rows[0]!
    const w = webhook?.rows[0]
    return {
      checkedAt: new Date().toISOString(),
      serverVersion: s.version,
      databaseSizeBytes: Number(s.size),
      connections: { used: s.used, max: s.max },
      tenants: { total: tenants?.rows[0]?.total ?? 0, active: tenants?.rows[0]?.active ?? 0 },
      oldestUnprocessedWebhook: !webhook ? 'unavailable' : w ? { eventId: w.stripe_event_id, eventType: w.event_type, receivedAt: new Date(w.created_at).toISOString() } : null,
      backups
    }
  }

  private async recentBackups(hasTenants: boolean): Promise<HealthSummary['backups']> {
    if (!hasTenants) return { available: false, reason: 'This database has no public.tenants table.' }
    const ok = await this.db.query<{ ok: boolean }>(`SELECT to_regclass('console.backup_catalog') IS NOT NULL AND has_table_privilege('console.backup_catalog', 'SELECT') AS ok`)
    if (!ok.rows[0]?.ok) return { available: false, reason: 'The console’s backup catalog is missing or not readable: apply the console migrations (Settings → Connections).' }
    const r = await this.db.query<{ without: number; total: number }>(
      `SELECT count(*) FILTER (WHERE NOT EXISTS (
                SELECT 1 FROM console.backup_catalog b
                 WHERE b.tenant_id = t.id AND b.status = 'succeeded' AND b.verified_at IS NOT NULL
                   AND b.finished_at > now() - make_interval(hours => $1)))::int AS without,
              count(*)::int AS total
         FROM public.tenants t WHERE t.status <> 'cancelled'`,
      [RECENT_BACKUP_HOURS]
    )
    return { available: true, hours: RECENT_BACKUP_HOURS, withoutRecentVerified: r.rows[0]!.without, ofTenants: r.rows[0]!.total }
  }

  /** The isolation and drift audit, as a job: progress on `health:progress`, cancellable. */
  async audit(input: ParsedInputOf<'health:audit'>): Promise<AuditReport> {
    const layout = await this.session.layout()
    const target = this.db.target
    if (!target) throw new AppError('DB_UNAVAILABLE', 'Not connected to a database.')
    if (this.auditJob) throw new AppError('CONFLICT', 'An audit is already running; wait for it or cancel it first.')
    const job = { id: input.jobId, abort: new AbortController() }
    this.auditJob = job
    const gen = this.db.gen
    try {
      const report = await runAudit(
        { db: this.db, layout, templateSchema: target.templateSchema, tenantPrefix: target.tenantPrefix, emit: (p) => this.platform.emit('health:progress', p) },
        input.jobId,
        job.abort.signal
      )
      if (!report.cancelled && this.db.gen === gen) this.lastAudit = { gen, report }
      return report
    } finally {
      if (this.auditJob === job) this.auditJob = null
    }
  }

  /**
   * Runs the fix SQL of one finding of the latest audit, in one transaction, recorded in
   * the operator log. A failure changes nothing and says so (without the SQL).
   */
  async applyFix(findingId: string): Promise<FixApplied> {
    const target = this.db.target
    const audit = this.lastAudit?.gen === this.db.gen ? this.lastAudit.report : null
    const finding = audit?.findings.find((f) => f.id === findingId)
    if (!target || !finding) throw new AppError('NOT_FOUND', 'This finding is not in the latest audit of this connection. Run the audit again, then apply its fix.')
    if (!finding.fixSql) throw new AppError('UNSUPPORTED', `There is no automatic fix for "${finding.title}". ${finding.advice}`)
    const statements = finding.fixSql.split('\n').filter((l) => l.trim() && !l.startsWith('--'))
    const partial = finding.fixSql.includes('\n-- … and the same for ')
    try {
      await this.db.tx(async (c) => {
        await c.query(`SET LOCAL lock_timeout = '10s'`)
        await c.query(finding.fixSql!)
        if ((await c.query<{ ok: boolean }>(`SELECT to_regclass('console.operator_log') IS NOT NULL AND has_table_privilege('console.operator_log', 'INSERT') AS ok`)).rows[0]?.ok) {
          await c.query(`INSERT INTO console.operator_log (operator_name, operator_email, action, params) VALUES ($1, $2, 'health.fix', $3)`, [
            target.operator.name,
            target.operator.email,
            JSON.stringify({ finding: finding.id, kind: finding.kind, title: finding.title, statements: statements.length, partial, schemas: finding.tenants.slice(0, 50).map((t) => t.schema) })
          ])
        }
      })
    } catch (e) {
      const code = (e as { code?: string }).code
      if (code === '42501') throw new AppError('FORBIDDEN', 'The connected role may not make this change (it needs to own the objects, or be a superuser). Nothing was changed.')
      log.warn('health fix failed', { finding: finding.id, code })
      throw new AppError('CONFLICT', `The fix failed and nothing was changed (PostgreSQL error ${code ?? 'unknown'}). The database may have changed since the audit: run the audit again.`)
    }
    // The finding is fixed (or partly): the next fix needs a new audit.
    this.lastAudit = null
    return { findingId, statements: statements.length, partial }
  }

  cancelAudit(jobId: string): { cancelled: boolean } {
    if (this.auditJob?.id !== jobId) return { cancelled: false }
    this.auditJob.abort.abort()
    return { cancelled: true }
  }
}
