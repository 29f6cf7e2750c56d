import { useState } from 'react'
import type { ConsoleRole, TenantFilter } from '../../../../src-preload/contract'
import { call } from '../../api/bridge'
import { formatInt } from '../../lib/format'
import { TENANT_BULK_ACTIONS } from './bulkActions'
import type { TenantSelection } from './selection'

const RANK: Record<ConsoleRole, number> = { none: 0, support: 1, admin: 2 }

/**
 * What is selected and the bulk actions. When the whole page is ticked and more tenants
 * match, it offers "select all matching": the filter is kept (main resolves the ids when
 * an action runs), with the exact count read now.
 */
export function SelectionBar({
  selection,
  role,
  filter,
  total,
  totalExact,
  allOnPage
}: {
  selection: TenantSelection
  role: ConsoleRole
  filter: TenantFilter
  total: number
  totalExact: boolean
  allOnPage: boolean
}) {
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<string | null>(null)
  if (selection.count === 0) return null
  const actions = TENANT_BULK_ACTIONS.filter((a) => !a.minRole || RANK[role] >= RANK[a.minRole])
  const offer = !selection.matching && allOnPage && total > selection.count
  const selectAll = async () => {
    setLoading(true)
    setError(null)
    try {
      const preview = await call('tenants:matching', filter)
      selection.selectMatching({ filter, preview })
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setLoading(false)
    }
  }
  return (
    <div className="selection-bar" role="region" aria-label="Selected tenants" data-testid="selection-bar">
      <span data-testid="selection-count">
        {selection.matching ? (
          <>
            All <b>{formatInt(selection.count)}</b> matching tenant{selection.count === 1 ? '' : 's'} selected
          </>
        ) : (
          <>
            <b>{formatInt(selection.count)}</b> tenant{selection.count === 1 ? '' : 's'} selected
          </>
        )}
      </span>
      {offer && (
        <button type="button" className="btn-link" disabled={loading} onClick={() => void selectAll()} data-testid="select-all-matching">
          {loading ? 'Counting…' : `Select all ${totalExact ? '' : 'about '}${formatInt(total)} matching`}
        </button>
      )}
      {error && (
        <span className="bk-error small" role="alert">
          {error}
        </span>
      )}
      <div className="selection-actions">
        {actions.map((a) => (
          <span key={a.id}>{a.render(selection)}</span>
        ))}
      </div>
      <button type="button" className="btn-link" onClick={selection.clear}>
        Clear selection
      </button>
    </div>
  )
}
