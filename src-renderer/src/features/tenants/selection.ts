import { useCallback, useMemo, useState } from 'react'
import type { TenantRow } from '../../../../src-preload/contract'

/**
 * The tenants ticked in the directory, kept across pages (id → the row as last seen,
 * so a bulk action can show names and slugs without refetching).
 */
export interface TenantSelection {
  readonly rows: ReadonlyMap<string, TenantRow>
  readonly count: number
  isSelected(id: string): boolean
  toggle(row: TenantRow): void
  /** Ticks (or unticks) every row given: "select all on page". */
  setMany(rows: readonly TenantRow[], selected: boolean): void
  clear(): void
}

export function useTenantSelection(): TenantSelection {
  const [rows, setRows] = useState<ReadonlyMap<string, TenantRow>>(() => new Map())
  const toggle = useCallback((row: TenantRow) => {
    setRows((prev) => {
      const next = new Map(prev)
      if (next.has(row.id)) next.delete(row.id)
      else next.set(row.id, row)
      return next
    })
  }, [])
  const setMany = useCallback((list: readonly TenantRow[], selected: boolean) => {
    setRows((prev) => {
      const next = new Map(prev)
      for (const r of list) {
        if (selected) next.set(r.id, r)
        else next.delete(r.id)
      }
      return next
    })
  }, [])
  const clear = useCallback(() => setRows(new Map()), [])
  return useMemo(
    () => ({ rows, count: rows.size, isSelected: (id: string) => rows.has(id), toggle, setMany, clear }),
    [rows, toggle, setMany, clear]
  )
}
