import { writeFile } from 'node:fs/promises'
import type {
  CsvSaved,
  FleetMonth,
  FleetOverview,
  LimitCheck,
  LimitPressure,
  MrrByPlan,
  MrrEstimate,
  ParsedInputOf,
  RangeMonths,
  RefreshSummary,
  TenantUsageHistory,
  UsageMonth
} from '../../src-preload/contract'
import { AppError } from '../core/errors'
import type { ConnectionManager } from '../db/connection'
import type { Layout } from '../db/layout'
import { isPlanId, planPrice, UNLIMITED } from '../domain/plans'
import type { SessionService } from '../session'
import type { Platform } from '../platform'
import { overviewTable, toCsv } from './csv'
import { monthRange, monthStart, periodOf } from './months'
import * as q from './queries'
import { refreshUsage } from './refresh'

const GIB = 1024 ** 3
/** "Near" a limit: at 80% of it or more. */
export const NEAR_LIMIT = 0.8
const TRIAL_WINDOW_DAYS = 7
const MAX_PRESSURE_ROWS = 100

const n = (v: string | null | undefined): number | null => (v === null || v === undefined ? null : Number(v))
/** A limit as the app stores it: -1 is unlimited, absent is unknown; both mean "no line". */
const limitOrNull = (v: number | null): number | null => (v === null || v === UNLIMITED || v < 0 ? null : v)

export class InsightsService {
  /** The running usage refresh (one at a time per console). */
  private refreshJob: { id: string; abort: AbortController } | null = null

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    private readonly platform: Pick<Platform, 'emit' | 'saveDialog'>,
    private readonly opts: { clock?: () => Date; concurrency?: number } = {}
  ) {}

  private clock(): Date {
    return this.opts.clock?.() ?? new Date()
  }

  /** Computes this month's usage from the tenant schemas; progress on `insights:progress`. */
  async refresh(input: ParsedInputOf<'insights:refreshUsage'>): Promise<RefreshSummary> {
    const layout = await this.tenantsLayout()
    const target = this.db.target
    if (!target) throw new AppError('DB_UNAVAILABLE', 'Not connected to a database.')
    if (this.refreshJob) throw new AppError('CONFLICT', 'A usage refresh is already running; wait for it or cancel it first.')
    const job = { id: input.jobId, abort: new AbortController() }
    this.refreshJob = job
    try {
      const summary = await refreshUsage(
        {
          db: this.db,
          layout,
          templateSchema: target.templateSchema,
          clock: () => this.clock(),
          concurrency: this.opts.concurrency,
          emit: (p) => this.platform.emit('insights:progress', p),
          record: async (s) => {
            const ok = await this.db.query<{ ok: boolean }>(
              `SELECT to_regclass('console.operator_log') IS NOT NULL AND has_table_privilege('console.operator_log', 'INSERT') AS ok`
            )
            if (!ok.rows[0]?.ok) return
            await this.db.query(
              `INSERT INTO console.operator_log (operator_name, operator_email, action, params, outcome) VALUES ($1, $2, 'usage.refresh', $3, $4)`,
              [
                target.operator.name,
                target.operator.email,
                JSON.stringify({ period: s.period, total: s.total, refreshed: s.refreshed, skipped: s.skipped.length, cancelled: s.cancelled, sources: s.sources }),
                s.cancelled ? 'cancelled' : 'ok'
              ]
            )
          }
        },
        input.jobId,
        'all' in input ? { all: true } : { tenantIds: input.tenantIds },
        job.abort.signal
      )
      return summary
    } finally {
      if (this.refreshJob === job) this.refreshJob = null
    }
  }

  /** One chart's numbers as CSV, saved where the operator chooses in the native save dialog. */
  async exportCsv(input: ParsedInputOf<'insights:exportCsv'>): Promise<CsvSaved> {
    if (!this.platform.saveDialog) throw new AppError('UNSUPPORTED', 'Saving files is not available here.')
    const o = await this.overview({ months: input.months })
    const { header, rows } = overviewTable(o, input.chart)
    const path = await this.platform.saveDialog({
      title: 'Save chart data as CSV',
      defaultPath: `nchat-${input.chart}-${o.period}.csv`,
      filters: [{ name: 'CSV', extensions: ['csv'] }]
    })
    if (!path) return { saved: false, rows: rows.length, path: null }
    try {
      await writeFile(path, toCsv(header, rows), { encoding: 'utf8' })
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      throw new AppError('INVALID_INPUT', `The CSV could not be written there (${code ?? 'error'}). Choose another folder.`)
    }
    return { saved: true, rows: rows.length, path }
  }

  cancelRefresh(jobId: string): { cancelled: boolean } {
    if (this.refreshJob?.id !== jobId) return { cancelled: false }
    this.refreshJob.abort.abort()
    return { cancelled: true }
  }

  private async tenantsLayout(): Promise<Layout> {
    const layout = await this.session.layout()
    if (!layout.tenantColumns.has('id')) {
      throw new AppError('UNSUPPORTED', 'This database has no public.tenants table, so there is no fleet to chart.')
    }
    return layout
  }

  async overview(input: ParsedInputOf<'insights:overview'>): Promise<FleetOverview> {
    const layout = await this.tenantsLayout()
    const now = this.clock()
    const months = monthRange(now, input.months)
    const first = months[0]!
    const period = periodOf(now)
    const channelCounts = await q.hasChannelCounts(this.db)
    const [counts, lifecycle, usage, mrr, trials, pressure] = await Promise.all([
      q.countsBy(this.db, layout),
      q.lifecycleByMonth(this.db, layout, monthStart(first)),
      q.usageByMonth(this.db, layout, first),
      q.mrrRows(this.db, layout),
      q.trialsEnding(this.db, layout, now, TRIAL_WINDOW_DAYS),
      q.limitPressure(this.db, layout, period, NEAR_LIMIT, MAX_PRESSURE_ROWS, channelCounts)
    ])
    const monthly: FleetMonth[] = months.map((month) => {
      const l = lifecycle.get(month)
      const u = usage.get(month)
      return {
        month,
        created: l?.created ?? 0,
        cancelled: l?.cancelled ?? 0,
        messagesSent: u?.messagesSent ?? null,
        storageBytes: u?.storageBytes ?? null,
        usersActive: u?.usersActive ?? null,
        tenantsReporting: u?.reporting ?? 0
      }
    })
    const notes: string[] = []
    if (!layout.hasUsage) notes.push('This database has no tenant_usage table: usage, storage and limit charts are empty.')
    else if (!monthly.some((m) => m.tenantsReporting > 0)) {
      notes.push('No tenant reported usage in this range (the app does not write tenant_usage): use "Refresh usage" to compute this month from the tenant schemas.')
    }
    if (!layout.tenantColumns.has('cancelled_at')) notes.push('No cancelled_at column: cancellations per month cannot be counted.')
    const rows: LimitPressure[] = pressure.map((r) => ({
      id: r.id,
      name: r.name,
      slug: r.slug,
      plan: r.plan ?? '',
      metric: r.metric,
      used: Number(r.used),
      limit: Number(r.lim),
      ratio: Number(r.used) / Number(r.lim),
      over: Number(r.used) >= Number(r.lim)
    }))
    const total = pressure[0] ? Number(pressure[0].total) : 0
    return {
      generatedAt: now.toISOString(),
      months: input.months as RangeMonths,
      period,
      tenants: counts.status.reduce((s, c) => s + c.count, 0),
      byStatus: counts.status,
      byPlan: counts.plan,
      monthly,
      mrr: estimateMrr(mrr, notes),
      trialsEnding: trials.map((t) => ({ id: t.id, name: t.name, slug: t.slug, plan: t.plan ?? '', trialEndsAt: new Date(t.trial_ends_at).toISOString() })),
      limits: {
        rows,
        over: pressure[0] ? Number(pressure[0].over_count) : 0,
        near: pressure[0] ? Number(pressure[0].near_count) : 0,
        truncated: total > rows.length
      },
      notes
    }
  }

  async usage(input: ParsedInputOf<'insights:usage'>): Promise<TenantUsageHistory> {
    const layout = await this.tenantsLayout()
    const limits = await q.tenantLimits(this.db, layout, input.id)
    if (!limits.found) throw new AppError('NOT_FOUND', 'No tenant has this id; it may have been deleted.')
    const now = this.clock()
    const months = monthRange(now, input.months)
    const [rows, endpoints, fn] = await Promise.all([
      q.tenantUsage(this.db, layout, input.id, months[0]!),
      q.apiByEndpoint(this.db, layout, input.id, months[0]!),
      q.checkTenantLimits(this.db, input.id)
    ])
    const byPeriod = new Map(rows.map((r) => [r.period, r]))
    const series: UsageMonth[] = months.map((month) => {
      const r = byPeriod.get(month)
      return {
        month,
        reported: Boolean(r),
        usersActive: n(r?.users_active),
        usersTotal: n(r?.users_total),
        messagesSent: n(r?.messages_sent),
        messagesTotal: n(r?.messages_total),
        filesCount: n(r?.files_count),
        storageBytes: n(r?.storage_bytes),
        apiCalls: n(r?.api_calls_total),
        callMinutes: n(r?.calls_total_minutes)
      }
    })
    const lim = {
      maxUsers: limitOrNull(limits.users),
      maxStorageBytes: limitOrNull(limits.storageGB) === null ? null : limits.storageGB! * GIB,
      maxApiCallsPerMonth: limitOrNull(limits.apiCalls)
    }
    const current = series[series.length - 1]!
    const items: LimitCheck['items'] = []
    const add = (metric: LimitCheck['items'][number]['metric'], used: number | null, limit: number | null) => {
      if (used !== null && limit !== null) items.push({ metric, used, limit, over: used >= limit })
    }
    add('users', current.usersTotal, lim.maxUsers)
    add('storage', current.storageBytes, lim.maxStorageBytes)
    add('apiCalls', current.apiCalls, lim.maxApiCallsPerMonth)
    // check_tenant_limits answers `exceeded: null`, not false, when nothing is over.
    const check: LimitCheck = fn
      ? { exceeded: fn.exceeded === true, source: 'check_tenant_limits', items }
      : { exceeded: items.some((i) => i.over), source: 'computed', items }
    const notes: string[] = []
    if (!layout.hasUsage) notes.push('This database has no tenant_usage table.')
    else if (!series.some((m) => m.reported)) notes.push('No usage rows for this tenant in this range: "Refresh usage" computes this month from its schema.')
    return { tenantId: input.id, months: series, limits: lim, apiByEndpoint: endpoints, check, notes }
  }
}

/** Monthly recurring revenue from list prices (yearly / 12) and per-tenant overrides. */
export function estimateMrr(rows: q.MrrRow[], notes: string[]): MrrEstimate {
  const byPlan = new Map<string, MrrByPlan>()
  const unpriced = new Set<string>()
  let overrides = 0
  for (const r of rows) {
    const plan = r.plan ?? '(none)'
    const e = byPlan.get(plan) ?? { plan, tenants: 0, cents: 0 }
    const interval = r.interval === 'yearly' ? 'yearly' : 'monthly'
    e.tenants += r.listPriced + r.overrides
    e.cents += r.overrideCents
    overrides += r.overrides
    if (r.listPriced > 0) {
      if (isPlanId(plan)) e.cents += Math.round((planPrice(plan, interval) * r.listPriced) / (interval === 'yearly' ? 12 : 1))
      else unpriced.add(plan)
    }
    byPlan.set(plan, e)
  }
  if (unpriced.size) notes.push(`No list price is known for plan ${[...unpriced].sort().join(', ')}: those tenants count as 0 in the revenue estimate unless metadata.monthlyPriceCents is set.`)
  const list = [...byPlan.values()].sort((a, b) => b.cents - a.cents || a.plan.localeCompare(b.plan))
  return {
    totalCents: list.reduce((s, p) => s + p.cents, 0),
    byPlan: list,
    overrides,
    basis:
      'Active tenants only (trials, suspended and cancelled excluded), at the app’s list prices for their plan and billing interval (yearly ÷ 12); a tenant whose metadata has monthlyPriceCents counts at that price instead. Not what Stripe collected.'
  }
}
