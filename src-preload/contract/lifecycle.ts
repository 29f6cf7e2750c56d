import { z } from 'zod'
import type { ConsoleRole } from './common'
import { Uuid } from './common'
import { MAX_MATCHING, TenantFilter } from './tenants'

/**
 * Tenant lifecycle: create, edit, suspend, reactivate, cancel, restore, hard delete,
 * bulk suspend/reactivate. Validation helpers here are pure so the renderer can show
 * problems while the operator types; main validates again.
 */

export const SUSPEND_REASONS = ['payment_failure', 'terms_violation', 'owner_request', 'security_incident', 'other'] as const
export type SuspendReason = (typeof SUSPEND_REASONS)[number]
export const SUSPEND_REASON_LABELS: Record<SuspendReason, string> = {
  payment_failure: 'Payment failure',
  terms_violation: 'Terms of service violation',
  owner_request: 'Owner request',
  security_incident: 'Security incident',
  other: 'Other (note required)'
}

export const LIFECYCLE_ACTIONS = ['create', 'edit', 'suspend', 'reactivate', 'cancel', 'restore', 'hardDelete', 'bulk'] as const
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number]

/** Slugs the app's router or the database reserve. */
export const RESERVED_SLUGS = [
  'www', 'api', 'app', 'apps', 'admin', 'administrator', 'root', 'system', 'sys', 'public', 'console', 'nchat',
  'template', 'templates', 'postgres', 'postgresql', 'pg', 'information-schema', 'mail', 'email', 'smtp', 'imap',
  'pop', 'ftp', 'ssh', 'static', 'assets', 'cdn', 'media', 'files', 'uploads', 'status', 'health', 'support', 'help',
  'docs', 'blog', 'billing', 'dashboard', 'auth', 'login', 'logout', 'signup', 'register', 'account', 'accounts',
  'graphql', 'hasura', 'webhook', 'webhooks', 'internal', 'localhost', 'tenant', 'tenants', 'default', 'null',
  'undefined', 'test', 'staging', 'dev', 'prod', 'production'
] as const

export const SLUG_MIN = 3
/** 63-byte identifier limit minus the shortest usual prefix ("tenant_"). */
export const SLUG_MAX = 56
const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

export type SlugCheck = { ok: true; slug: string; schemaName: string } | { ok: false; problem: string }

/** The schema a slug maps to: prefix + slug with hyphens as underscores. */
export function schemaNameFor(slug: string, prefix = 'tenant_'): string {
  return prefix + slug.replace(/-/g, '_')
}

export function checkSlug(slug: string, prefix = 'tenant_'): SlugCheck {
  if (typeof slug !== 'string' || slug.length === 0) return { ok: false, problem: 'Enter a slug.' }
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(slug)) {
    return { ok: false, problem: 'The slug may only use plain ASCII letters a–z, digits and hyphens (no accented or look-alike characters).' }
  }
  if (/[A-Z]/.test(slug)) return { ok: false, problem: `The slug must be lower case (did you mean "${slug.toLowerCase()}"?).` }
  if (!SLUG_RE.test(slug)) {
    return { ok: false, problem: 'The slug may contain lower-case letters, digits and single hyphens, and must start and end with a letter or digit.' }
  }
  if (slug.length < SLUG_MIN) return { ok: false, problem: `The slug must be at least ${SLUG_MIN} characters.` }
  const schemaName = schemaNameFor(slug, prefix)
  const max = Math.min(SLUG_MAX, 63 - new TextEncoder().encode(prefix).length)
  if (slug.length > max) return { ok: false, problem: `The slug must be at most ${max} characters (its schema name may not exceed 63 bytes).` }
  if ((RESERVED_SLUGS as readonly string[]).includes(slug) || slug.startsWith('pg-')) {
    return { ok: false, problem: `"${slug}" is reserved by the app or the database.` }
  }
  if (!/^[a-z_][a-z0-9_]*$/.test(schemaName)) return { ok: false, problem: 'The schema name derived from this slug is not a valid identifier.' }
  return { ok: true, slug, schemaName }
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/** A custom domain: a lower-case ASCII hostname with at least two labels. */
export function checkHostname(host: string): string | null {
  if (host.length === 0) return 'Enter a domain name.'
  if (host.length > 253) return 'A domain name is at most 253 characters.'
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(host)) return 'Use the ASCII (punycode, xn--) form of an international domain name.'
  if (/[A-Z]/.test(host)) return 'Write the domain in lower case.'
  const labels = host.split('.')
  if (labels.length < 2) return 'A custom domain needs at least two labels, like chat.example.com.'
  if (!labels.every((l) => HOST_LABEL.test(l))) return 'Each part of the domain may use letters, digits and inner hyphens only.'
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'An IP address is not a domain name.'
  return null
}

export const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/

export function checkAssetUrl(url: string): string | null {
  try {
    const u = new URL(url)
    if (u.protocol !== 'https:') return 'Use an https:// URL.'
    return null
  } catch {
    return 'Not a valid URL.'
  }
}

const Email = z
  .string()
  .trim()
  .max(255)
  .regex(/^[^\s@"<>]+@[^\s@"<>]+\.[^\s@"<>]+$/, 'Enter a valid email address.')
const PlanId = z.string().regex(/^[a-z_]{1,30}$/)
const Interval = z.enum(['monthly', 'yearly'])
const Note = z.string().trim().max(1000)

export const CreateTenantInput = z.strictObject({
  name: z.string().trim().min(1).max(255),
  slug: z.string().max(100),
  ownerEmail: Email,
  ownerName: z.string().trim().min(1).max(255),
  plan: PlanId,
  billingInterval: Interval.default('monthly'),
  trial: z.boolean().default(false)
})
export type CreateTenantInput = z.input<typeof CreateTenantInput>

export const BrandingInput = z.strictObject({
  appName: z.string().trim().max(100).nullable(),
  primaryColor: z.string().regex(HEX_COLOR, 'Use a colour like #1a73e8.').nullable(),
  secondaryColor: z.string().regex(HEX_COLOR, 'Use a colour like #1a73e8.').nullable(),
  logoUrl: z.string().trim().max(2048).nullable(),
  faviconUrl: z.string().trim().max(2048).nullable()
})
export type BrandingInput = z.infer<typeof BrandingInput>

const LimitKey = z.string().regex(/^[a-zA-Z]{1,40}$/)
export const UpdateTenantInput = z.strictObject({
  id: Uuid,
  /** The version the edit is based on (from lifecycle:editable). */
  version: z.string().min(1).max(64),
  name: z.string().trim().min(1).max(255).optional(),
  branding: BrandingInput.optional(),
  /** null clears it. */
  customDomain: z.string().trim().max(253).nullable().optional(),
  plan: PlanId.optional(),
  billingInterval: Interval.optional(),
  /** The complete set of overrides (replaces the previous set). */
  limitOverrides: z.record(LimitKey, z.number().int().min(-1).max(1_000_000_000_000)).optional(),
  featureOverrides: z.record(LimitKey, z.boolean()).optional()
})
export type UpdateTenantInput = z.input<typeof UpdateTenantInput>

const ExpectedStatus = z.string().regex(/^[a-z_]{1,30}$/).optional()

export const SuspendInput = z.strictObject({
  id: Uuid,
  reason: z.enum(SUSPEND_REASONS),
  note: Note.optional(),
  /** The status the operator saw: a different current status is a CONFLICT. */
  expectedStatus: ExpectedStatus
})
export type SuspendInput = z.input<typeof SuspendInput>

/**
 * Reactivate returns the tenant to the status it had before the suspension (a trial stays
 * a trial). When that trial has ended, the console refuses until the operator chooses:
 * returnTo 'active', or 'trial' (the trial restarts for the console's trial days).
 */
export const ReactivateInput = z.strictObject({ ...SuspendInput.shape, returnTo: z.enum(['active', 'trial']).optional() })
export type ReactivateInput = z.input<typeof ReactivateInput>

/**
 * How a cancelled tenant's Stripe subscription ends (issue 13, item 7): 'period_end'
 * (default) lets it run to the end of the period already paid and not renew; 'now' ends it
 * at once in Stripe. Recorded in the lifecycle's pending marker and carried out once by billing.
 */
export const SUBSCRIPTION_CANCEL_CHOICES = ['period_end', 'now'] as const
export type SubscriptionCancelChoice = (typeof SUBSCRIPTION_CANCEL_CHOICES)[number]
export const CancelInput = z.strictObject({
  id: Uuid,
  note: Note.optional(),
  expectedStatus: ExpectedStatus,
  subscription: z.enum(SUBSCRIPTION_CANCEL_CHOICES).default('period_end')
})
export type CancelInput = z.input<typeof CancelInput>

export const TenantIdInput = z.strictObject({ id: Uuid })

export const HardDeleteInput = z.strictObject({
  id: Uuid,
  /** What the operator typed; must equal the slug exactly. */
  confirmSlug: z.string().max(100),
  /** The schema shown in the preview; a different schema on the row refuses the delete. */
  expectedSchema: z.string().min(1).max(100),
  /** Needed to delete inside the grace period. */
  overrideReason: Note.optional()
})
export type HardDeleteInput = z.input<typeof HardDeleteInput>

export const BulkInput = z.union([
  z.strictObject({
    ids: z.array(Uuid).min(1).max(500),
    action: z.enum(['suspend', 'reactivate']),
    reason: z.enum(SUSPEND_REASONS),
    note: Note.optional()
  }),
  // "Select all matching": the directory's filter, resolved to ids in main; `expected` is
  // the count the operator confirmed (tenants:matching), refused if the fleet changed since.
  z.strictObject({
    matching: TenantFilter,
    expected: z.number().int().min(1).max(MAX_MATCHING.lifecycle),
    action: z.enum(['suspend', 'reactivate']),
    reason: z.enum(SUSPEND_REASONS),
    note: Note.optional()
  })
])
export type BulkInput = z.input<typeof BulkInput>

export interface ActionPermission {
  allowed: boolean
  /** Why not, in words; null when allowed. */
  reason: string | null
}

export interface PlanDefaults {
  limits: Record<string, number>
  features: Record<string, boolean>
}

/** What creating a tenant will do about its owner, decided from what the template and the database have. */
export interface CreateOwnerPlan {
  /** user: a row in the template's users table; invitation: a tenant_invitations row (role owner); none: not added. */
  mode: 'user' | 'invitation' | 'none'
  table: string | null
  message: string
}

export interface LifecycleCapabilities {
  role: ConsoleRole
  actions: Record<LifecycleAction, ActionPermission>
  reasons: { id: SuspendReason; label: string }[]
  plans: string[]
  planDefaults: Record<string, PlanDefaults>
  /** How a created tenant's owner is added (null when creating is not possible). */
  createOwner: CreateOwnerPlan | null
  graceDays: number
  baseDomain: string
  allowedDomains: string[] | null
  tenantPrefix: string
  templateSchema: string
  /** Plain-language notes on what is unavailable on this database. */
  notes: string[]
}

export interface LifecycleOutcome {
  tenantId: string
  slug: string
  status: string
  /** false: the tenant already was in the requested state (a no-op, not an error). */
  changed: boolean
  message: string
  /** Non-fatal problems, e.g. the Redis cache could not be evicted. */
  warnings: string[]
  /** Redis keys deleted after commit. */
  evictedKeys: string[]
}

export interface CreateOutcome extends LifecycleOutcome {
  schemaName: string
  timings: { totalMs: number; cloneMs: number; parityMs: number; ddlCached: boolean }
}

export interface EditableTenant {
  id: string
  slug: string
  status: string
  /** Opaque version of the row; send it back with an edit. */
  version: string
  name: string
  plan: string | null
  billingInterval: string | null
  customDomain: string | null
  branding: BrandingInput & { customCSS: string | null }
  limitOverrides: Record<string, number>
  featureOverrides: Record<string, boolean>
  limits: Record<string, unknown> | null
  features: Record<string, boolean> | null
  updatedAt: string | null
}

export interface DeletePreviewTable {
  name: string
  rows: number
  sizeBytes: number
}

export interface DeletePreview {
  tenantId: string
  slug: string
  status: string
  schemaName: string
  resolvedSchemaName: string | null
  tables: DeletePreviewTable[]
  totalRows: number
  totalBytes: number
  cancelledAt: string | null
  graceDays: number
  graceEndsAt: string | null
  insideGrace: boolean
  /** schemaMissing: the backup holds the public rows only (the schema was missing when it was taken). */
  backup: { id: string; fileName: string; finishedAt: string | null; verifiedAt: string | null; schemaMissing: boolean } | null
  /** Everything that prevents the delete now (the override reason lifts only the grace period). */
  blockers: string[]
  canDelete: boolean
}

export interface HardDeleteOutcome {
  tenantId: string
  slug: string
  schemaName: string
  droppedTables: string[]
  warnings: string[]
  evictedKeys: string[]
}

export interface BulkItemResult {
  id: string
  slug: string | null
  outcome: 'changed' | 'unchanged' | 'failed'
  status: string | null
  code: string | null
  message: string
}

export interface BulkOutcome {
  action: 'suspend' | 'reactivate'
  changed: number
  unchanged: number
  failed: number
  results: BulkItemResult[]
  warnings: string[]
}
