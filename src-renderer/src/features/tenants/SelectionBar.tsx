import type { ConsoleRole } from '../../../../src-preload/contract'
import { formatInt } from '../../lib/format'
import { TENANT_BULK_ACTIONS } from './bulkActions'
import type { TenantSelection } from './selection'

const RANK: Record<ConsoleRole, number> = { none: 0, support: 1, admin: 2 }

export function SelectionBar({ selection, role }: { selection: TenantSelection; role: ConsoleRole }) {
  if (selection.count === 0) return null
  const actions = TENANT_BULK_ACTIONS.filter((a) => !a.minRole || RANK[role] >= RANK[a.minRole])
  return (
    <div className="selection-bar" role="region" aria-label="Selected tenants" data-testid="selection-bar">
      <span>
        <b>{formatInt(selection.count)}</b> tenant{selection.count === 1 ? '' : 's'} selected
      </span>
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
