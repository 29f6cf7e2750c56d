import { z } from 'zod'
import { Uuid } from './common'

/**
 * Fleet health, what an operator does with it: the deployment guide's security checklist
 * checked, incident mode (suspend every live tenant at once, and undo exactly that), and
 * orphan schemas adopted or backed up and dropped.
 */

/** Bounded text without NUL (PostgreSQL cannot store it). */
const Text = (max: number) => z.string().max(max).refine((v) => !v.includes('\u0000'), 'must not contain a NUL character')

// ---------------------------------------------------------------- the guide's checklist

export type CheckStatus = 'pass' | 'fail' | 'cannot-tell'

export interface ChecklistLine {
  /** Stable id of the line (e.g. "rls"). */
  id: string
  /** The line as the deployment guide words it. */
  line: string
  status: CheckStatus
  /** What the console looked at and saw, in words. */
  evidence: string
  /** False: the console has no way to check this line at all (listed, never passed). */
  verifiable: boolean
}

export interface Checklist {
  checkedAt: string
  lines: ChecklistLine[]
}

// ---------------------------------------------------------------- incident mode

/** The phrase to type: the number of tenants the dry run found, so a changed fleet is caught. */
export const incidentPhrase = (count: number): string => `SUSPEND ${count} TENANTS`

export interface IncidentSummary {
  id: string
  openedAt: string
  openedBy: string
  note: string | null
  tenantsSuspended: number
  closedAt: string | null
  closedBy: string | null
  /** Tenants of the incident not yet reactivated or reported. */
  pending: number
  outcomes: { reactivated: number; changed: number; gone: number; refused: number }
}

/** The dry run: who would be suspended, and what is open. */
export interface IncidentPreview {
  /** Live tenants (active and trial) that would be suspended. */
  toSuspend: number
  byStatus: Record<string, number>
  /** Live tenants the suspend rules refuse (the template's own tenant), with why. */
  skipped: { slug: string; reason: string }[]
  confirmPhrase: string
  /** The open incident, if one is: a second one cannot start until it is closed. */
  open: IncidentSummary | null
  /** The latest incident (open or closed). */
  latest: IncidentSummary | null
}

export const IncidentStartInput = z.strictObject({
  /** Must equal incidentPhrase(count of the dry run), typed by the admin. */
  confirmPhrase: Text(100),
  note: Text(1000).optional()
})

export interface IncidentStarted {
  incident: IncidentSummary
  suspended: number
  skipped: { slug: string; reason: string }[]
  evictedKeys: number
  warnings: string[]
}

export const IncidentRestoreInput = z.strictObject({ incidentId: Uuid })

export interface IncidentRestoreItem {
  tenantId: string
  slug: string
  outcome: 'reactivated' | 'changed' | 'gone' | 'refused'
  detail: string
}

export interface IncidentRestored {
  incident: IncidentSummary
  reactivated: number
  /** Everything not reactivated, with why (changed in between, gone, refused). */
  reported: IncidentRestoreItem[]
  evictedKeys: number
  warnings: string[]
}

// ---------------------------------------------------------------- orphan schemas

const SchemaName = Text(63).refine((v) => v.length > 0, 'is required')

export const OrphanAdoptInput = z.strictObject({
  schema: SchemaName,
  slug: Text(100),
  name: Text(255).refine((v) => v.trim().length > 0, 'is required'),
  ownerEmail: z.string().trim().max(255).email('must be an email address'),
  ownerName: Text(255).refine((v) => v.trim().length > 0, 'is required')
})

export interface OrphanAdopted {
  tenantId: string
  slug: string
  schema: string
  status: string
  plan: string | null
}

export const OrphanDropInput = z.strictObject({
  schema: SchemaName,
  /** The schema name typed again. */
  confirmSchema: Text(63)
})

export interface OrphanDropped {
  schema: string
  backupId: string
  backupFile: string
  tables: string[]
}

/** Derived values for the adopt form (editable). */
export interface OrphanSuggestion {
  schema: string
  slug: string
  name: string
  /** Why the derived slug cannot be used as it is, or null. */
  problem: string | null
  tables: number
}

export const OrphanSuggestInput = z.strictObject({ schema: SchemaName })
