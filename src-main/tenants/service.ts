import { MAX_MATCHING, type FleetFacets, type TenantCount, type TenantDetail, type TenantMatching, type TenantPage, type TenantFilter, type UsageMetric } from '../../src-preload/contract'
import type { ParsedInputOf } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import { templateTenantReason } from '../domain/template-tenant'
import type { ConnectionManager } from '../db/connection'
import type { Layout } from '../db/layout'
import { IndexService } from '../indexes'
import { exactTotal, fastSortable, listTenantsFast, matchingIds, statusCounts } from './fast'
import { getTenant, listTenants, newestVerifiedBackup, schemaFacts, type ListQuery } from './repository'
import type { SessionService } from '../session'

type FilterInput = ParsedInputOf<'tenants:count'>

/** Current usage period as the app writes it: the UTC month. */
export function currentPeriod(now = new Date()): string {
  return now.toISOString().slice(0, 7)
}

const GIB = 1024 ** 3
/** Below this many tenants slow mode is not worth a hint (a full read takes a few milliseconds). */
const SLOW_HINT_TENANTS = 1000

function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null
  const n = Number(v)
  return Number.isFinite(n) ? n : null
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v)
}

export class TenantDirectoryService {
  private notNull = new WeakMap<Layout, Set<string>>()
  private readonly indexes: IndexService

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    indexes?: IndexService
  ) {
    this.indexes = indexes ?? new IndexService(db, session)
  }

  /** NOT NULL columns of public.tenants (a nullable sort key needs its second, NULL branch). */
  private async tenantNotNull(layout: Layout): Promise<Set<string>> {
    let s = this.notNull.get(layout)
    if (!s) {
      const r = await this.db.query<{ a: string }>(
        `SELECT attname::text AS a FROM pg_attribute WHERE attrelid = to_regclass('public.tenants') AND attnum > 0 AND NOT attisdropped AND attnotnull`
      )
      s = new Set(r.rows.map((x) => x.a))
      this.notNull.set(layout, s)
    }
    return s
  }

  private async requireTenantsTable() {
    const layout = await this.session.layout()
    if (!layout.tenantColumns.has('id')) {
      throw new AppError('UNSUPPORTED', 'This database has no public.tenants table, so there is no tenant directory to show.')
    }
    return layout
  }

  /** More tenant rows than SLOW_HINT_TENANTS (the planner's figure; counted when the table was never analysed). */
  private async fleetIsLarge(): Promise<boolean> {
    const r = await this.db.query<{ n: number }>(
      `SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE (SELECT count(*) FROM public.tenants) END::float8 AS n
         FROM pg_class c WHERE c.oid = 'public.tenants'::regclass`
    )
    return (r.rows[0]?.n ?? 0) > SLOW_HINT_TENANTS
  }

  async list(input: ParsedInputOf<'tenants:list'>): Promise<TenantPage> {
    const layout = await this.requireTenantsTable()
    const q = this.query(layout, input)
    const status = await this.indexes.status('directory')
    if (status.ready && fastSortable(layout, input.sort)) {
      const r = await listTenantsFast(this.db, layout, { ...q, sort: input.sort, direction: input.direction, offset: input.offset, limit: input.limit, after: input.after ?? null }, await this.tenantNotNull(layout))
      return { rows: r.rows, total: r.total, totalExact: r.totalExact, offset: input.offset, limit: input.limit, next: r.next, mode: 'fast', slowHint: null }
    }
    // Slow mode: today's full scan, exact total. A keyset cursor is ignored: the offset the
    // renderer sends with it names the same page.
    const { rows, total } = await listTenants(this.db, layout, { ...q, sort: input.sort, direction: input.direction, offset: input.offset, limit: input.limit })
    // A full read of a small fleet takes milliseconds: the hint is for fleets where it costs.
    const hint = !(await this.fleetIsLarge())
      ? null
      : status.ready
        ? 'Sorting by this column reads every tenant (no index can serve it on this database); the other sorts are fast.'
        : status.hint
    return { rows, total, totalExact: true, offset: input.offset, limit: input.limit, next: null, mode: 'slow', slowHint: hint }
  }

  /** The filter as the repository takes it (statuses and plans checked against the catalog). */
  private query(layout: Layout, input: FilterInput): Omit<ListQuery, 'sort' | 'direction' | 'offset' | 'limit'> {
    const search = input.search?.trim() || null
    // Statuses and plans are whatever this database's CHECK constraints allow.
    const unknown = (values: string[] | undefined, allowed: string[]) =>
      allowed.length ? (values ?? []).filter((v) => !allowed.includes(v)) : []
    const badStatus = unknown(input.statuses, layout.statuses)
    if (badStatus.length) {
      throw new AppError('INVALID_INPUT', `Unknown status "${badStatus[0]}". This database allows: ${layout.statuses.join(', ')}.`)
    }
    const badPlan = unknown(input.plans, layout.plans)
    if (badPlan.length) {
      throw new AppError('INVALID_INPUT', `Unknown plan "${badPlan[0]}". This database allows: ${layout.plans.join(', ')}.`)
    }
    return {
      search,
      statuses: input.statuses?.length ? input.statuses : null,
      plans: input.plans?.length ? input.plans : null,
      period: currentPeriod(),
      noVerifiedBackupWithinHours: input.noVerifiedBackupWithinHours ?? null,
      createdMonth: input.createdMonth ?? null
    }
  }

  /** The exact number of tenants matching a filter (the directory's "exact count"). */
  async count(input: FilterInput): Promise<TenantCount> {
    const layout = await this.requireTenantsTable()
    const q = this.query(layout, input)
    return { total: await exactTotal(this.db, layout, { ...q, sort: 'name', direction: 'asc', offset: 0, limit: 1 }) }
  }

  /**
   * Every tenant id matching a filter, resolved here in chunks (select all matching: the
   * renderer sends the filter, never 100,000 ids). Refuses beyond `max`.
   */
  async resolveMatching(input: FilterInput, max: number = MAX_MATCHING.backup, chunk = 5000): Promise<string[]> {
    const layout = await this.requireTenantsTable()
    const q = { ...this.query(layout, input), sort: 'name' as const, direction: 'asc' as const, offset: 0, limit: 1 }
    const out: string[] = []
    for (;;) {
      const ids = await matchingIds(this.db, layout, q, out[out.length - 1] ?? null, chunk)
      out.push(...ids)
      if (out.length > max) {
        throw new AppError('INVALID_INPUT', `More than ${max.toLocaleString('en-US')} tenants match, more than this action takes at once. Narrow the search or filters and try again.`)
      }
      if (ids.length < chunk) return out
    }
  }

  /**
   * The ids behind a confirmed "select all matching": refused when the filter no longer
   * selects the number of tenants the operator confirmed (the fleet changed meanwhile).
   */
  async resolveConfirmed(filter: TenantFilter, expected: number, max: number): Promise<string[]> {
    const ids = await this.resolveMatching(filter as FilterInput, max)
    if (ids.length !== expected) {
      throw new AppError(
        'CONFLICT',
        `The selection changed: ${ids.length.toLocaleString('en-US')} tenants match now, ${expected.toLocaleString('en-US')} when you confirmed. Nothing was done; review the selection and confirm again.`
      )
    }
    return ids
  }

  /** What "select all matching" selects now: exact count, by status, the first few by name. */
  async matching(input: FilterInput): Promise<TenantMatching> {
    const layout = await this.requireTenantsTable()
    const q = { ...this.query(layout, input), sort: 'name' as const, direction: 'asc' as const, offset: 0, limit: 20 }
    const [byStatus, page] = await Promise.all([statusCounts(this.db, layout, q), listTenantsFast(this.db, layout, { ...q, after: null }, await this.tenantNotNull(layout))])
    return {
      total: byStatus.reduce((s, x) => s + x.count, 0),
      byStatus,
      sample: page.rows.map((r) => ({ id: r.id, name: r.name, slug: r.slug, status: r.status }))
    }
  }

  async facets(): Promise<FleetFacets> {
    const layout = await this.requireTenantsTable()
    return { statuses: layout.statuses, plans: layout.plans }
  }

  async get(id: string): Promise<TenantDetail> {
    const layout = await this.requireTenantsTable()
    const period = currentPeriod()
    const rec = await getTenant(this.db, layout, id, period)
    if (!rec) throw new AppError('NOT_FOUND', 'That tenant no longer exists. It may have been deleted by another operator.')
    const t = rec.row
    const schemaName = String(t.schema_name ?? '')
    const facts = schemaName ? await schemaFacts(this.db, schemaName) : { resolvedName: null, tableCount: null, sizeBytes: null }
    const newestBackup = await newestVerifiedBackup(this.db, layout, id)
    const limits = obj(t.limits)
    const u = rec.usage
    const limitOf = (k: string): number | null => num(limits?.[k])
    const storageLimitGb = limitOf('maxStorageGB')
    const usage: UsageMetric[] = [
      { key: 'users', label: 'Users', used: num(u?.users_total), limit: limitOf('maxUsers'), unit: 'count' },
      {
        key: 'storage',
        label: 'Storage',
        used: num(u?.storage_bytes),
        limit: storageLimitGb === null ? null : storageLimitGb === -1 ? -1 : storageLimitGb * GIB,
        unit: 'bytes'
      },
      { key: 'apiCalls', label: 'API calls this month', used: num(u?.api_calls_total), limit: limitOf('maxApiCallsPerMonth'), unit: 'count' },
      { key: 'messages', label: 'Messages sent', used: num(u?.messages_sent), limit: null, unit: 'count' },
      { key: 'files', label: 'Files', used: num(u?.files_count), limit: null, unit: 'count' }
    ]
    const features = obj(t.features)
    const meta = obj(t.metadata)
    return {
      id: String(t.id),
      name: String(t.name ?? ''),
      slug: String(t.slug ?? ''),
      status: String(t.status ?? ''),
      plan: str(t.billing_plan ?? t.plan),
      billingInterval: str(t.billing_interval),
      ownerEmail: str(t.owner_email),
      ownerName: str(t.owner_name),
      customDomain: str(t.custom_domain ?? rec.domains[0]?.domain),
      domains: rec.domains,
      templateTenant: templateTenantReason(schemaName, this.db.target?.templateSchema ?? 'nchat'),
      schemaName,
      resolvedSchemaName: facts.resolvedName,
      schemaExists: facts.resolvedName !== null,
      schemaTableCount: facts.tableCount,
      schemaSizeBytes: facts.sizeBytes,
      timestamps: {
        createdAt: str(t.created_at),
        updatedAt: str(t.updated_at),
        trialEndsAt: str(t.trial_ends_at),
        suspendedAt: str(t.suspended_at),
        cancelledAt: str(t.cancelled_at)
      },
      billing: {
        stripeCustomerId: str(t.stripe_customer_id ?? meta?.stripeCustomerId),
        stripeSubscriptionId: str(t.stripe_subscription_id ?? meta?.stripeSubscriptionId),
        stripePriceId: str(t.stripe_price_id),
        subscriptionStatus: str(meta?.stripeSubscriptionStatus),
        currentPeriodStart: str(t.current_period_start),
        currentPeriodEnd: str(t.current_period_end),
        cancelAtPeriodEnd: t.cancel_at_period_end === undefined ? null : Boolean(t.cancel_at_period_end),
        lastPaymentDate: str(t.last_payment_date),
        lastPaymentAmount: num(t.last_payment_amount),
        lastPaymentStatus: str(t.last_payment_status ?? meta?.lastPaymentStatus)
      },
      limits,
      features: features ? Object.fromEntries(Object.entries(features).map(([k, v]) => [k, Boolean(v)])) : null,
      branding: obj(t.branding),
      settings: rec.settings,
      metadata: meta,
      usagePeriod: period,
      usage,
      newestVerifiedBackup: newestBackup,
      updatedAt: str(t.updated_at)
    }
  }
}
