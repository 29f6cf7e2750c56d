import { z } from 'zod'
import { Uuid } from './common'

/** The fleet's vital signs, one call. Each part says when this database cannot tell. */
export interface HealthSummary {
  checkedAt: string
  serverVersion: string
  databaseSizeBytes: number
  connections: { used: number; max: number }
  tenants: { total: number; active: number }
  /** null: no unprocessed webhook; unavailable: no stripe_webhooks table. */
  oldestUnprocessedWebhook: { eventId: string; eventType: string; receivedAt: string } | null | 'unavailable'
  backups:
    | { available: true; hours: number; withoutRecentVerified: number; ofTenants: number }
    | { available: false; reason: string }
}

export const AuditInput = z.strictObject({ jobId: Uuid })
export const AuditCancelInput = z.strictObject({ jobId: Uuid })
/** Runs the fix SQL of a finding of this connection's latest audit (admins, after confirming). */
export const ApplyFixInput = z.strictObject({ findingId: z.string().regex(/^[0-9a-f]{16}$/, 'is not a finding id') })

export interface FixApplied {
  findingId: string
  statements: number
  /** The fix covered the first schemas only (the rest: run the audit and the fix again). */
  partial: boolean
}

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info'

export type FindingKind =
  | 'schema-missing'
  | 'schema-empty'
  | 'orphan-schema'
  | 'schema-drift'
  | 'rls-disabled'
  | 'privileged-role'
  | 'public-create'
  | 'security-definer-search-path'
  | 'plan-drift'

export interface Finding {
  /** Stable for the same problem on the same objects (used to ask for its fix). */
  id: string
  kind: FindingKind
  severity: Severity
  title: string
  /** What is wrong, in words. */
  detail: string
  /** The tenants it touches (slug and schema), at most 200 listed; `tenantCount` is the full number. */
  tenants: { id: string | null; slug: string | null; schema: string }[]
  tenantCount: number
  /** The SQL that would fix it, for a person to read; null when there is no safe automatic fix. */
  fixSql: string | null
  /** What to do when there is no SQL fix (or before running it). */
  advice: string
}

export interface AuditProgress {
  jobId: string
  phase: 'catalog' | 'schemas' | 'security' | 'done' | 'cancelled' | 'failed'
  schemasDone: number
  schemasTotal: number
}

export interface AuditReport {
  jobId: string
  startedAt: string
  durationMs: number
  templateSchema: string
  schemasChecked: number
  cancelled: boolean
  findings: Finding[]
  /** What this database did not let the audit check, in words. */
  notes: string[]
}
