import type Stripe from 'stripe'
import type {
  BillingInterval,
  ParsedInputOf,
  PriceMapping,
  PriceMappings,
  SavePriceResult,
  StripePriceOption,
  StripePrices
} from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import type { ConnectionManager, Operator, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import type { StripeGateway } from './gateway'

/**
 * Which Stripe price is which plan: console.billing_prices, read by replay, reconcile and
 * the billing tab. Admins add, edit and remove rows (the database refuses support:
 * migration 0011 grants it SELECT only); every change is in console.operator_log in the
 * same transaction. With a Stripe key the price is read from Stripe before it is saved
 * (it must exist and be billed at the chosen interval) and the picker lists Stripe's
 * prices; without one a typed id is saved as "not checked".
 */

export interface PriceDeps {
  db: ConnectionManager
  layout: Layout
  gw: StripeGateway | null
  operator: Operator
}

/** At most this many of Stripe's prices are listed (10 pages). */
const MAX_STRIPE_PRICES = 1000

type PriceLike = {
  id: string
  active: boolean
  currency: string
  unit_amount: number | null
  nickname?: string | null
  product: string | { id: string; name?: string; deleted?: boolean } | null
  recurring: { interval: string; interval_count: number } | null
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString())

/** The console's interval for a Stripe price: only every month or every year. */
export function consoleInterval(p: Pick<PriceLike, 'recurring'>): BillingInterval | null {
  if (!p.recurring || p.recurring.interval_count !== 1) return null
  return p.recurring.interval === 'month' ? 'monthly' : p.recurring.interval === 'year' ? 'yearly' : null
}

function recurringWords(p: Pick<PriceLike, 'recurring'>): string {
  const r = p.recurring
  if (!r) return 'one time'
  return r.interval_count === 1 ? `every ${r.interval}` : `every ${r.interval_count} ${r.interval}s`
}

function productOf(p: PriceLike): { id: string | null; name: string | null } {
  if (!p.product) return { id: null, name: null }
  if (typeof p.product === 'string') return { id: p.product, name: null }
  return { id: p.product.id, name: p.product.deleted ? null : (p.product.name ?? null) }
}

/** The plans a mapping may name: the database's CHECK list, else every plan the console knows. */
function allowedPlans(layout: Layout): string[] {
  return layout.plans.length ? layout.plans : ['free', 'pro', 'enterprise', 'custom']
}

function toMapping(r: Record<string, unknown>): PriceMapping {
  return {
    priceId: String(r.price_id),
    plan: String(r.plan),
    interval: r.billing_interval === 'yearly' ? 'yearly' : 'monthly',
    checked: r.checked_at !== null && r.checked_at !== undefined,
    productName: (r.product_name as string | null) ?? null,
    amountCents: r.amount_cents === null || r.amount_cents === undefined ? null : Number(r.amount_cents),
    currency: (r.currency as string | null) ?? null,
    addedAt: iso(r.added_at)!,
    addedBy: String(r.added_by ?? ''),
    updatedAt: iso(r.updated_at),
    updatedBy: (r.updated_by as string | null) ?? null,
    tenants: Number(r.tenants ?? 0)
  }
}

const SELECT = (layout: Layout, where = '') => `
  SELECT p.price_id, p.plan, p.billing_interval, p.checked_at, p.product_name, p.amount_cents, p.currency,
         p.added_at, p.added_by, p.updated_at, p.updated_by,
         ${layout.tenantColumns.has('stripe_price_id') ? '(SELECT count(*) FROM public.tenants t WHERE t.stripe_price_id = p.price_id)' : '0'} AS tenants
    FROM console.billing_prices p ${where}`

async function readMapping(db: Queryable, layout: Layout, priceId: string): Promise<PriceMapping | null> {
  const r = await db.query(`${SELECT(layout, 'WHERE p.price_id = $1')}`, [priceId])
  return r.rows[0] ? toMapping(r.rows[0]) : null
}

export async function listMappings(deps: PriceDeps): Promise<PriceMappings> {
  const r = await deps.db.query(`${SELECT(deps.layout)} ORDER BY p.plan, p.billing_interval, p.price_id`)
  const mappings = r.rows.map(toMapping)
  const plans = allowedPlans(deps.layout)
  const notes: string[] = []
  if (!deps.gw) notes.push('No Stripe key in this profile: prices cannot be picked from Stripe, and a typed price id is saved without being checked.')
  const unchecked = mappings.filter((m) => !m.checked).length
  if (unchecked) notes.push(`${unchecked} price${unchecked === 1 ? ' was' : 's were'} typed without a Stripe key and never checked with Stripe.`)
  const stray = mappings.filter((m) => !plans.includes(m.plan))
  if (stray.length) notes.push(`Mapped to a plan this database does not allow: ${stray.map((m) => `${m.priceId} → ${m.plan}`).join(', ')}. Replay and reconcile leave those tenants' plan alone.`)
  return { mappings, plans, stripe: Boolean(deps.gw), notes }
}

/** Stripe's prices with their product names, 100 a page, for the picker. */
export async function stripePrices(db: Queryable, gw: StripeGateway): Promise<StripePrices> {
  let pages = 0
  const r = await gw.listAll<PriceLike>(
    'list prices',
    (s, p) => s.prices.list({ ...(p as Stripe.PriceListParams), expand: ['data.product'] }) as never,
    {},
    { max: MAX_STRIPE_PRICES, onPage: () => pages++ }
  )
  const mapped = await db.query<{ price_id: string; plan: string }>(`SELECT price_id, plan FROM console.billing_prices`)
  const byId = new Map(mapped.rows.map((x) => [x.price_id, x.plan]))
  const prices: StripePriceOption[] = r.items.map((p) => {
    const prod = productOf(p)
    return {
      priceId: p.id,
      productId: prod.id,
      productName: prod.name,
      nickname: p.nickname ?? null,
      amountCents: p.unit_amount ?? null,
      currency: p.currency,
      interval: consoleInterval(p),
      recurring: recurringWords(p),
      active: p.active,
      mappedTo: byId.get(p.id) ?? null
    }
  })
  // Active first, then by product and amount: what an admin looks for.
  prices.sort((a, b) => Number(b.active) - Number(a.active) || (a.productName ?? '').localeCompare(b.productName ?? '') || (a.amountCents ?? 0) - (b.amountCents ?? 0))
  return { prices, pages, truncated: r.truncated }
}

/** What Stripe says of the price, or null without a key. Refuses a price Stripe lacks or bills otherwise. */
async function checkWithStripe(gw: StripeGateway | null, priceId: string, interval: BillingInterval) {
  if (!gw) return null
  let p: PriceLike
  try {
    p = (await gw.read('read the price', (s) => s.prices.retrieve(priceId, { expand: ['product'] }))) as unknown as PriceLike
  } catch (e) {
    const err = toAppError(e)
    if (err.code === 'NOT_FOUND') throw new AppError('NOT_FOUND', `Stripe has no price ${priceId} in this account and mode. Pick one from the list, or check the id.`)
    throw err
  }
  const actual = consoleInterval(p)
  if (!actual) throw new AppError('INVALID_INPUT', `Stripe bills price ${priceId} ${recurringWords(p)}: only monthly or yearly prices can be a plan's price.`)
  if (actual !== interval) throw new AppError('INVALID_INPUT', `Stripe bills price ${priceId} ${recurringWords(p)}: choose ${actual}, not ${interval}.`)
  const prod = productOf(p)
  return { productName: prod.name, amountCents: p.unit_amount ?? null, currency: p.currency }
}

const adminOnly = (e: unknown): never => {
  const err = toAppError(e)
  if (err.code === 'FORBIDDEN') throw new AppError('FORBIDDEN', 'Changing the price list needs the admin role.')
  throw err
}

export async function savePrice(deps: PriceDeps, input: ParsedInputOf<'billing:savePrice'>): Promise<SavePriceResult> {
  const { db, layout, operator } = deps
  const plans = allowedPlans(layout)
  if (!plans.includes(input.plan)) throw new AppError('INVALID_INPUT', `Unknown plan "${input.plan}". This database allows: ${plans.join(', ')}.`)
  const stripe = await checkWithStripe(deps.gw, input.priceId, input.interval)
  const by = operator.email || operator.name
  const res = await db
    .tx(async (c) => {
      const cur = await c.query<Record<string, unknown>>(
        `SELECT price_id, plan, billing_interval FROM console.billing_prices WHERE price_id = $1 FOR UPDATE`,
        [input.priceId]
      )
      const before = cur.rows[0] ? { plan: String(cur.rows[0].plan), interval: String(cur.rows[0].billing_interval) } : null
      if (input.mode === 'add' && before) throw new AppError('CONFLICT', `Price ${input.priceId} is already mapped to ${before.plan} (${before.interval}). Edit that row instead.`)
      if (input.mode === 'edit' && !before) throw new AppError('NOT_FOUND', `Price ${input.priceId} is not in the price list (another admin may have removed it).`)
      const checked = stripe ? 'now()' : 'NULL'
      if (input.mode === 'add') {
        await c.query(
          `INSERT INTO console.billing_prices (price_id, plan, billing_interval, checked_at, product_name, amount_cents, currency, added_by)
           VALUES ($1, $2, $3, ${checked}, $4, $5, $6, coalesce(nullif($7, ''), session_user))`,
          [input.priceId, input.plan, input.interval, stripe?.productName ?? null, stripe?.amountCents ?? null, stripe?.currency ?? null, by]
        )
      } else {
        await c.query(
          `UPDATE console.billing_prices SET plan = $2, billing_interval = $3, checked_at = ${checked}, product_name = $4, amount_cents = $5,
                  currency = $6, updated_at = now(), updated_by = coalesce(nullif($7, ''), session_user)
            WHERE price_id = $1`,
          [input.priceId, input.plan, input.interval, stripe?.productName ?? null, stripe?.amountCents ?? null, stripe?.currency ?? null, by]
        )
      }
      const after = { plan: input.plan, interval: input.interval }
      await c.query(
        `INSERT INTO console.operator_log (operator_name, operator_email, action, params, outcome) VALUES ($1, $2, $3, $4, 'ok')`,
        [operator.name, operator.email, input.mode === 'add' ? 'billing.price_add' : 'billing.price_edit', JSON.stringify({ priceId: input.priceId, before, after, checkedWithStripe: Boolean(stripe) })]
      )
      return before
    })
    .catch(adminOnly)
  const mapping = (await readMapping(db, layout, input.priceId))!
  const what = `${input.priceId} → ${input.plan} (${input.interval})`
  const message =
    (input.mode === 'add' ? `Added ${what}.` : `Changed ${input.priceId} from ${res!.plan} (${res!.interval}) to ${input.plan} (${input.interval}).`) +
    (stripe ? '' : ' Not checked with Stripe: this profile has no Stripe key.') +
    (mapping.tenants ? ` ${mapping.tenants} tenant${mapping.tenants === 1 ? ' has' : 's have'} this price; run Reconcile to see whose plan differs.` : '')
  return { mapping, message }
}

export async function removePrice(deps: PriceDeps, priceId: string): Promise<{ removed: boolean; message: string }> {
  const { db, layout, operator } = deps
  const before = await db
    .tx(async (c) => {
      const d = await c.query<{ plan: string; billing_interval: string }>(
        `DELETE FROM console.billing_prices WHERE price_id = $1 RETURNING plan, billing_interval`,
        [priceId]
      )
      const row = d.rows[0]
      if (!row) throw new AppError('NOT_FOUND', `Price ${priceId} is not in the price list (another admin may have removed it).`)
      await c.query(
        `INSERT INTO console.operator_log (operator_name, operator_email, action, params, outcome) VALUES ($1, $2, 'billing.price_remove', $3, 'ok')`,
        [operator.name, operator.email, JSON.stringify({ priceId, before: { plan: row.plan, interval: row.billing_interval } })]
      )
      return row
    })
    .catch(adminOnly)
  const n = layout.tenantColumns.has('stripe_price_id')
    ? Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM public.tenants WHERE stripe_price_id = $1`, [priceId])).rows[0]!.n)
    : 0
  return {
    removed: true,
    message:
      `Removed ${priceId} (was ${before.plan}, ${before.billing_interval}).` +
      (n ? ` ${n} tenant${n === 1 ? ' has' : 's have'} this price: replay and reconcile now leave their plan alone and report the price as not configured.` : '')
  }
}
