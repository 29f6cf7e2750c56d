import type { HandlerMap } from '../registry'

/** Reading the audit is support and up; maintenance jobs and app-table indexes are admin. */
export const auditHandlers: HandlerMap<
  'audit:list' | 'audit:get' | 'audit:exportCsv' | 'audit:cancelExport' | 'audit:indexes' | 'audit:createIndex' | 'maintenance:preview' | 'maintenance:run'
> = {
  'audit:list': { minRole: 'support', handle: (input, ctx) => ctx.audit.list(input) },
  'audit:get': { minRole: 'support', handle: (input, ctx) => ctx.audit.get(input) },
  'audit:exportCsv': { minRole: 'support', handle: (input, ctx) => ctx.audit.exportCsv(input) },
  'audit:cancelExport': { minRole: 'support', handle: async (input, ctx) => ctx.audit.cancelExport(input.jobId) },
  'audit:indexes': { minRole: 'support', handle: (_input, ctx) => ctx.audit.indexes() },
  'audit:createIndex': { minRole: 'admin', handle: (input, ctx) => ctx.audit.createIndex(input.name) },
  'maintenance:preview': { minRole: 'admin', handle: (input, ctx) => ctx.maintenance.preview(input.job) },
  'maintenance:run': { minRole: 'admin', handle: (input, ctx) => ctx.maintenance.run(input.job, input.token) }
}
