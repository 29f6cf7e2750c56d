/**
 * The app's DEFAULT_PLANS for the "030" layout (data-model.md section 3): prices in
 * cents, -1 = unlimited. The one place the console knows plan limits and features;
 * the demo generator and tenant creation both read it.
 *
 * Section 3 fixes prices, users, channels, storage, API calls and the per-minute
 * rate. The secondary limits (upload size, call participants, stream duration,
 * hourly rate) and which of the 21 feature flags each plan turns on are not
 * stated there: the values below are the console's defaults for them.
 */

import { FEATURE_KEYS, type FeatureKey } from '../../src-preload/contract/tenants'

export const PLAN_IDS = ['free', 'pro', 'enterprise', 'custom'] as const
export type PlanId = (typeof PLAN_IDS)[number]

export { FEATURE_KEYS, type FeatureKey }
export type PlanFeatures = Record<FeatureKey, boolean>

export interface PlanLimits {
  maxUsers: number
  maxChannels: number
  maxStorageGB: number
  maxApiCallsPerMonth: number
  rateLimitPerMinute: number
  maxFileUploadSizeMB: number
  maxCallParticipants: number
  maxStreamDurationMinutes: number
  rateLimitPerHour: number
}

export interface PlanDefinition {
  id: PlanId
  name: string
  /** cents */
  priceMonthly: number
  /** cents */
  priceYearly: number
  limits: PlanLimits
  features: PlanFeatures
}

export const UNLIMITED = -1

function features(on: readonly FeatureKey[]): PlanFeatures {
  const set = new Set<FeatureKey>(on)
  return Object.fromEntries(FEATURE_KEYS.map((k) => [k, set.has(k)])) as PlanFeatures
}

const BASIC: FeatureKey[] = ['publicChannels', 'privateChannels', 'directMessages', 'threads', 'reactions', 'fileUploads']
const PRO: FeatureKey[] = [
  ...BASIC,
  'voiceMessages',
  'videoCalls',
  'screenSharing',
  'slackIntegration',
  'githubIntegration',
  'webhooks',
  'auditLogs',
  'customBranding',
  'apiAccess'
]

export const PLANS: Readonly<Record<PlanId, PlanDefinition>> = {
  free: {
    id: 'free',
    name: 'Free',
    priceMonthly: 0,
    priceYearly: 0,
    limits: {
      maxUsers: 10,
      maxChannels: 5,
      maxStorageGB: 1,
      maxApiCallsPerMonth: 1_000,
      rateLimitPerMinute: 60,
      maxFileUploadSizeMB: 10,
      maxCallParticipants: 4,
      maxStreamDurationMinutes: 0,
      rateLimitPerHour: 1_000
    },
    features: features(BASIC)
  },
  pro: {
    id: 'pro',
    name: 'Pro',
    priceMonthly: 1_500,
    priceYearly: 15_000,
    limits: {
      maxUsers: 100,
      maxChannels: 50,
      maxStorageGB: 100,
      maxApiCallsPerMonth: 50_000,
      rateLimitPerMinute: 120,
      maxFileUploadSizeMB: 100,
      maxCallParticipants: 25,
      maxStreamDurationMinutes: 120,
      rateLimitPerHour: 5_000
    },
    features: features(PRO)
  },
  enterprise: {
    id: 'enterprise',
    name: 'Enterprise',
    priceMonthly: 9_900,
    priceYearly: 99_000,
    limits: {
      maxUsers: UNLIMITED,
      maxChannels: UNLIMITED,
      maxStorageGB: UNLIMITED,
      maxApiCallsPerMonth: UNLIMITED,
      rateLimitPerMinute: 300,
      maxFileUploadSizeMB: 1_000,
      maxCallParticipants: 100,
      maxStreamDurationMinutes: UNLIMITED,
      rateLimitPerHour: 15_000
    },
    features: features(FEATURE_KEYS)
  },
  custom: {
    id: 'custom',
    name: 'Custom',
    priceMonthly: 0,
    priceYearly: 0,
    limits: {
      maxUsers: UNLIMITED,
      maxChannels: UNLIMITED,
      maxStorageGB: UNLIMITED,
      maxApiCallsPerMonth: UNLIMITED,
      rateLimitPerMinute: 600,
      maxFileUploadSizeMB: UNLIMITED,
      maxCallParticipants: UNLIMITED,
      maxStreamDurationMinutes: UNLIMITED,
      rateLimitPerHour: 36_000
    },
    features: features(FEATURE_KEYS)
  }
}

export function isPlanId(v: unknown): v is PlanId {
  return typeof v === 'string' && (PLAN_IDS as readonly string[]).includes(v)
}

/** Price in cents for a plan and billing interval. */
export function planPrice(plan: PlanId, interval: 'monthly' | 'yearly'): number {
  return interval === 'yearly' ? PLANS[plan].priceYearly : PLANS[plan].priceMonthly
}
