import { formatInt } from '../../lib/format'

/** "100,000", or "about 100,000" with the exact count one click away (large fleets). */
export function TotalLabel({ total, exact, asking, onExact }: { total: number; exact: boolean; asking: boolean; onExact(): void }) {
  if (exact) return <span data-testid="tenant-total">{formatInt(total)}</span>
  return (
    <>
      <span data-testid="tenant-total" title="An estimate: counting every matching tenant exactly reads them all">
        about {formatInt(total)}
      </span>{' '}
      <button type="button" className="btn-link small" disabled={asking} onClick={onExact} data-testid="exact-count">
        {asking ? 'counting…' : 'exact count'}
      </button>
    </>
  )
}

/** The directory without its console indexes: what that costs and how to leave it. */
export function SlowModeHint({ hint }: { hint: string }) {
  return (
    <div className="slow-hint" role="note" data-testid="slow-mode">
      <span>{hint}</span>{' '}
      <a href="#/indexes" className="btn-link">
        Open Console indexes
      </a>
    </div>
  )
}
