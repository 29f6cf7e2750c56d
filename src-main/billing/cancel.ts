import { AppError, toAppError } from '../core/errors'
import type { ConnectionManager, Operator, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import type { StripeGateway } from './gateway'
import { tenantBilling } from './repository'

/**
 * Cancel a cancelled tenant's subscription exactly once, the way the operator chose in the
 * cancel dialog: at the end of the period (`subscriptions.update` with
 * cancel_at_period_end) or at once (`subscriptions.cancel`).
 *
 * The lifecycle's cancel leaves metadata.consoleCancellation = { stripe: 'pending', when,
 * at, subscriptionId }. Here:
 *   1. a row in console.stripe_operations is written first, with the idempotency key
 *      derived from that cancellation and the choice (tenant, the cancellation's time, when);
 *   2. Stripe is called with that key;
 *   3. in one transaction the row is completed, the marker consumed and the operator logged.
 * A crash between 2 and 3 leaves the row pending. The next attempt keeps that row's choice
 * and key. At period end: the same POST and key, so Stripe answers with its first result.
 * At once: Stripe does not honour idempotency keys on DELETE, so the subscription is read
 * first, and one Stripe already ended is taken as the answer instead of a second cancel.
 * Only admins may write console.stripe_operations (migration 0011).
 */

export type CancelWhen = 'period_end' | 'now'

export interface CancelRequest {
  tenantId: string
  /** Absent: the choice recorded in the lifecycle's marker (period end when none was). */
  when?: CancelWhen
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

export type CancelMarker = { stripe?: string; at?: string; subscriptionId?: string | null; when?: string }

const KIND: Record<CancelWhen, string> = { now: 'subscription.cancel', period_end: 'subscription.cancel_at_period_end' }
const whenOfKind = (kind: string): CancelWhen => (kind === KIND.now ? 'now' : 'period_end')
export const markerWhen = (m: CancelMarker | null | undefined): CancelWhen => (m?.when === 'now' ? 'now' : 'period_end')
const SAID: Record<CancelWhen, string> = { now: 'at once', period_end: 'at the end of its period' }

/** The key prefix of one cancellation (the lifecycle's time stamp makes it this cancellation, not an earlier one). */
export const cancellationKeyPrefix = (tenantId: string, marker: CancelMarker) =>
  `nchat-console:cancel:${tenantId}:${(marker.at ?? 'unknown').replace(/[^0-9A-Za-z]/g, '')}:`

/** The latest Stripe write of this cancellation, if one was attempted. */
export async function cancellationAttempt(db: Queryable, tenantId: string, subscriptionId: string, marker: CancelMarker) {
  const r = await db.query<{ idempotency_key: string; kind: string; status: string; result: unknown; attempts: number }>(
    `SELECT idempotency_key, kind, status, result, attempts FROM console.stripe_operations
      WHERE tenant_id = $1 AND stripe_object_id = $2 AND starts_with(idempotency_key, $3) ORDER BY id DESC LIMIT 1`,
    [tenantId, subscriptionId, cancellationKeyPrefix(tenantId, marker)]
  )
  return r.rows[0] ?? null
}

type SubResult = { id: string; status: string; cancel_at_period_end: boolean }

export async function cancelSubscription(deps: CancelDeps, req: CancelRequest): Promise<CancelResult> {
  const { db, layout, gw, operator } = deps
  const t = await tenantBilling(db, layout, req.tenantId)
  if (!t) throw new AppError('NOT_FOUND', 'That tenant no longer exists.')
  const marker = (t.metadata.consoleCancellation ?? null) as CancelMarker | null
  const subscriptionId = marker?.subscriptionId ?? t.subscriptionId
  if (!marker || marker.stripe !== 'pending' || !subscriptionId) {
    return { state: 'none', subscriptionId, message: 'No subscription cancellation is pending for this tenant.' }
  }
  // A row for this cancellation wins: its key and choice are what Stripe may already have acted on.
  const op = await cancellationAttempt(db, req.tenantId, subscriptionId, marker)
  const chosen = markerWhen(marker)
  const when: CancelWhen = op ? whenOfKind(op.kind) : (req.when ?? chosen)
  if (op && req.when && req.when !== when) {
    throw new AppError(
      'CONFLICT',
      `This cancellation was already sent to Stripe ${SAID[when]}, and Stripe may have acted on it. Retry with that choice; to change it, use the Stripe dashboard.`
    )
  }
  if (!gw) {
    return {
      state: 'pending',
      subscriptionId,
      message: `The subscription was not cancelled: this profile has no Stripe key. It stays pending (${SAID[when]}); cancel it from the Billing tab once a key is set.`
    }
  }
  const kind = KIND[when]
  const key = op?.idempotency_key ?? `${cancellationKeyPrefix(req.tenantId, marker)}${when}`
  try {
    await db.query(
      `INSERT INTO console.stripe_operations (idempotency_key, kind, tenant_id, tenant_slug, stripe_object_id, operator_name, operator_email, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
       ON CONFLICT (idempotency_key) DO UPDATE SET attempts = console.stripe_operations.attempts + 1`,
      [key, kind, req.tenantId, t.slug, subscriptionId, operator.name, operator.email]
    )
  } catch (e) {
    if (toAppError(e).code === 'FORBIDDEN') throw new AppError('FORBIDDEN', 'Cancelling a subscription needs the admin role.')
    throw e
  }
  let result = (op?.status === 'succeeded' ? op.result : null) as SubResult | null
  if (!result) {
    try {
      result = await sendToStripe(gw, when, subscriptionId, key, Boolean(op))
    } catch (e) {
      const err = toAppError(e)
      await db.query(`UPDATE console.stripe_operations SET error = $2 WHERE idempotency_key = $1`, [key, err.message]).catch(() => {})
      await db
        .query(
          `INSERT INTO console.operator_log (operator_name, operator_email, action, tenant_id, tenant_slug, params, outcome, error)
           VALUES ($1, $2, 'billing.cancel_subscription', $3, $4, $5, 'failed', $6)`,
          [operator.name, operator.email, req.tenantId, t.slug, JSON.stringify({ subscriptionId, when, idempotencyKey: key }), err.message]
        )
        .catch(() => {})
      return { state: 'pending', subscriptionId, message: `The subscription was not cancelled: ${err.message} It stays pending (${SAID[when]}); retry from the Billing tab.` }
    }
  }
  await deps.afterStripe?.()
  const outcome = when === 'now' ? 'cancelled' : 'cancel_at_period_end'
  await db.tx(async (c) => {
    await c.query(
      `UPDATE console.stripe_operations SET status = 'succeeded', result = $2, error = NULL, completed_at = coalesce(completed_at, now()) WHERE idempotency_key = $1`,
      [key, JSON.stringify(result)]
    )
    // The marker is consumed (stripe = what was done) and keeps the choice carried out.
    const done = { stripe: outcome, when, stripeDoneAt: new Date().toISOString() }
    const params: unknown[] = [req.tenantId, JSON.stringify(done)]
    let metaExpr = `jsonb_set(coalesce(metadata, '{}'::jsonb), '{consoleCancellation}', coalesce(metadata -> 'consoleCancellation', '{}'::jsonb) || $2::jsonb)`
    if (when === 'now') {
      // What Stripe says now (the status the replay and reconcile keep in metadata too).
      params.push(result!.status)
      metaExpr += ` || jsonb_build_object('stripeSubscriptionStatus', $${params.length}::text)`
    }
    const sets = [`metadata = ${metaExpr}`]
    if (layout.tenantColumns.has('cancel_at_period_end')) {
      params.push(Boolean(result!.cancel_at_period_end))
      sets.push(`cancel_at_period_end = $${params.length}`)
    }
    await c.query(`UPDATE public.tenants SET ${sets.join(', ')} WHERE id = $1`, params)
    await c.query(
      `INSERT INTO console.operator_log (operator_name, operator_email, action, tenant_id, tenant_slug, tenant_schema, params, outcome)
       VALUES ($1, $2, 'billing.cancel_subscription', $3, $4, NULL, $5, 'ok')`,
      [operator.name, operator.email, req.tenantId, t.slug, JSON.stringify({ subscriptionId, when, kind, idempotencyKey: key, stripeStatus: result!.status })]
    )
  })
  return {
    state: 'done',
    subscriptionId,
    message: when === 'now' ? `Stripe subscription ${subscriptionId} was cancelled at once.` : `Stripe subscription ${subscriptionId} will end at the end of its period.`
  }
}

async function sendToStripe(gw: StripeGateway, when: CancelWhen, subscriptionId: string, key: string, retry: boolean): Promise<SubResult> {
  const pick = (s: SubResult): SubResult => ({ id: s.id, status: s.status, cancel_at_period_end: s.cancel_at_period_end })
  if (when === 'period_end') {
    return pick(await gw.write('cancel the subscription at period end', key, (s, o) => s.subscriptions.update(subscriptionId, { cancel_at_period_end: true }, o)))
  }
  if (retry) {
    // An earlier attempt may have reached Stripe: an ended subscription is its answer.
    const cur = pick(await gw.read('read the subscription', (s) => s.subscriptions.retrieve(subscriptionId)))
    if (cur.status === 'canceled' || cur.status === 'incomplete_expired') return cur
  }
  return pick(await gw.write('cancel the subscription', key, (s, o) => s.subscriptions.cancel(subscriptionId, {}, o)))
}
