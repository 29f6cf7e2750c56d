import type { HandlerMap } from '../registry'

/** Health reads the catalog (what the role may see); the audit is for the console's roles. */
export const healthHandlers: HandlerMap<'health:summary' | 'health:audit' | 'health:cancelAudit' | 'health:applyFix'> = {
  'health:summary': { minRole: 'none', handle: (_input, ctx) => ctx.health.summary() },
  'health:audit': { minRole: 'support', handle: (input, ctx) => ctx.health.audit(input) },
  'health:cancelAudit': { minRole: 'support', handle: async (input, ctx) => ctx.health.cancelAudit(input.jobId) },
  'health:applyFix': { minRole: 'admin', handle: (input, ctx) => ctx.health.applyFix(input.findingId) }
}
