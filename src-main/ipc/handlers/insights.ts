import type { HandlerMap } from '../registry'

/** Charts read what the connected role may read; refreshing usage writes tenant_usage (admins). */
export const insightHandlers: HandlerMap<'insights:overview' | 'insights:usage' | 'insights:exportCsv' | 'insights:refreshUsage' | 'insights:cancelRefresh'> = {
  'insights:overview': { minRole: 'none', handle: (input, ctx) => ctx.insights.overview(input) },
  'insights:usage': { minRole: 'none', handle: (input, ctx) => ctx.insights.usage(input) },
  'insights:exportCsv': { minRole: 'none', handle: (input, ctx) => ctx.insights.exportCsv(input) },
  'insights:refreshUsage': { minRole: 'admin', handle: (input, ctx) => ctx.insights.refresh(input) },
  'insights:cancelRefresh': { minRole: 'admin', handle: async (input, ctx) => ctx.insights.cancelRefresh(input.jobId) }
}
