import { z } from 'zod'
import { Uuid } from './common'

/**
 * The audit trail explorer: the app's tenant audit table, the copies of it the console
 * kept for hard-deleted tenants ('archive'), and the console's operator log, on one
 * timeline (newest first, keyset pages) or apart. Plus the deployment guide's
 * maintenance jobs and the indexes the audit needs.
 */
export const AUDIT_SOURCES = ['app', 'archive', 'console'] as const
export type AuditSource = (typeof AUDIT_SOURCES)[number]

const Text = (max: number) => z.string().trim().max(max)
/** An ISO instant with offset, whose UTC value stays within years 1 to 9999 (an offset can push an edge date out of range). */
const Instant = z.iso.datetime({ offset: true }).refine((s) => {
  const y = new Date(s).getUTCFullYear()
  return y >= 1 && y <= 9999
}, 'is outside the years 1 to 9999')

export const AuditFilter = z.strictObject({
  sources: z.array(z.enum(AUDIT_SOURCES)).min(1).max(3).default(['app', 'archive', 'console']),
  tenantId: Uuid.optional(),
  /** A user id (uuid), or part of an operator's name or email, or a database role. */
  actor: Text(320).optional(),
  /** Exact action name, e.g. tenant.suspend. */
  action: Text(100).optional(),
  /** Exact resource (the app's resource / entity type; for the operator log, the action's prefix). */
  resource: Text(100).optional(),
  /** created_at >= from */
  from: Instant.optional(),
  /** created_at < to */
  to: Instant.optional(),
  /** Case-insensitive text in the details (details/metadata/values, the operator log's params and error). */
  text: Text(200).optional()
})
export type AuditFilterInput = z.input<typeof AuditFilter>

export const AuditListInput = z.strictObject({
  filter: AuditFilter.default({ sources: ['app', 'archive', 'console'] }),
  /** Opaque: the nextCursor of the previous page. */
  cursor: z.string().max(400).optional(),
  limit: z.number().int().min(1).max(1000).default(50)
})
export const AuditGetInput = z.strictObject({ source: z.enum(AUDIT_SOURCES), id: z.string().min(1).max(64) })
export const AuditExportInput = z.strictObject({ jobId: Uuid, filter: AuditFilter })
export const AuditJobInput = z.strictObject({ jobId: Uuid })

export interface AuditEntry {
  source: AuditSource
  /** The row's id in its table, as text. */
  id: string
  createdAt: string
  tenantId: string | null
  /** From the tenant row, or (deleted tenants) from the operator log / archive. */
  tenantSlug: string | null
  /** false: no tenant row has this id any more. */
  tenantExists: boolean
  userId: string | null
  actorName: string | null
  actorEmail: string | null
  dbRole: string | null
  action: string
  resource: string | null
  resourceId: string | null
  /** Operator log only: ok, refused, failed, cancelled. */
  outcome: string | null
  /** A one-line summary of the details. */
  summary: string
}

export interface AuditPage {
  rows: AuditEntry[]
  /** null: the last page. */
  nextCursor: string | null
  /** Which table answers each source on this database (null: none). */
  tables: { app: string | null; archive: boolean; console: boolean }
  /** What cannot be shown here, in words. */
  notes: string[]
}

export interface AuditDetail {
  entry: AuditEntry
  /** The whole row as stored. */
  row: Record<string, unknown>
  table: string
}

export interface AuditExportProgress {
  jobId: string
  rows: number
  state: 'running' | 'done' | 'cancelled' | 'failed'
}

export interface AuditExportResult {
  saved: boolean
  cancelled: boolean
  rows: number
  path: string | null
}

/** The deployment guide's cleanup jobs. */
export const MAINTENANCE_JOBS = ['expired-invitations', 'retire-cancelled', 'old-webhooks'] as const
export type MaintenanceJob = (typeof MAINTENANCE_JOBS)[number]
export const MaintenancePreviewInput = z.strictObject({ job: z.enum(MAINTENANCE_JOBS) })
export const MaintenanceRunInput = z.strictObject({
  job: z.enum(MAINTENANCE_JOBS),
  /**
   * The dry run's token (MaintenancePreview.token): a run needs a dry run of this console,
   * of this connection, at most 15 minutes old, and is refused when the count changed since.
   */
  token: z.string().max(120).regex(/^\d{1,12}\.\d{1,16}\.[0-9a-f]{64}$/, 'is not a dry-run token')
})

export interface MaintenancePreview {
  job: MaintenanceJob
  title: string
  /** What the job does on this database, in words (including how 'archived' is handled). */
  explanation: string
  available: boolean
  /** Why not, when unavailable. */
  unavailable: string | null
  count: number
  /** Up to 20 rows that would change. */
  sample: Record<string, unknown>[]
  /** What maintenance:run needs to run exactly this (signed by main; empty when unavailable). */
  token: string
}

export interface MaintenanceResult {
  job: MaintenanceJob
  affected: number
  /** How retired tenants were marked: status 'archived' or metadata.retiredAt. */
  mode: string | null
  durationMs: number
}

/** Indexes the audit needs on the app's table, offered as an admin action. */
export const AuditIndexInput = z.strictObject({ name: z.string().min(1).max(63).regex(/^nchat_console_[a-z0-9_]+$/) })

export interface AuditIndexInfo {
  name: string
  table: string
  /** The statement the console runs (CREATE INDEX CONCURRENTLY ...). */
  definition: string
  purpose: string
  exists: boolean
  /** Whether the connected login may create it (owns the table). */
  canCreate: boolean
  reason: string | null
}

export interface AuditIndexResult {
  name: string
  created: boolean
  planBefore: string
  planAfter: string
}
