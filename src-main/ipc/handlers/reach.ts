import type { HandlerMap } from '../registry'

/** Reachability reads the tenant row, then only asks DNS and the app's hosts: support may run it. */
export const reachHandlers: HandlerMap<'reach:appEndpoint' | 'reach:tenant'> = {
  'reach:appEndpoint': { minRole: 'support', handle: (_input, ctx) => ctx.reach.appEndpoint() },
  'reach:tenant': { minRole: 'support', handle: (input, ctx) => ctx.reach.tenant(input.id) }
}
