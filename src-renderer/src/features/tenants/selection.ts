import { useCallback, useMemo, useState } from 'react'
import type { TenantFilter, TenantMatching, TenantRow } from '../../../../src-preload/contract'

/** "Select all matching": the filter (main resolves the ids) and what it selected when chosen. */
export interface MatchingSelection {
  filter: TenantFilter
  preview: TenantMatching
}

/**
 * The tenants ticked in the directory, kept across pages (id → the row as last seen,
 * so a bulk action can show names and slugs without refetching), or every tenant
 * matching the directory's filter (never a list of ids in the renderer).
 */
export interface TenantSelection {
  readonly rows: ReadonlyMap<string, TenantRow>
  /** Set: every tenant matching this filter is selected (rows is then empty). */
  readonly matching: MatchingSelection | null
  readonly count: number
  selectMatching(m: MatchingSelection): void
  isSelected(id: string): boolean
  toggle(row: TenantRow): void
  /** Ticks (or unticks) every row given: "select all on page". */
  setMany(rows: readonly TenantRow[], selected: boolean): void
  clear(): void
}

export function useTenantSelection(): TenantSelection {
  const [rows, setRows] = useState<ReadonlyMap<string, TenantRow>>(() => new Map())
  const [matching, setMatching] = useState<MatchingSelection | null>(null)
  const toggle = useCallback((row: TenantRow) => {
    setMatching(null)
    setRows((prev) => {
      const next = new Map(prev)
      if (next.has(row.id)) next.delete(row.id)
      else next.set(row.id, row)
      return next
    })
  }, [])
  const setMany = useCallback((list: readonly TenantRow[], selected: boolean) => {
    setMatching(null)
    setRows((prev) => {
      const next = new Map(prev)
      for (const r of list) {
        if (selected) next.set(r.id, r)
        else next.delete(r.id)
      }
      return next
    })
  }, [])
  const clear = useCallback(() => {
    setMatching(null)
    setRows(new Map())
  }, [])
  const selectMatching = useCallback((m: MatchingSelection) => {
    setRows(new Map())
    setMatching(m)
  }, [])
  return useMemo(
    () => ({
      rows,
      matching,
      count: matching ? matching.preview.total : rows.size,
      isSelected: (id: string) => matching !== null || rows.has(id),
      toggle,
      setMany,
      clear,
      selectMatching
    }),
    [rows, matching, toggle, setMany, clear, selectMatching]
  )
}
