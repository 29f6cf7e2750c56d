import type { TenantSelection } from '../tenants/selection'
import { useBackupTools, useExportMany, useExportTenant } from './queries'

/** Why no backup can be made here (tools missing, or a login row security would filter), or undefined. */
function useBackupBlock(): string | undefined {
  const tools = useBackupTools()
  return tools.data && !tools.data.ok ? tools.data.message ?? 'Backups are unavailable.' : undefined
}

/** "Back up" for one tenant: main asks the OS where to save; progress shows on the Backups screen. */
export function BackupTenantButton({ tenantId, small = true }: { tenantId: string; small?: boolean }) {
  const m = useExportTenant()
  const blocked = useBackupBlock()
  return (
    <span className="bk-inline">
      <button type="button" className={small ? 'btn btn-small' : 'btn'} disabled={m.isPending || Boolean(blocked)} title={blocked} onClick={() => m.mutate(tenantId)} data-testid="backup-tenant">
        {m.isPending ? 'Choosing file…' : 'Back up'}
      </button>
      {m.data && <span className="muted small"> Started: see Backups.</span>}
      {m.error && <span className="bk-error small" role="alert"> {m.error.message}</span>}
    </span>
  )
}

/** "Back up" for the directory's selection (one batch, a file per tenant). */
export function BackupSelectionButton({ selection }: { selection: TenantSelection }) {
  const m = useExportMany()
  const blocked = useBackupBlock()
  return (
    <span className="bk-inline">
      <button
        type="button"
        className="btn btn-small"
        disabled={m.isPending || Boolean(blocked)}
        title={blocked}
        data-testid="backup-selection"
        onClick={() =>
          m.mutate(
            selection.matching
              ? { matching: selection.matching.filter, expected: selection.matching.preview.total }
              : { tenantIds: [...selection.rows.keys()] },
            {
              onSuccess: (r) => {
                if (r) selection.clear()
              }
            }
          )
        }
      >
        Back up {selection.count.toLocaleString('en-US')}
      </button>
      {m.error && <span className="bk-error small" role="alert"> {m.error.message}</span>}
    </span>
  )
}
