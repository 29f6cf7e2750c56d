import type { ComponentType, ReactNode } from 'react'
import type { ConsoleRole } from '../../../src-preload/contract'
import { IconAlert, IconArchive, IconBuilding, IconChart, IconKey, IconList, IconPulse } from '../components/icons'
import { AuditScreen } from '../features/audit/AuditScreen'
import { BillingScreen } from '../features/billing/BillingScreen'
import { HealthScreen } from '../features/health/HealthScreen'
import { OverviewScreen } from '../features/insights/OverviewScreen'
import { ProfilesScreen } from '../features/profiles/ProfilesScreen'
import { TenantsScreen } from '../features/tenants/TenantsScreen'
import { BackupsScreen } from '../features/backups/BackupsScreen'
import { IndexesScreen } from '../features/indexes/IndexesScreen'

/**
 * The console's screens, in nav order. Adding a screen is one entry here:
 *   { id: 'backups', label: 'Backups', icon: <IconArchive />, component: BackupsScreen }
 * The id is also the URL hash (#/backups), so a screen can be opened directly.
 */
export interface ScreenDef {
  id: string
  label: string
  icon: ReactNode
  component: ComponentType
  /** Hide the nav entry below this console role (the database still enforces it). */
  minRole?: ConsoleRole
  /** Optional group heading in the nav. */
  section?: string
}

export const SCREENS: ScreenDef[] = [
  { id: 'overview', label: 'Overview', icon: <IconChart />, component: OverviewScreen, section: 'Fleet' },
  { id: 'tenants', label: 'Tenants', icon: <IconBuilding />, component: TenantsScreen, section: 'Fleet' },
  { id: 'health', label: 'Health', icon: <IconPulse />, component: HealthScreen, section: 'Fleet', minRole: 'support' },
  { id: 'backups', label: 'Backups', icon: <IconArchive />, component: BackupsScreen, section: 'Fleet', minRole: 'support' },
  { id: 'audit', label: 'Audit', icon: <IconList />, component: AuditScreen, section: 'Fleet', minRole: 'support' },
  { id: 'billing', label: 'Billing', icon: <IconAlert />, component: BillingScreen, section: 'Fleet', minRole: 'support' },
  { id: 'connections', label: 'Connections', icon: <IconKey />, component: ProfilesScreen, section: 'Settings' },
  { id: 'indexes', label: 'Console indexes', icon: <IconList />, component: IndexesScreen, section: 'Settings', minRole: 'support' }
]

/** The home screen: the fleet at a glance. */
export const DEFAULT_SCREEN = 'overview'
