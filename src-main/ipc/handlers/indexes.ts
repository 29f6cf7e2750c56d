import type { HandlerMap } from '../registry'

/** Listing the console's indexes is support and up; creating and dropping them is admin. */
export const indexHandlers: HandlerMap<'indexes:list' | 'indexes:status' | 'indexes:create' | 'indexes:drop'> = {
  'indexes:list': { minRole: 'support', handle: (input, ctx) => ctx.indexes.list(input.area) },
  'indexes:status': { minRole: 'none', handle: (input, ctx) => ctx.indexes.status(input.area) },
  'indexes:create': { minRole: 'admin', handle: (input, ctx) => ctx.indexes.create(input.name) },
  'indexes:drop': { minRole: 'admin', handle: (input, ctx) => ctx.indexes.drop(input.name) }
}
