import type { ConnectionManager, ConnectionTarget } from '../db/connection'
import type { Layout } from '../db/layout'
import type { ClonePlanCache } from './cloner'

/** What the parts of the lifecycle share (given by LifecycleService). */
export interface LifecycleEnv {
  db: ConnectionManager
  /** The selected database, or NOT_CONFIGURED. */
  target(): ConnectionTarget
  /** The layout, or UNSUPPORTED when there is no public.tenants to manage. */
  layout(): Promise<Layout>
  /** Clone plans of the current connection. */
  clonePlans(): ClonePlanCache
  readonly graceDays: number
  readonly trialDays: number
}
