import type { HandlerMap } from '../registry'

/**
 * Tenant lifecycle. `minRole` is the first gate (support: suspend, reactivate, bulk;
 * admin: everything else); the database's own grants are the second (migrations 0003
 * and 0004), so a call that slips past the UI is still refused.
 */
export const lifecycleHandlers: HandlerMap<
  | 'lifecycle:capabilities'
  | 'lifecycle:create'
  | 'lifecycle:editable'
  | 'lifecycle:update'
  | 'lifecycle:suspend'
  | 'lifecycle:reactivate'
  | 'lifecycle:cancel'
  | 'lifecycle:restore'
  | 'lifecycle:deletePreview'
  | 'lifecycle:hardDelete'
  | 'lifecycle:bulk'
> = {
  'lifecycle:capabilities': { minRole: 'none', handle: (_input, ctx) => ctx.lifecycle.capabilities() },
  'lifecycle:create': { minRole: 'admin', handle: (input, ctx) => ctx.lifecycle.create(input) },
  'lifecycle:editable': { minRole: 'none', handle: (input, ctx) => ctx.lifecycle.editable(input.id) },
  'lifecycle:update': { minRole: 'admin', handle: (input, ctx) => ctx.lifecycle.update(input) },
  'lifecycle:suspend': { minRole: 'support', handle: (input, ctx) => ctx.lifecycle.suspend(input) },
  'lifecycle:reactivate': { minRole: 'support', handle: (input, ctx) => ctx.lifecycle.reactivate(input) },
  'lifecycle:cancel': { minRole: 'admin', handle: (input, ctx) => ctx.lifecycle.cancel(input) },
  'lifecycle:restore': { minRole: 'admin', handle: (input, ctx) => ctx.lifecycle.restore(input) },
  'lifecycle:deletePreview': { minRole: 'admin', handle: (input, ctx) => ctx.lifecycle.deletePreview(input.id) },
  'lifecycle:hardDelete': { minRole: 'admin', handle: (input, ctx) => ctx.lifecycle.hardDelete(input) },
  'lifecycle:bulk': { minRole: 'support', handle: (input, ctx) => ctx.lifecycle.bulk(input) }
}
