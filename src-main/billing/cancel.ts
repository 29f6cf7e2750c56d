import { AppError, toAppError } from '../core/errors'
import type { ConnectionManager, Operator } from '../db/connection'
import type { Layout } from '../db/layout'
import type { StripeGateway } from './gateway'
import { tenantBilling } from './repository'

/**
 * Cancel a cancelled tenant's subscription exactly once.
 *
 * The lifecycle's cancel leaves metadata.consoleCancellation.stripe = 'pending'. Here:
 *   1. a row in console.stripe_operations is written first, with the idempotency key
 *      derived from that cancellation (tenant, subscription, the cancellation's time, mode);
 *   2. Stripe is called with that key;
 *   3. in one transaction the row is completed and the marker consumed.
 * A crash between 2 and 3 leaves the row pending: the next attempt sends the same key, so
 * Stripe answers with its first result and nothing is cancelled twice; the record is
 * then completed. Only admins may write console.stripe_operations (migration 0011).
 */

export interface CancelRequest {
  tenantId: string
  when: 'period_end' | 'now'
}
export interface CancelResult {
  state: 'done' | 'pending' | 'none'
  subscriptionId: string | null
  message: string
}

export interface CancelDeps {
  db: ConnectionManager
  layout: Layout
  gw: StripeGateway | null
  operator: Operator
  /** Tests: runs after Stripe answered, before the record is completed (a crash there). */
  afterStripe?: () => void | Promise<void>
}

type Marker = { stripe?: string; at?: string; subscriptionId?: string | null }

export async function cancelSubscription(deps: CancelDeps, req: CancelRequest): Promise<CancelResult> {
  const { db, layout, gw, operator } = deps
  const t = await tenantBilling(db, layout, req.tenantId)
  if (!t) throw new AppError('NOT_FOUND', 'That tenant no longer exists.')
  const marker = (t.metadata.consoleCancellation ?? null) as Marker | null
  const subscriptionId = marker?.subscriptionId ?? t.subscriptionId
  if (!marker || marker.stripe !== 'pending' || !subscriptionId) {
    return { state: 'none', subscriptionId, message: 'No subscription cancellation is pending for this tenant.' }
  }
  if (!gw) {
    return { state: 'pending', subscriptionId, message: 'The subscription was not cancelled: this profile has no Stripe key. It stays pending; cancel it from the Billing tab once a key is set.' }
  }
  const kind = req.when === 'now' ? 'subscription.cancel' : 'subscription.cancel_at_period_end'
  const stamp = (marker.at ?? 'unknown').replace(/[^0-9A-Za-z]/g, '')
  // A pending row for this cancellation wins: its key and mode are what Stripe may already have acted on.
  const prev = await db.query<{ idempotency_key: string; kind: string; status: string; result: unknown }>(
    `SELECT idempotency_key, kind, status, result FROM console.stripe_operations
      WHERE tenant_id = $1 AND stripe_object_id = $2 AND idempotency_key LIKE $3 ORDER BY id DESC LIMIT 1`,
    [req.tenantId, subscriptionId, `nchat-console:cancel:${req.tenantId}:${stamp}:%`]
  )
  const op = prev.rows[0] ?? null
  const useKind = op?.kind ?? kind
  const key = op?.idempotency_key ?? `nchat-console:cancel:${req.tenantId}:${stamp}:${useKind === 'subscription.cancel' ? 'now' : 'period_end'}`
  try {
    await db.query(
      `INSERT INTO console.stripe_operations (idempotency_key, kind, tenant_id, tenant_slug, stripe_object_id, operator_name, operator_email, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
       ON CONFLICT (idempotency_key) DO UPDATE SET attempts = console.stripe_operations.attempts + 1`,
      [key, useKind, req.tenantId, t.slug, subscriptionId, operator.name, operator.email]
    )
  } catch (e) {
    if (toAppError(e).code === 'FORBIDDEN') throw new AppError('FORBIDDEN', 'Cancelling a subscription needs the admin role.')
    throw e
  }
  let result: unknown = op?.status === 'succeeded' ? op.result : null
  if (!result) {
    try {
      const sub =
        useKind === 'subscription.cancel'
          ? await gw.write('cancel the subscription', key, (s, o) => s.subscriptions.cancel(subscriptionId, {}, o))
          : await gw.write('cancel the subscription at period end', key, (s, o) => s.subscriptions.update(subscriptionId, { cancel_at_period_end: true }, o))
      result = { id: sub.id, status: sub.status, cancel_at_period_end: sub.cancel_at_period_end }
    } catch (e) {
      const err = toAppError(e)
      await db.query(`UPDATE console.stripe_operations SET error = $2 WHERE idempotency_key = $1`, [key, err.message]).catch(() => {})
      return { state: 'pending', subscriptionId, message: `The subscription was not cancelled: ${err.message} It stays pending; retry from the Billing tab.` }
    }
  }
  await deps.afterStripe?.()
  const outcome = useKind === 'subscription.cancel' ? 'cancelled' : 'cancel_at_period_end'
  await db.tx(async (c) => {
    await c.query(
      `UPDATE console.stripe_operations SET status = 'succeeded', result = $2, error = NULL, completed_at = coalesce(completed_at, now()) WHERE idempotency_key = $1`,
      [key, JSON.stringify(result)]
    )
    const sets = [`metadata = jsonb_set(coalesce(metadata, '{}'::jsonb), '{consoleCancellation,stripe}', to_jsonb($2::text))`]
    if (layout.tenantColumns.has('cancel_at_period_end') && outcome === 'cancel_at_period_end') sets.push('cancel_at_period_end = true')
    await c.query(`UPDATE public.tenants SET ${sets.join(', ')} WHERE id = $1`, [req.tenantId, outcome])
    await c.query(
      `INSERT INTO console.operator_log (operator_name, operator_email, action, tenant_id, tenant_slug, tenant_schema, params, outcome)
       VALUES ($1, $2, 'billing.cancel_subscription', $3, $4, NULL, $5, 'ok')`,
      [operator.name, operator.email, req.tenantId, t.slug, JSON.stringify({ subscriptionId, when: useKind, idempotencyKey: key })]
    )
  })
  return {
    state: 'done',
    subscriptionId,
    message: outcome === 'cancelled' ? `Subscription ${subscriptionId} was cancelled at once.` : `Subscription ${subscriptionId} will end at the end of its period.`
  }
}
