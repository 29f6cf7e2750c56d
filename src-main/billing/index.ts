/**
 * Billing: Stripe through one gateway (the profile's key stays in main), webhook health,
 * webhook failures (the app's table merged with Stripe's side), replay, reconcile, a
 * tenant's billing, and cancelling a cancelled tenant's subscription exactly once.
 *   gateway.ts    the stripe client: timeouts, retries, idempotency keys, error sentences
 *   service.ts    the facade the handlers call
 *   failures.ts   the failures screen (table + Stripe, merged by event id)
 *   replay.ts     replay one event from Stripe's current objects
 *   reconcile.ts  drift between tenants and Stripe's subscriptions, and fixing it
 *   cancel.ts     exactly-once subscription cancellation
 *   state.ts      Stripe objects as tenant billing fields
 *   repository.ts the SQL
 */
export { BillingService, type BillingOptions } from './service'
export { StripeGateway, keyFacts, stripeError, type StripeApiOverride } from './gateway'
export type { CancelRequest, CancelResult } from './cancel'
