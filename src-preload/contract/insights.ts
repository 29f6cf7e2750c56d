import { z } from 'zod'
import { Uuid } from './common'

/** The range selector of every chart: how many months back, the current month included. */
export const RANGE_MONTHS = [3, 6, 12, 24] as const
export type RangeMonths = (typeof RANGE_MONTHS)[number]
const Months = z.literal(RANGE_MONTHS).default(12)

export const OverviewInput = z.strictObject({ months: Months })
export const TenantUsageInput = z.strictObject({ id: Uuid, months: Months })
/** Refresh this month's usage from the tenant schemas: some tenants, or all of them. */
export const RefreshUsageInput = z.union([
  z.strictObject({ jobId: Uuid, tenantIds: z.array(Uuid).min(1).max(5000) }),
  z.strictObject({ jobId: Uuid, all: z.literal(true) })
])
export const RefreshCancelInput = z.strictObject({ jobId: Uuid })

/** The overview's charts; each one's numbers can be saved as CSV. */
export const OVERVIEW_CHARTS = ['status', 'plan', 'monthly', 'revenue', 'trials', 'limits'] as const
export type OverviewChart = (typeof OVERVIEW_CHARTS)[number]
export const OverviewCsvInput = z.strictObject({ chart: z.enum(OVERVIEW_CHARTS), months: Months })

export interface CsvSaved {
  /** false: the save dialog was closed. */
  saved: boolean
  rows: number
  /** The file the operator chose. */
  path: string | null
}

export interface CountBy {
  key: string
  count: number
}

/** One month of the fleet. Usage sums are null when no tenant reported that month. */
export interface FleetMonth {
  /** 'YYYY-MM' (UTC) */
  month: string
  created: number
  cancelled: number
  messagesSent: number | null
  storageBytes: number | null
  usersActive: number | null
  /** Tenants with a usage row for the month. */
  tenantsReporting: number
}

export interface MrrByPlan {
  plan: string
  tenants: number
  cents: number
}

export interface MrrEstimate {
  totalCents: number
  byPlan: MrrByPlan[]
  /** Which tenants and prices the estimate counts, in words. */
  basis: string
  /** Active tenants priced from metadata.monthlyPriceCents instead of the plan list. */
  overrides: number
}

export interface TrialEnding {
  id: string
  name: string
  slug: string
  plan: string
  trialEndsAt: string
}

export type LimitMetric = 'users' | 'storage' | 'apiCalls' | 'channels'

export interface LimitPressure {
  id: string
  name: string
  slug: string
  plan: string
  metric: LimitMetric
  used: number
  limit: number
  /** used / limit */
  ratio: number
  over: boolean
}

export interface FleetOverview {
  generatedAt: string
  months: RangeMonths
  /** The current usage period, 'YYYY-MM'. */
  period: string
  tenants: number
  byStatus: CountBy[]
  byPlan: CountBy[]
  monthly: FleetMonth[]
  mrr: MrrEstimate
  trialsEnding: TrialEnding[]
  /** Tenants at 80% or more of a limit this month (users, storage, API calls); worst first. */
  limits: { rows: LimitPressure[]; over: number; near: number; truncated: boolean }
  /** What could not be shown on this database, in words. */
  notes: string[]
}

/** A month of one tenant's usage; every counter null when the month has no row (a gap, not a zero). */
export interface UsageMonth {
  month: string
  reported: boolean
  usersActive: number | null
  usersTotal: number | null
  messagesSent: number | null
  messagesTotal: number | null
  filesCount: number | null
  storageBytes: number | null
  apiCalls: number | null
  callMinutes: number | null
}

export interface UsageLimits {
  /** null: unlimited (-1) or not set */
  maxUsers: number | null
  maxStorageBytes: number | null
  maxApiCallsPerMonth: number | null
}

export interface LimitCheck {
  /** What check_tenant_limits said, normalised: its `exceeded: null` means nothing is over. */
  exceeded: boolean
  source: 'check_tenant_limits' | 'computed'
  items: { metric: LimitMetric; used: number; limit: number; over: boolean }[]
}

export interface TenantUsageHistory {
  tenantId: string
  months: UsageMonth[]
  limits: UsageLimits
  /** API calls by endpoint over the range, most first. */
  apiByEndpoint: { endpoint: string; calls: number }[]
  check: LimitCheck
  notes: string[]
}

export type RefreshSkipReason = 'schema-missing' | 'schema-empty' | 'no-known-tables' | 'failed'

export interface RefreshProgress {
  jobId: string
  total: number
  done: number
  refreshed: number
  skipped: number
  state: 'running' | 'done' | 'cancelled' | 'failed'
}

export interface RefreshSummary {
  jobId: string
  period: string
  total: number
  refreshed: number
  cancelled: boolean
  /** Tenants not refreshed, and why: reported, not failed. */
  skipped: { id: string; slug: string; reason: RefreshSkipReason; detail: string }[]
  /** Which template tables the figures came from. */
  sources: { users: string | null; messages: string | null; files: string | null; channels: string | null }
  durationMs: number
}
