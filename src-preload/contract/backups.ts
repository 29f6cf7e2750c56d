import { z } from 'zod'
import { Uuid } from './common'
import { MAX_MATCHING, TenantFilter } from './tenants'

/** Per-tenant backups and restores. The renderer never sends a file path: main asks the OS. */

export const BACKUP_PHASES = [
  'preparing',
  'snapshot',
  'dumping',
  'splitting',
  'writing',
  'verifying',
  'safety-backup',
  'restoring',
  'done'
] as const
export type BackupPhase = (typeof BACKUP_PHASES)[number]
export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'partial'
export type JobKind = 'export' | 'batch' | 'restore' | 'verify'

/** Streamed on `backups:progress`. */
export interface BackupProgress {
  jobId: string
  kind: JobKind
  status: JobStatus
  phase: BackupPhase
  /** The tenant being worked on (batch: the current chunk's first tenant). */
  tenantSlug: string | null
  tablesDone: number
  tablesTotal: number
  bytes: number
  /** Batch only. */
  batchId: string | null
  tenantsDone: number
  tenantsFailed: number
  tenantsTotal: number
  /** Why it failed or was cancelled, in words. */
  message: string | null
  startedAt: string
}

/**
 * What a job is, for people: "Backup of acme", "Backup of 120 tenants", "Restore of acme",
 * "Deep verification of acme". Used by the job cards, notifications and refusals.
 */
export function describeJob(p: Pick<BackupProgress, 'kind' | 'tenantSlug' | 'tenantsTotal'>): string {
  const slug = p.tenantSlug ?? 'a tenant'
  switch (p.kind) {
    case 'batch':
      return `Backup of ${p.tenantsTotal.toLocaleString('en-US')} tenants`
    case 'restore':
      return `Restore of ${slug}`
    case 'verify':
      return `Deep verification of ${slug}`
    case 'export':
      return `Backup of ${slug}`
  }
}

export interface BackupRecord {
  id: string
  tenantId: string
  tenantSlug: string
  tenantSchema: string
  fileName: string
  /** Folder and file shown to the operator (main owns the path; the renderer only displays it). */
  filePath: string
  fileExists: boolean
  sizeBytes: number | null
  sha256: string | null
  pgDumpVersion: string | null
  serverVersion: string | null
  batchId: string | null
  kind: 'export' | 'batch' | 'safety'
  status: 'running' | 'succeeded' | 'failed' | 'cancelled'
  error: string | null
  startedAt: string
  finishedAt: string | null
  verifiedAt: string | null
  verification: 'quick' | 'deep' | null
  verifyError: string | null
  operatorName: string | null
  rowCounts: Record<string, number> | null
  /** The tenant's schema was missing when the backup was taken: the file holds its public rows only. */
  schemaMissing: boolean
}

export interface BatchSummary {
  id: string
  createdAt: string
  finishedAt: string | null
  directory: string
  status: 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled'
  total: number
  succeeded: number
  failed: number
  pending: number
  /** True when a console (this one or another on the same database) is running it now. */
  active: boolean
  failures: { tenantSlug: string; error: string }[]
}

export interface ToolStatus {
  ok: boolean
  pgDump: { path: string; version: string } | null
  pgRestore: { path: string; version: string } | null
  serverVersion: string | null
  message: string | null
}

export interface VerifyResult {
  backupId: string
  ok: boolean
  level: 'quick' | 'deep'
  message: string
  tables: { table: string; expected: number; found: number | null }[]
}

export interface RestoreResult {
  tenantId: string
  tenantSlug: string
  schema: string
  safetyBackupId: string | null
  tables: number
  rows: number
  warnings: string[]
}

export const BackupListInput = z.strictObject({
  tenantId: Uuid.optional(),
  batchId: Uuid.optional(),
  limit: z.number().int().min(1).max(500).default(100)
})
export const BackupExportInput = z.strictObject({ tenantId: Uuid })
export const BackupExportManyInput = z.union([
  z.strictObject({ all: z.literal(true) }),
  // 5,000 ids stay under the 256 KB request cap; larger fleets use { all: true }.
  z.strictObject({ tenantIds: z.array(Uuid).min(1).max(5000) }),
  // "Select all matching" in the directory: its filter, resolved in main; `expected` is the
  // count the operator saw (refused if the fleet changed since).
  z.strictObject({ matching: TenantFilter, expected: z.number().int().min(1).max(MAX_MATCHING.backup) })
])
export const BatchIdInput = z.strictObject({ batchId: Uuid })
export const JobIdInput = z.strictObject({ jobId: z.string().uuid() })
export const BackupIdInput = z.strictObject({ backupId: Uuid })
export const BackupVerifyInput = z.strictObject({ backupId: Uuid, deep: z.boolean().default(false) })
export const BackupRestoreInput = z.strictObject({
  /** A backup from the catalog, or null to pick a file with the OS open dialog (in main). */
  backupId: Uuid.nullable(),
  mode: z.enum(['same', 'copy']),
  /** For mode 'copy': the new tenant's slug. */
  newSlug: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,49}$/, 'lower-case letters, digits and hyphens, starting with a letter or digit')
    .optional(),
  newName: z.string().min(1).max(255).optional()
})

/** A started job; null when the operator closed the save dialog. */
export type JobStarted = { jobId: string; batchId: string | null } | null
