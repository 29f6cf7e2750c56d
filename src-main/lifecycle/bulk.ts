/** The per-tenant results of a bulk lifecycle action, and their summary. */
import type { BulkItemResult, BulkOutcome } from '../../src-preload/contract'
import { toAppError } from '../core/errors'
import { log } from '../core/logger'

/** One tenant's failure: the error's code and message, and what the tenant was when known. */
export function failedItem(id: string, e: unknown): { item: BulkItemResult; dbDown: boolean } {
  const err = toAppError(e)
  if (err.code === 'INTERNAL') log.error('bulk lifecycle item failed', e)
  const cur = (err.details as { current?: { slug?: string; status?: string } } | undefined)?.current
  return { item: { id, slug: cur?.slug ?? null, outcome: 'failed', status: cur?.status ?? null, code: err.code, message: err.message }, dbDown: err.code === 'DB_UNAVAILABLE' }
}

export function bulkSummary(action: BulkOutcome['action'], results: BulkItemResult[], warnings: Set<string>): BulkOutcome {
  const count = (o: BulkItemResult['outcome']) => results.filter((r) => r.outcome === o).length
  return { action, changed: count('changed'), unchanged: count('unchanged'), failed: count('failed'), results, warnings: [...warnings] }
}
