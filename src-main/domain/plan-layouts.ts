/**
 * Plan defaults per tenancy layout. The 030 layout's plans are in plans.ts (data-model.md
 * section 3). The newer layout (the app's tenant_tables migration) has other plans (free,
 * starter, pro, business, enterprise) and other limit and feature keys: its column
 * defaults give the free plan, its default tenant the enterprise plan (all unlimited, all
 * on). The migration fixes nothing else, and neither the app's code nor the operators'
 * guide (shared/reference) states starter, pro or business: their values below are the
 * CONSOLE'S ASSUMPTION, set between those two. They are applied when a tenant is created on
 * or moved to such a plan; an operator overrides them per tenant with the edit's limit and
 * feature overrides (metadata.consoleOverrides, applied over the plan's values on later
 * plan changes too). README "Supported database layouts" says the same.
 *
 * Whatever the layout, an edit never drops a key the console does not know: a plan
 * change rewrites the keys of that layout's plan defaults and keeps every other key.
 */
import { FEATURE_KEYS, PLANS, isPlanId } from './plans'

export type LayoutKind = '030' | 'newer' | 'unknown'

export const NEWER_LIMIT_KEYS = [
  'maxUsers',
  'maxChannels',
  'maxStorageGB',
  'maxFileSizeMB',
  'maxApiCallsPerMonth',
  'maxBotsPerWorkspace',
  'maxWebhooksPerWorkspace'
] as const
export const NEWER_FEATURE_KEYS = [
  'customEmojis',
  'threads',
  'reactions',
  'fileSharing',
  'voiceCalls',
  'videoCalls',
  'screenSharing',
  'guestAccess',
  'sso',
  'apiAccess',
  'customBranding',
  'analytics',
  'auditLogs',
  'dataExport',
  'prioritySupport'
] as const

type NewerPlan = 'free' | 'starter' | 'pro' | 'business' | 'enterprise'
const U = -1
//                     users channels GB  fileMB  api/month bots webhooks
const NEWER_LIMITS: Record<NewerPlan, number[]> = {
  free: [5, 10, 1, 10, 10_000, 1, 3],
  starter: [25, 50, 10, 25, 50_000, 3, 10],
  pro: [100, 200, 100, 100, 250_000, 10, 25],
  business: [500, U, 500, 500, 1_000_000, 25, 100],
  enterprise: [U, U, U, U, U, U, U]
}
const FREE_ON = ['threads', 'reactions', 'fileSharing']
const STARTER_ON = [...FREE_ON, 'customEmojis', 'voiceCalls', 'guestAccess']
const PRO_ON = [...STARTER_ON, 'videoCalls', 'screenSharing', 'apiAccess', 'customBranding', 'analytics', 'dataExport']
const BUSINESS_ON = [...PRO_ON, 'sso', 'auditLogs', 'prioritySupport']
const NEWER_FEATURES_ON: Record<NewerPlan, readonly string[]> = {
  free: FREE_ON,
  starter: STARTER_ON,
  pro: PRO_ON,
  business: BUSINESS_ON,
  enterprise: NEWER_FEATURE_KEYS
}

export interface LayoutPlans {
  limitKeys: readonly string[]
  featureKeys: readonly string[]
  /** A plan's default limits and features on this layout, or null when the console has none. */
  defaults(plan: string): { limits: Record<string, number>; features: Record<string, boolean> } | null
}

function isNewerPlan(p: string): p is NewerPlan {
  return p in NEWER_LIMITS
}

const OLD: LayoutPlans = {
  limitKeys: Object.keys(PLANS.free.limits),
  featureKeys: FEATURE_KEYS,
  defaults: (p) => (isPlanId(p) ? { limits: { ...PLANS[p].limits }, features: { ...PLANS[p].features } } : null)
}

const NEWER: LayoutPlans = {
  limitKeys: NEWER_LIMIT_KEYS,
  featureKeys: NEWER_FEATURE_KEYS,
  defaults: (p) =>
    isNewerPlan(p)
      ? {
          limits: Object.fromEntries(NEWER_LIMIT_KEYS.map((k, i) => [k, NEWER_LIMITS[p][i]!])),
          features: Object.fromEntries(NEWER_FEATURE_KEYS.map((k) => [k, NEWER_FEATURES_ON[p].includes(k)]))
        }
      : null
}

export function plansFor(kind: LayoutKind): LayoutPlans {
  return kind === 'newer' ? NEWER : OLD
}

/**
 * Limits (or features) after an edit: every key of the row kept, the plan's defaults over
 * the keys the plan knows (when the console has defaults for it), the operator's
 * overrides on top.
 */
export function mergePlanValues<T>(current: Record<string, unknown>, planDefaults: Record<string, T> | null, overrides: Record<string, T>): Record<string, unknown> {
  return { ...current, ...(planDefaults ?? {}), ...overrides }
}
