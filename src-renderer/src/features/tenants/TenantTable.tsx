import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef, type CSSProperties, type ReactNode } from 'react'
import type { TenantRow, TenantSortKey } from '../../../../src-preload/contract'
import { IconArrowDown, IconArrowUp } from '../../components/icons'
import { GRID_TEMPLATE, TENANT_COLUMNS } from './columns'
import type { TenantSelection } from './selection'

export const ROW_HEIGHT = 38
const HEADER_HEIGHT = 36

interface Props {
  rows: TenantRow[]
  sort: TenantSortKey
  direction: 'asc' | 'desc'
  onSort(key: TenantSortKey): void
  activeId: string | null
  onActivate(id: string): void
  selection: TenantSelection
  /** Rows are placeholders from the previous page while the next loads. */
  stale: boolean
  /** Rendered instead of rows (loading, empty, error). */
  overlay?: ReactNode
  total: number
  offset: number
}

function Checkbox({ checked, indeterminate = false, onChange, label }: { checked: boolean; indeterminate?: boolean; onChange(): void; label: string }) {
  const ref = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = indeterminate
  }, [indeterminate])
  return (
    <input
      ref={ref}
      type="checkbox"
      className="checkbox"
      checked={checked}
      aria-label={label}
      onChange={onChange}
      onClick={(e) => e.stopPropagation()}
    />
  )
}

export function TenantTable({ rows, sort, direction, onSort, activeId, onActivate, selection, stale, overlay, total, offset }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null)
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is the library's documented hook
  const virtualizer = useVirtualizer({
    count: overlay ? 0 : rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    scrollMargin: HEADER_HEIGHT
  })
  const activeIndex = activeId ? rows.findIndex((r) => r.id === activeId) : -1
  // Keep the open tenant in view; a new page without it starts at the top.
  const firstId = rows[0]?.id
  const shownFirst = useRef(firstId)
  useEffect(() => {
    const newPage = shownFirst.current !== firstId
    shownFirst.current = firstId
    if (activeIndex >= 0) virtualizer.scrollToIndex(activeIndex, { align: newPage ? 'center' : 'auto' })
    else if (newPage) scrollRef.current?.scrollTo({ top: 0 })
  }, [activeIndex, firstId, virtualizer])

  const selectedOnPage = rows.filter((r) => selection.isSelected(r.id)).length
  const allOnPage = rows.length > 0 && selectedOnPage === rows.length
  const gridStyle = { gridTemplateColumns: GRID_TEMPLATE } as CSSProperties

  return (
    <div
      className={`table${stale ? ' is-stale' : ''}`}
      role="grid"
      aria-label="Tenants"
      aria-rowcount={total + 1}
      aria-busy={stale || undefined}
      ref={scrollRef}
      data-testid="tenant-table"
    >
      <div className="thead" role="row" aria-rowindex={1} style={gridStyle}>
        <div className="th th-check" role="columnheader">
          <Checkbox
            checked={allOnPage}
            indeterminate={selectedOnPage > 0 && !allOnPage}
            onChange={() => selection.setMany(rows, !allOnPage)}
            label="Select all tenants on this page"
          />
        </div>
        {TENANT_COLUMNS.map((c) => {
          const sorted = sort === c.key
          return (
            <div
              key={c.key}
              className={`th${c.align === 'right' ? ' right' : ''}${sorted ? ' sorted' : ''}`}
              role="columnheader"
              aria-sort={sorted ? (direction === 'asc' ? 'ascending' : 'descending') : 'none'}
            >
              <button type="button" className="th-btn" onClick={() => onSort(c.key)} data-sort-key={c.key} title={c.title ?? c.label}>
                <span className="th-label">{c.label}</span>
                <span className="sort-ind" aria-hidden="true">
                  {sorted ? direction === 'asc' ? <IconArrowUp width={13} height={13} /> : <IconArrowDown width={13} height={13} /> : null}
                </span>
              </button>
            </div>
          )
        })}
      </div>
      {overlay ? (
        <div className="tbody-overlay">{overlay}</div>
      ) : (
        <div className="tbody" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((v) => {
            const row = rows[v.index]!
            const selected = selection.isSelected(row.id)
            const active = row.id === activeId
            return (
              <div
                key={row.id}
                role="row"
                aria-rowindex={offset + v.index + 2}
                aria-selected={active}
                data-row-id={row.id}
                data-index={v.index}
                className={`tr${active ? ' active' : ''}${selected ? ' checked' : ''}`}
                style={{ ...gridStyle, transform: `translateY(${v.start - HEADER_HEIGHT}px)`, height: ROW_HEIGHT }}
                onClick={() => onActivate(row.id)}
              >
                <div className="td td-check" role="gridcell">
                  <Checkbox checked={selected} onChange={() => selection.toggle(row)} label={`Select ${row.name}`} />
                </div>
                {TENANT_COLUMNS.map((c) => (
                  <div key={c.key} className={`td${c.align === 'right' ? ' right' : ''}`} role="gridcell" data-col={c.key}>
                    {c.cell(row)}
                  </div>
                ))}
              </div>
            )
          })}
        </div>
      )}
    </div>
  )
}

export function SkeletonRows({ count = 14 }: { count?: number }) {
  const gridStyle = { gridTemplateColumns: GRID_TEMPLATE } as CSSProperties
  return (
    <div className="skeleton-rows" aria-hidden="true" data-testid="table-skeleton">
      {Array.from({ length: count }, (_, i) => (
        <div key={i} className="tr tr-static" style={{ ...gridStyle, height: ROW_HEIGHT }}>
          <div className="td td-check">
            <span className="skel skel-box" />
          </div>
          {TENANT_COLUMNS.map((c, j) => (
            <div key={c.key} className={`td${c.align === 'right' ? ' right' : ''}`}>
              <span className="skel" style={{ width: `${45 + ((i * 7 + j * 13) % 45)}%` }} />
            </div>
          ))}
        </div>
      ))}
    </div>
  )
}
