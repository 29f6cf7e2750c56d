import type { HandlerMap } from '../registry'

/**
 * The checklist reads what a console role may read; incident mode and orphan schemas
 * change the fleet: admins only (the database refuses the others as well).
 */
export const healthOpsHandlers: HandlerMap<
  | 'health:checklist'
  | 'health:incidentPreview'
  | 'health:incidentStart'
  | 'health:incidentRestore'
  | 'health:orphanSuggest'
  | 'health:orphanAdopt'
  | 'health:orphanDrop'
> = {
  'health:checklist': { minRole: 'support', handle: (_input, ctx) => ctx.healthOps.checklist() },
  'health:incidentPreview': { minRole: 'support', handle: (_input, ctx) => ctx.healthOps.incidentPreview() },
  'health:incidentStart': { minRole: 'admin', handle: (input, ctx) => ctx.healthOps.incidentStart(input) },
  'health:incidentRestore': { minRole: 'admin', handle: (input, ctx) => ctx.healthOps.incidentRestore(input.incidentId) },
  'health:orphanSuggest': { minRole: 'support', handle: (input, ctx) => ctx.healthOps.orphanSuggest(input.schema) },
  'health:orphanAdopt': { minRole: 'admin', handle: (input, ctx) => ctx.healthOps.orphanAdopt(input) },
  'health:orphanDrop': { minRole: 'admin', handle: (input, ctx) => ctx.healthOps.orphanDrop(input) }
}
