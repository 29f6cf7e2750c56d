import type Stripe from 'stripe'
import { REQUIRED_EVENTS, type FailureRow, type FailuresPage, type ParsedInputOf, type StripeCheckInfo } from '../../src-preload/contract'
import type { Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import type { StripeGateway } from './gateway'
import { decorate, knownEventIds, resolvedEventIds, tableFailures, tenantsByCustomer } from './repository'

/**
 * The failures screen: the app's table merged, by event id, with what Stripe reports
 * (events not delivered; events of the six types the table lacks).
 */

export const STRIPE_WINDOW_DAYS = 30
/** Stripe's side is read up to this many events per listing; beyond, the check says so. */
const MAX_EVENTS = 20_000

export interface StripeSnapshot {
  checkedAt: string
  /** Events Stripe has that the table lacks, or that Stripe could not deliver; tenant resolved. */
  rows: FailureRow[]
  undeliveredIds: Set<string>
  missing: number
  undelivered: number
  truncated: boolean
}

type EventLite = { id: string; type: string; created: number; data: { object: { id?: string; customer?: string | { id: string } | null } } }

const customerOf = (e: EventLite): string | null => {
  const o = e.data?.object
  const c = o?.customer
  if (typeof c === 'string') return c
  if (c && typeof c === 'object') return c.id
  return o && typeof o.id === 'string' && o.id.startsWith('cus_') ? o.id : null
}

export async function checkStripe(db: Queryable, layout: Layout, gw: StripeGateway, signal?: AbortSignal): Promise<StripeSnapshot> {
  const since = Math.floor(Date.now() / 1000) - STRIPE_WINDOW_DAYS * 86_400
  const list = (params: Record<string, unknown>) => (s: Stripe, p: Record<string, unknown>) =>
    s.events.list({ ...params, ...p } as Stripe.EventListParams) as unknown as Promise<{ data: EventLite[]; has_more: boolean }>
  const undelivered = await gw.listAll<EventLite>('list undelivered events', list({ delivery_success: false, created: { gte: since } }), {}, { signal, max: MAX_EVENTS })
  const required = await gw.listAll<EventLite>('list billing events', list({ types: [...REQUIRED_EVENTS], created: { gte: since } }), {}, { signal, max: MAX_EVENTS })
  const all = new Map<string, { e: EventLite; undelivered: boolean }>()
  for (const e of required.items) all.set(e.id, { e, undelivered: false })
  for (const e of undelivered.items) all.set(e.id, { e, undelivered: true })
  const ids = [...all.keys()]
  const known = new Set<string>()
  // In chunks: a month of a large fleet is tens of thousands of events.
  for (let i = 0; i < ids.length; i += 5000) for (const id of await knownEventIds(db, ids.slice(i, i + 5000))) known.add(id)
  const rows: FailureRow[] = []
  let missing = 0
  for (const { e, undelivered: u } of all.values()) {
    if (known.has(e.id)) continue // the table's own row speaks for it (failed or processed)
    if (!u) missing++
    rows.push({
      eventId: e.id,
      eventType: e.type,
      createdAt: new Date(e.created * 1000).toISOString(),
      sources: u ? ['undelivered'] : ['missing'],
      tableState: 'absent',
      error: null,
      customerId: customerOf(e),
      tenant: null,
      replay: null
    })
  }
  const byCustomer = await tenantsByCustomer(db, layout, [...new Set(rows.map((r) => r.customerId).filter((c): c is string => !!c))])
  for (const r of rows) r.tenant = r.customerId ? (byCustomer.get(r.customerId) ?? null) : null
  rows.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.eventId < b.eventId ? 1 : -1))
  return {
    checkedAt: new Date().toISOString(),
    rows,
    undeliveredIds: new Set(undelivered.items.map((e) => e.id)),
    missing,
    undelivered: undelivered.items.length,
    truncated: undelivered.truncated || required.truncated
  }
}

const dayOf = (iso: string) => iso.slice(0, 10)

function daysBetween(from: Date, to: Date): string[] {
  const out: string[] = []
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()))
  while (d <= to) {
    out.push(d.toISOString().slice(0, 10))
    d.setUTCDate(d.getUTCDate() + 1)
  }
  return out
}

export async function failuresPage(
  db: Queryable,
  layout: Layout,
  f: ParsedInputOf<'billing:failures'>,
  snap: StripeSnapshot | null,
  stripeNote: string | null,
  now = new Date()
): Promise<FailuresPage> {
  const notes: string[] = []
  const chartDays = Math.min(f.maxAgeDays ?? STRIPE_WINDOW_DAYS, 90)
  const chartSince = new Date(now.getTime() - (chartDays - 1) * 86_400_000)
  chartSince.setUTCHours(0, 0, 0, 0)

  // Stripe-only rows that pass the filters (resolved ones hidden unless asked).
  let extra: FailureRow[] = []
  if (snap && f.source !== 'table') {
    const minDate = f.maxAgeDays ? new Date(now.getTime() - f.maxAgeDays * 86_400_000).toISOString() : null
    extra = snap.rows.filter(
      (r) =>
        (!f.source || r.sources.includes(f.source)) &&
        (!f.eventType || r.eventType === f.eventType) &&
        (!f.tenantId || r.tenant?.id === f.tenantId) &&
        (!minDate || r.createdAt >= minDate)
    )
    if (!f.includeResolved && extra.length) {
      const resolved = await resolvedEventIds(db, extra.map((r) => r.eventId))
      extra = extra.filter((r) => !resolved.has(r.eventId))
    }
  }

  const wantTable = layout.hasStripeWebhooks && (!f.source || f.source === 'table' || f.source === 'undelivered')
  if (!layout.hasStripeWebhooks) notes.push('This database has no public.stripe_webhooks table: only Stripe’s side can be shown.')
  // Merging needs the table's rows down to the page's end; without Stripe rows, a plain page.
  const tablePage = extra.length ? { offset: 0, limit: f.offset + f.limit } : { offset: f.offset, limit: f.limit }
  const t = wantTable
    ? await tableFailures(db, layout, f, tablePage, chartSince)
    : { total: 0, byType: [], perDay: [], rows: [] as FailureRow[] }
  if (snap) for (const r of t.rows) if (snap.undeliveredIds.has(r.eventId)) r.sources = ['table', 'undelivered']
  let tableRows = t.rows
  let tableTotal = t.total
  if (f.source === 'undelivered') {
    // Table rows Stripe also could not deliver (a resend that failed after a first success).
    tableRows = t.rows.filter((r) => r.sources.includes('undelivered'))
    tableTotal = tableRows.length
  }

  const merged = extra.length ? [...tableRows, ...extra].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.eventId < b.eventId ? 1 : -1)) : tableRows
  const rows = extra.length ? merged.slice(f.offset, f.offset + f.limit) : merged
  await decorate(db, layout, rows)

  const byType = new Map<string, number>(f.source === 'undelivered' ? [] : t.byType.map((x) => [x.key, x.count]))
  const perDay = new Map<string, number>(f.source === 'undelivered' ? [] : t.perDay.map((x) => [x.day, x.count]))
  const counted = f.source === 'undelivered' ? [...tableRows, ...extra] : extra
  for (const r of counted) {
    byType.set(r.eventType, (byType.get(r.eventType) ?? 0) + 1)
    const d = dayOf(r.createdAt)
    if (d >= dayOf(chartSince.toISOString())) perDay.set(d, (perDay.get(d) ?? 0) + 1)
  }

  const stripe: StripeCheckInfo = snap
    ? {
        checked: true,
        checkedAt: snap.checkedAt,
        note: snap.truncated ? `Stripe's side was read up to ${MAX_EVENTS.toLocaleString('en-US')} events per listing; older ones were not compared.` : null,
        undelivered: snap.undelivered,
        missing: snap.missing
      }
    : { checked: false, checkedAt: null, note: stripeNote ?? 'Stripe’s side was not checked.', undelivered: 0, missing: 0 }
  return {
    rows,
    total: tableTotal + extra.length,
    offset: f.offset,
    byType: [...byType].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)),
    perDay: daysBetween(chartSince, now).map((day) => ({ day, count: perDay.get(day) ?? 0 })),
    stripe,
    notes
  }
}
