import type { HandlerMap } from '../registry'

/**
 * Billing. Support sees everything and may replay or resolve an event (the database lets
 * support do that only through console.billing_apply_replay); fixing drift and cancelling
 * a subscription need the admin role here and in the database (migration 0011); so does
 * changing the price → plan list (support reads it).
 */
export const billingHandlers: HandlerMap<
  | 'billing:keyStatus'
  | 'billing:testKey'
  | 'billing:webhookHealth'
  | 'billing:checkStripe'
  | 'billing:failures'
  | 'billing:event'
  | 'billing:replay'
  | 'billing:replayMany'
  | 'billing:resolve'
  | 'billing:cancelJob'
  | 'billing:tenant'
  | 'billing:openInvoice'
  | 'billing:reconcile'
  | 'billing:fixDrift'
  | 'billing:cancelSubscription'
  | 'billing:prices'
  | 'billing:stripePrices'
  | 'billing:savePrice'
  | 'billing:removePrice'
> = {
  'billing:keyStatus': { minRole: 'support', handle: async (_input, ctx) => ctx.billing.keyStatus() },
  'billing:testKey': { minRole: 'support', handle: (input, ctx) => ctx.billing.testKey(input) },
  'billing:webhookHealth': { minRole: 'support', handle: (_input, ctx) => ctx.billing.webhookHealth() },
  'billing:checkStripe': { minRole: 'support', handle: (_input, ctx) => ctx.billing.checkStripe() },
  'billing:failures': { minRole: 'support', handle: (input, ctx) => ctx.billing.failures(input) },
  'billing:event': { minRole: 'support', handle: (input, ctx) => ctx.billing.event(input.eventId) },
  'billing:replay': { minRole: 'support', handle: (input, ctx) => ctx.billing.replay(input.eventId) },
  'billing:replayMany': { minRole: 'support', handle: (input, ctx) => ctx.billing.replayMany(input) },
  'billing:resolve': { minRole: 'support', handle: (input, ctx) => ctx.billing.resolve(input) },
  'billing:cancelJob': { minRole: 'support', handle: async (input, ctx) => ctx.billing.cancelJob(input.jobId) },
  'billing:tenant': { minRole: 'support', handle: (input, ctx) => ctx.billing.tenant(input.id) },
  'billing:openInvoice': { minRole: 'support', handle: (input, ctx) => ctx.billing.openInvoice(input) },
  'billing:reconcile': { minRole: 'support', handle: (input, ctx) => ctx.billing.reconcile(input) },
  'billing:fixDrift': { minRole: 'admin', handle: (input, ctx) => ctx.billing.fixDrift(input) },
  'billing:cancelSubscription': { minRole: 'admin', handle: (input, ctx) => ctx.billing.cancelWithTenant({ tenantId: input.id, when: input.when }) },
  'billing:prices': { minRole: 'support', handle: (_input, ctx) => ctx.billing.prices() },
  'billing:stripePrices': { minRole: 'support', handle: (_input, ctx) => ctx.billing.stripePrices() },
  'billing:savePrice': { minRole: 'admin', handle: (input, ctx) => ctx.billing.savePrice(input) },
  'billing:removePrice': { minRole: 'admin', handle: (input, ctx) => ctx.billing.removePrice(input.priceId) }
}
