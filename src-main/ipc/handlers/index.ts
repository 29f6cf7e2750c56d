import type { Channel } from '../../../src-preload/contract'
import type { Handler } from '../registry'
import { auditHandlers } from './audit'
import { backupHandlers } from './backups'
import { healthHandlers } from './health'
import { healthOpsHandlers } from './health-ops'
import { billingHandlers } from './billing'
import { indexHandlers } from './indexes'
import { insightHandlers } from './insights'
import { lifecycleHandlers } from './lifecycle'
import { profileHandlers } from './profiles'
import { reachHandlers } from './reach'
import { sessionHandlers } from './session'
import { tenantHandlers } from './tenants'

/**
 * Every channel of the contract must have exactly one handler: the type says so.
 * One rule for all features: the handlers of src-preload/contract/<name>.ts live in
 * ipc/handlers/<name>.ts, one line per channel (minRole, then a call on the context's
 * service); they import nothing of main but the registry's types (checked by
 * dependency-cruiser, rule handlers-call-the-context).
 */
export const handlers: { [C in Channel]: Handler<C> } = {
  ...sessionHandlers,
  ...tenantHandlers,
  ...lifecycleHandlers,
  ...profileHandlers,
  ...backupHandlers,
  ...insightHandlers,
  ...healthHandlers,
  ...healthOpsHandlers,
  ...auditHandlers,
  ...billingHandlers,
  ...reachHandlers,
  ...indexHandlers
}
