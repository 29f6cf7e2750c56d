import { z } from 'zod'
import { SearchText, Uuid } from './common'

export const TENANT_STATUSES = ['active', 'trial', 'suspended', 'cancelled', 'pending'] as const
export type TenantStatus = (typeof TENANT_STATUSES)[number]

export const TENANT_SORT_KEYS = [
  'name',
  'slug',
  'status',
  'plan',
  'ownerEmail',
  'customDomain',
  'createdAt',
  'trialEndsAt',
  'usersTotal',
  'storageBytes',
  'lastVerifiedBackupAt'
] as const
export type TenantSortKey = (typeof TENANT_SORT_KEYS)[number]

const filterShape = {
  search: SearchText.optional(),
  // Status and plan values come from the database's CHECK constraints, so they are
  // validated as bounded identifiers here and against the catalog in main.
  statuses: z.array(z.string().regex(/^[a-z_]{1,30}$/)).max(10).optional(),
  plans: z.array(z.string().regex(/^[a-z_]{1,30}$/)).max(10).optional(),
  /** Only tenants with no verified backup taken in the last N hours (backup freshness). */
  noVerifiedBackupWithinHours: z.number().int().min(1).max(87_600).optional(),
  /** Only tenants created in this UTC month (the overview's month bars open the directory with it). */
  createdMonth: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month like 2026-03').optional()
}

/** Which tenants the directory shows: its search and filters (also "select all matching"). */
export const TenantFilter = z.strictObject(filterShape)
export type TenantFilter = z.input<typeof TenantFilter>

/** A keyset position: the sort key of the last row seen (as text; null: it had none) and its id. */
export const TenantCursorInput = z.strictObject({ key: z.string().max(600).nullable(), id: Uuid })
export type TenantCursor = z.infer<typeof TenantCursorInput>

export const TenantListInput = z.strictObject({
  ...filterShape,
  sort: z.enum(TENANT_SORT_KEYS).default('name'),
  direction: z.enum(['asc', 'desc']).default('asc'),
  /** Where this page starts: rows skipped (jump to page), or, with `after`, only the position shown. */
  offset: z.number().int().min(0).max(10_000_000).default(0),
  limit: z.number().int().min(1).max(200).default(50),
  /** The next page after this row (the previous page's `next`): same cost at any depth. Needs the same sort. */
  after: TenantCursorInput.optional()
})
export type TenantListInput = z.input<typeof TenantListInput>

export interface TenantRow {
  id: string
  name: string
  slug: string
  status: string
  plan: string | null
  ownerEmail: string | null
  customDomain: string | null
  schemaName: string
  createdAt: string | null
  trialEndsAt: string | null
  usersTotal: number | null
  storageBytes: number | null
  /** When the newest verified backup was taken (catalog), or null: none, or no catalog. */
  lastVerifiedBackupAt: string | null
}

export interface TenantPage {
  rows: TenantRow[]
  /** Matching tenants: exact when totalExact, else the planner's estimate (show it as "about"). */
  total: number
  totalExact: boolean
  offset: number
  limit: number
  /** Cursor of this page's last row when more rows follow (pass as `after`), else null. */
  next: TenantCursor | null
  /** fast: served by the console's indexes; slow: a full read of the tenants table. */
  mode: 'fast' | 'slow'
  /** Slow mode: why, and how to leave it (null in fast mode). */
  slowHint: string | null
}

export interface TenantCount {
  total: number
}

/** Most tenants one "select all matching" may act on, per action (main resolves the ids). */
export const MAX_MATCHING = { lifecycle: 5_000, backup: 100_000 } as const

/** "Select all matching": what the filter selects now, before the operator confirms. */
export interface TenantMatching {
  /** Exact. */
  total: number
  byStatus: { status: string; count: number }[]
  /** The first tenants by name, to show what is selected. */
  sample: { id: string; name: string; slug: string; status: string }[]
}

export const TenantGetInput = z.strictObject({ id: Uuid })

export interface UsageMetric {
  key: string
  label: string
  used: number | null
  limit: number | null // -1 = unlimited, null = no limit recorded
  unit: 'count' | 'bytes'
}

/** A row of the newer layout's tenant_domains. */
export interface TenantDomain {
  domain: string
  verified: boolean
  verifiedAt: string | null
  /** null when the table has no SSL column. */
  sslEnabled: boolean | null
  sslExpiresAt: string | null
  primary: boolean
}

export interface TenantDetail {
  id: string
  name: string
  slug: string
  status: string
  plan: string | null
  billingInterval: string | null
  ownerEmail: string | null
  ownerName: string | null
  customDomain: string | null
  /** Newer layout: every row of tenant_domains (with verification and SSL); [] elsewhere. */
  domains: TenantDomain[]
  /**
   * Set when this tenant's schema is the template (the newer layout's own default tenant,
   * single-tenant mode): why destructive actions are refused on it. null for other tenants.
   */
  templateTenant: string | null
  schemaName: string
  /** The schema as PostgreSQL stores it (the app created schemas unquoted, so lower-cased). */
  resolvedSchemaName: string | null
  schemaExists: boolean
  schemaTableCount: number | null
  schemaSizeBytes: number | null
  timestamps: Record<string, string | null>
  billing: Record<string, string | number | boolean | null>
  limits: Record<string, unknown> | null
  features: Record<string, boolean> | null
  branding: Record<string, unknown> | null
  settings: Record<string, unknown> | null
  metadata: Record<string, unknown> | null
  usagePeriod: string
  usage: UsageMetric[]
  /** The newest verified backup of this tenant in the console's catalog (null: none). */
  newestVerifiedBackup: VerifiedBackupRef | null
  updatedAt: string | null
}

export interface VerifiedBackupRef {
  id: string
  fileName: string
  /** When the backup was taken. */
  takenAt: string
  verifiedAt: string
  verification: 'quick' | 'deep' | null
}

export interface FleetFacets {
  statuses: string[]
  plans: string[]
}

/** The app's 21 feature flags (data-model.md section 3), in the app's order. */
export const FEATURE_KEYS = [
  'publicChannels',
  'privateChannels',
  'directMessages',
  'threads',
  'reactions',
  'fileUploads',
  'voiceMessages',
  'videoCalls',
  'screenSharing',
  'liveStreaming',
  'endToEndEncryption',
  'slackIntegration',
  'githubIntegration',
  'webhooks',
  'ssoEnabled',
  'auditLogs',
  'advancedAnalytics',
  'customBranding',
  'whiteLabel',
  'apiAccess',
  'prioritySupport'
] as const
export type FeatureKey = (typeof FEATURE_KEYS)[number]
