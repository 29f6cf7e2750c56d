import type { ConsoleRole } from './common'

export interface SessionInfo {
  connected: boolean
  /** Profile shown in the title bar; null when none is selected. */
  profileName: string | null
  environment: string | null
  environmentColor: string | null
  databaseLabel: string | null
  serverVersion: string | null
  dbUser: string | null
  role: ConsoleRole
  /** What the connected database looks like (layout, what is missing). */
  layout: LayoutInfo | null
  /** When not connected: why, in words a person can act on. */
  problem: string | null
}

export interface LayoutInfo {
  kind: '030' | 'newer' | 'unknown'
  statuses: string[]
  plans: string[]
  hasStripeWebhooks: boolean
  hasInvitations: boolean
  auditTable: string | null
  migrationsApplied: boolean
  /** Plain-language notes on what the console cannot do on this database. */
  unsupported: string[]
}
