import type Stripe from 'stripe'
import { REQUIRED_EVENTS, type ReplayOutcome, type TenantRef } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import { log } from '../core/logger'
import type { ConnectionManager, Operator } from '../db/connection'
import type { Layout } from '../db/layout'
import type { StripeGateway } from './gateway'
import { recordReplayFailure, tenantRef, tenantsByCustomer, pricePlans } from './repository'
import { changesFromInvoice, changesFromSubscription, idOf, invoiceSubscription, mergeChanges, type InvoiceLike, type SubLike } from './state'

/**
 * Replay one event: re-fetch it and the object it refers to from Stripe, and apply to the
 * tenant what the app should have done, from Stripe's CURRENT objects (a duplicate or an
 * out-of-order event converges on the same state). The write goes through
 * console.billing_apply_replay (support may run it; it changes only billing columns),
 * which also marks the event processed (inserting its row when the app never got it),
 * counts the attempt and logs the operator.
 */

type EventLite = { id: string; type: string; created: number; data: { object: Record<string, unknown> } }

export interface ReplayDeps {
  db: ConnectionManager
  layout: Layout
  gw: StripeGateway
  operator: Operator
}

async function resolveTenant(deps: ReplayDeps, customer: string | null, sub: SubLike | null, eventId: string): Promise<TenantRef | null> {
  const { db, layout } = deps
  if (customer) {
    const hit = (await tenantsByCustomer(db, layout, [customer])).get(customer)
    if (hit) return hit
  }
  const metaTenant = sub?.metadata?.tenantId ?? sub?.metadata?.tenant_id
  if (metaTenant && /^[0-9a-f-]{36}$/i.test(metaTenant)) {
    const t = await tenantRef(db, metaTenant)
    if (t) return t
  }
  if (layout.hasStripeWebhooks) {
    const r = await db.query<{ tenant_id: string | null }>(`SELECT tenant_id::text FROM public.stripe_webhooks WHERE stripe_event_id = $1`, [eventId])
    const tid = r.rows[0]?.tenant_id
    if (tid) return tenantRef(db, tid)
  }
  return null
}

export async function replayEvent(deps: ReplayDeps, eventId: string): Promise<ReplayOutcome> {
  const { db, gw, layout, operator } = deps
  let eventType: string | null = null
  let tenant: TenantRef | null = null
  try {
    const event = (await gw.read('read the event', (s) => s.events.retrieve(eventId))) as unknown as EventLite
    eventType = event.type
    if (!(REQUIRED_EVENTS as readonly string[]).includes(event.type)) {
      throw new AppError('UNSUPPORTED', `The console replays only the six billing events the guide lists; ${event.type} is not one of them. Mark it resolved instead.`)
    }
    const obj = event.data.object
    let sub: SubLike | null = null
    let invoice: InvoiceLike | null = null
    // The object the event refers to, re-fetched. Payloads of real deployments are not
    // always whole objects: a subscription or invoice id may sit in `subscription`.
    const objId = typeof obj.id === 'string' ? obj.id : null
    const subRef = typeof obj.subscription === 'string' ? obj.subscription : null
    const readSub = (id: string) => gw.read('read the subscription', (s) => s.subscriptions.retrieve(id)) as unknown as Promise<SubLike>
    if (event.type.startsWith('customer.subscription.')) {
      const id = objId?.startsWith('sub_') ? objId : subRef
      if (!id) throw new AppError('INVALID_INPUT', `The event ${event.id} names no subscription, so there is nothing to re-fetch. Mark it resolved instead.`)
      sub = await readSub(id)
    } else {
      const inv = objId?.startsWith('in_') ? ((await gw.read('read the invoice', (s) => s.invoices.retrieve(objId))) as unknown as InvoiceLike) : null
      const subId = (inv ? invoiceSubscription(inv) : null) ?? subRef
      if (subId) {
        sub = await readSub(subId)
        // The newest invoice of the subscription is the last payment, whichever event came last.
        const latest = await gw.read('list invoices', (s) => s.invoices.list({ subscription: subId, limit: 1 } as Stripe.InvoiceListParams))
        invoice = (latest.data[0] as unknown as InvoiceLike | undefined) ?? inv
      } else {
        invoice = inv
      }
      if (!sub && !invoice) throw new AppError('INVALID_INPUT', `The event ${event.id} names no invoice or subscription, so there is nothing to re-fetch. Mark it resolved instead.`)
    }
    const customer = sub ? idOf(sub.customer) : idOf(invoice?.customer ?? null)
    tenant = await resolveTenant(deps, customer, sub, eventId)
    const prices = await pricePlans(db)
    let changes: Record<string, unknown> = {}
    const notes: string[] = []
    if (sub) {
      const c = changesFromSubscription(sub, prices, layout.plans)
      changes = c.changes
      notes.push(...c.notes)
    }
    if (invoice) changes = mergeChanges(changes, changesFromInvoice(invoice))
    const applied = tenant ? changes : {}
    await db.query(`SELECT console.billing_apply_replay($1, $2, $3::jsonb, $4::uuid, $5::jsonb, $6::jsonb)`, [
      event.id,
      event.type,
      JSON.stringify(event),
      tenant?.id ?? null,
      JSON.stringify(applied),
      JSON.stringify({ operatorName: operator.name, operatorEmail: operator.email, notes })
    ])
    const msg = tenant
      ? `Replayed ${event.type} for ${tenant.slug} from Stripe's current ${sub ? 'subscription' : 'invoice'}.`
      : `Marked ${event.type} processed; no tenant owns customer ${customer ?? '(none)'}, so no tenant was changed.`
    return { eventId, eventType: event.type, tenant, applied: Boolean(tenant), changes: applied, message: [msg, ...notes].join(' ') }
  } catch (e) {
    const err = toAppError(e)
    if (!(e instanceof AppError)) log.error(`billing: replay of ${eventId} failed`, e)
    await recordReplayFailure(db, { eventId, eventType, tenantId: tenant?.id ?? null, error: err.message, operator }).catch(() => {})
    if (err.code === 'FORBIDDEN' && !(e instanceof AppError)) {
      throw new AppError('FORBIDDEN', 'The connected database role may not replay events. Apply the console migrations (0011) and use a support or admin login.')
    }
    throw err
  }
}
