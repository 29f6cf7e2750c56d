import { IconChevronLeft, IconChevronRight, IconChevronsLeft, IconChevronsRight } from '../../components/icons'
import { formatInt } from '../../lib/format'

export const PAGE_SIZES = [25, 50, 100, 200] as const

export function Pagination({
  page,
  pageSize,
  total,
  totalExact = true,
  hasNext,
  onPage,
  onPageSize,
  fetching,
  failed = false
}: {
  page: number
  pageSize: number
  total: number
  /** false: total is an estimate ("about"); the last page is then reached with Next only. */
  totalExact?: boolean
  /** More rows follow this page (the server said so, or the exact total does). */
  hasNext?: boolean
  onPage(p: number): void
  onPageSize(s: number): void
  fetching: boolean
  /** The page could not be loaded: there is no count to show. */
  failed?: boolean
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize))
  const from = total === 0 ? 0 : page * pageSize + 1
  const to = totalExact ? Math.min(total, (page + 1) * pageSize) : page * pageSize + pageSize
  const about = totalExact ? '' : 'about '
  const canNext = hasNext ?? page < pages - 1
  return (
    <div className="pager" data-testid="pager">
      <div className="pager-range" aria-live="polite" data-testid="pager-range">
        {failed ? (
          '—'
        ) : total === 0 ? (
          'No tenants'
        ) : (
          <>
            <b>
              {formatInt(from)}–{formatInt(to)}
            </b>{' '}
            of <b>{about + formatInt(total)}</b>
          </>
        )}
        {fetching && <span className="spinner" aria-label="Loading" />}
      </div>
      <div className="pager-controls">
        <label className="pager-size">
          Rows per page
          <select value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))} aria-label="Rows per page">
            {PAGE_SIZES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <span className="pager-page">
          Page {formatInt(page + 1)} of {about + formatInt(pages)}
        </span>
        <div className="btn-group">
          <button type="button" className="icon-btn" aria-label="First page" disabled={page === 0} onClick={() => onPage(0)}>
            <IconChevronsLeft />
          </button>
          <button type="button" className="icon-btn" aria-label="Previous page" disabled={page === 0} onClick={() => onPage(page - 1)}>
            <IconChevronLeft />
          </button>
          <button type="button" className="icon-btn" aria-label="Next page" disabled={!canNext} onClick={() => onPage(page + 1)}>
            <IconChevronRight />
          </button>
          <button
            type="button"
            className="icon-btn"
            aria-label="Last page"
            title={totalExact ? undefined : 'The total is an estimate: ask for the exact count to jump to the last page'}
            disabled={!totalExact || page >= pages - 1}
            onClick={() => onPage(pages - 1)}
          >
            <IconChevronsRight />
          </button>
        </div>
      </div>
    </div>
  )
}
