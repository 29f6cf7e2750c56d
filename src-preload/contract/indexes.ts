import { z } from 'zod'

/**
 * Indexes the console may create on the app's tables (one facility for every screen
 * that needs one: audit timeline, tenant directory, billing failures). Always an admin's
 * explicit action: CREATE INDEX CONCURRENTLY, named nchat_console_*, listed here and
 * removable, each step written to console.operator_log.
 */
export const INDEX_AREAS = ['audit', 'directory', 'billing'] as const
export type IndexArea = (typeof INDEX_AREAS)[number]

export const IndexListInput = z.strictObject({ area: z.enum(INDEX_AREAS).optional() })
export const IndexNameInput = z.strictObject({ name: z.string().min(1).max(63).regex(/^nchat_console_[a-z0-9_]+$/) })
/** Every index of one area the database lacks (the directory's slow-mode hint offers it). */
export const IndexAreaInput = z.strictObject({ area: z.enum(INDEX_AREAS) })

export interface IndexInfo {
  area: IndexArea
  name: string
  /** public.<table> */
  table: string
  /** The statement the console runs (CREATE INDEX CONCURRENTLY ...). */
  definition: string
  purpose: string
  /** Present and valid. */
  exists: boolean
  /** Present but invalid (a concurrent build that failed): creating it again replaces it. */
  invalid: boolean
  /** Size on disk when present. */
  sizeBytes: number | null
  /** Whether the connected login may create or drop it (owns the table, the database has what it needs). */
  canCreate: boolean
  reason: string | null
}

export interface IndexChange {
  name: string
  /** created / dropped: something changed; false: it was already so. */
  changed: boolean
  planBefore: string | null
  planAfter: string | null
  durationMs: number
}

/** Whether one area has every index it can use (the directory's fast or slow mode). */
export interface IndexAreaStatus {
  area: IndexArea
  ready: boolean
  missing: string[]
  /** Plain words: what is slow and how to leave the slow mode; null when ready. */
  hint: string | null
}
