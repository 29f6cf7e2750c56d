import type { HandlerMap } from '../registry'

export const tenantHandlers: HandlerMap<'tenants:list' | 'tenants:get' | 'tenants:facets' | 'tenants:count' | 'tenants:matching'> = {
  'tenants:list': { minRole: 'none', handle: (input, ctx) => ctx.tenants.list(input) },
  'tenants:get': { minRole: 'none', handle: (input, ctx) => ctx.tenants.get(input.id) },
  'tenants:facets': { minRole: 'none', handle: (_input, ctx) => ctx.tenants.facets() },
  'tenants:count': { minRole: 'none', handle: (input, ctx) => ctx.tenants.count(input) },
  'tenants:matching': { minRole: 'none', handle: (input, ctx) => ctx.tenants.matching(input) }
}
