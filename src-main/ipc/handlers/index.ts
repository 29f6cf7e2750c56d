import type { Channel } from '../../../src-preload/contract'
import type { Handler } from '../registry'
import { backupHandlers } from './backups'
import { insightHandlers } from './insights'
import { lifecycleHandlers } from './lifecycle'
import { profileHandlers } from './profiles'
import { sessionHandlers } from './session'
import { tenantHandlers } from './tenants'

/** Every channel of the contract must have exactly one handler: the type says so. */
export const handlers: { [C in Channel]: Handler<C> } = {
  ...sessionHandlers,
  ...tenantHandlers,
  ...lifecycleHandlers,
  ...profileHandlers,
  ...backupHandlers,
  ...insightHandlers
}
