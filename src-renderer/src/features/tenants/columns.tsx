import type { ReactNode } from 'react'
import type { TenantRow, TenantSortKey } from '../../../../src-preload/contract'
import { PlanBadge, StatusPill } from '../../components/Pill'
import { formatBytes, formatDate, formatInt, formatRelative } from '../../lib/format'

export interface TenantColumn {
  key: TenantSortKey
  label: string
  /** The full name, when the header shows a shorter label (its tooltip). */
  title?: string
  /** CSS grid track. */
  width: string
  align?: 'right'
  /** Direction of the first click on this header. */
  firstDirection?: 'asc' | 'desc'
  cell(row: TenantRow): ReactNode
}

function DateCell({ iso }: { iso: string | null }) {
  if (!iso) return <span className="muted">—</span>
  return <span title={`${iso} (${formatRelative(iso)})`}>{formatDate(iso)}</span>
}

/** Backup freshness: how long ago the newest verified backup was taken. */
function BackupAgeCell({ iso }: { iso: string | null }) {
  if (!iso) return <span className="muted" title="No verified backup in the catalog">never</span>
  return <span title={`Newest verified backup taken ${iso}`}>{formatRelative(iso)}</span>
}

export const TENANT_COLUMNS: TenantColumn[] = [
  { key: 'name', label: 'Name', width: 'minmax(160px, 1.5fr)', cell: (r) => <span className="cell-name">{r.name}</span> },
  { key: 'slug', label: 'Slug', width: 'minmax(112px, 1fr)', cell: (r) => <span className="mono">{r.slug}</span> },
  { key: 'status', label: 'Status', width: '112px', cell: (r) => <StatusPill status={r.status} /> },
  { key: 'plan', label: 'Plan', width: '100px', cell: (r) => <PlanBadge plan={r.plan} /> },
  {
    key: 'ownerEmail',
    label: 'Owner email',
    width: 'minmax(160px, 1.4fr)',
    cell: (r) => (r.ownerEmail ? <span>{r.ownerEmail}</span> : <span className="muted">—</span>)
  },
  {
    key: 'customDomain',
    // "Custom domain" ran into "Users" at 1440 px; the tooltip keeps the full name.
    label: 'Domain',
    title: 'Custom domain',
    width: 'minmax(110px, 1fr)',
    cell: (r) => (r.customDomain ? <span className="mono">{r.customDomain}</span> : <span className="muted">—</span>)
  },
  {
    key: 'usersTotal',
    label: 'Users',
    width: '66px',
    align: 'right',
    firstDirection: 'desc',
    cell: (r) => <span className="num">{formatInt(r.usersTotal)}</span>
  },
  {
    key: 'storageBytes',
    label: 'Storage',
    width: '84px',
    align: 'right',
    firstDirection: 'desc',
    cell: (r) => <span className="num">{formatBytes(r.storageBytes)}</span>
  },
  { key: 'createdAt', label: 'Created', width: '108px', firstDirection: 'desc', cell: (r) => <DateCell iso={r.createdAt} /> },
  { key: 'trialEndsAt', label: 'Trial ends', width: '108px', cell: (r) => <DateCell iso={r.trialEndsAt} /> },
  {
    key: 'lastVerifiedBackupAt',
    // The newest verified backup (the cell's title says so); short enough for the grid.
    label: 'Last backup',
    width: '96px',
    cell: (r) => <BackupAgeCell iso={r.lastVerifiedBackupAt} />
  }
]

export const GRID_TEMPLATE = ['36px', ...TENANT_COLUMNS.map((c) => c.width)].join(' ')
