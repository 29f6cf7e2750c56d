import type { ReactNode } from 'react'
import type { ConsoleRole } from '../../../../src-preload/contract'
import type { TenantSelection } from './selection'
import { BackupSelectionButton } from '../backups/BackupButtons'
import { BulkStatusButton } from '../lifecycle/BulkStatus'

/**
 * Actions shown in the bar that appears when tenants are ticked. Add one entry to
 * TENANT_BULK_ACTIONS, e.g. from features/lifecycle:
 *   { id: 'suspend', minRole: 'support', render: (sel) => <SuspendManyButton selection={sel} /> }
 * The component receives the live selection; it should call `selection.clear()` when done.
 */
export interface TenantBulkAction {
  id: string
  minRole?: ConsoleRole
  render(selection: TenantSelection): ReactNode
}

export const TENANT_BULK_ACTIONS: TenantBulkAction[] = [
  { id: 'suspend', minRole: 'support', render: (sel) => <BulkStatusButton selection={sel} action="suspend" /> },
  { id: 'reactivate', minRole: 'support', render: (sel) => <BulkStatusButton selection={sel} action="reactivate" /> },
  { id: 'backup', minRole: 'support', render: (sel) => <BackupSelectionButton selection={sel} /> }
]
