import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A local stand-in for the Stripe API, for the real `stripe` library pointed at it with
 * { host, port, protocol: 'http' }. It serves objects shaped like Stripe's (lists with
 * has_more and starting_after, newest first), Stripe's error shapes (401 bad key, 403 a
 * restricted key without the permission, 404 resource_missing, 429, 500), remembers
 * idempotency keys (a repeated POST answers the first result without acting again), and
 * can be scripted to fail, delay or hang the next requests.
 */

export type Permission =
  | 'account_read'
  | 'event_read'
  | 'webhook_read'
  | 'subscription_read'
  | 'subscription_write'
  | 'invoice_read'
  | 'customer_read'
  | 'price_read'

export const ALL_PERMISSIONS: Permission[] = [
  'account_read',
  'event_read',
  'webhook_read',
  'subscription_read',
  'subscription_write',
  'invoice_read',
  'customer_read',
  'price_read'
]

type Obj = Record<string, unknown> & { id: string; created: number }

export interface Scripted {
  method?: string
  path: RegExp
  status?: number
  body?: unknown
  /** Never answer (the client times out). */
  hang?: boolean
  delayMs?: number
  /** How many matching requests this applies to (default 1). */
  times?: number
}

export interface LoggedRequest {
  method: string
  path: string
  query: URLSearchParams
  key: string
  idempotencyKey: string | null
  body: URLSearchParams
}

const now = () => Math.floor(Date.now() / 1000)
let seq = 0
export const fakeId = (prefix: string) => `${prefix}_${(++seq).toString(36).padStart(6, '0')}${Math.random().toString(36).slice(2, 10)}`

export class FakeStripe {
  readonly keys = new Map<string, Set<Permission>>()
  readonly account = {
    id: 'acct_1FakeConsole',
    object: 'account',
    email: 'billing@example.com',
    country: 'US',
    default_currency: 'usd',
    business_profile: { name: 'nChat Example Inc.' },
    settings: { dashboard: { display_name: 'nChat Example' } },
    charges_enabled: true
  }
  readonly customers = new Map<string, Obj>()
  readonly subscriptions = new Map<string, Obj>()
  readonly invoices = new Map<string, Obj>()
  readonly prices = new Map<string, Obj>()
  readonly products = new Map<string, Obj>()
  readonly events = new Map<string, Obj & { delivered: boolean }>()
  readonly endpoints = new Map<string, Obj>()
  readonly requests: LoggedRequest[] = []
  /** Writes that really changed something (a replayed idempotency key does not count). */
  readonly effects: { method: string; path: string; idempotencyKey: string | null }[] = []
  private readonly idem = new Map<string, { status: number; body: unknown }>()
  private scripts: Scripted[] = []
  /** Every answer waits this long (the benchmark's 100 ms). */
  delayMs = 0
  private server: Server | null = null
  port = 0

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()))
    this.port = (this.server!.address() as AddressInfo).port
    return this
  }
  get api() {
    return { host: '127.0.0.1', port: this.port, protocol: 'http' as const }
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()))
  }

  addKey(key: string, perms: Permission[] = ALL_PERMISSIONS): string {
    this.keys.set(key, new Set(perms))
    return key
  }
  script(...s: Scripted[]): void {
    this.scripts.push(...s)
  }
  clearScripts(): void {
    this.scripts = []
  }
  clearLog(): void {
    this.requests.length = 0
  }

  // ------------------------------------------------------------ objects

  addPrice(
    id: string,
    interval: 'month' | 'year',
    amount: number,
    product = 'prod_nchat',
    opts: { intervalCount?: number; oneTime?: boolean; nickname?: string; active?: boolean } = {}
  ): Obj {
    if (!this.products.has(product)) this.addProduct(product, product === 'prod_nchat' ? 'nChat' : `Product ${product}`)
    const p = {
      id,
      object: 'price',
      active: opts.active ?? true,
      currency: 'usd',
      unit_amount: amount,
      nickname: opts.nickname ?? null,
      product,
      type: opts.oneTime ? 'one_time' : 'recurring',
      recurring: opts.oneTime ? null : { interval, interval_count: opts.intervalCount ?? 1 },
      created: now(),
      livemode: false
    }
    this.prices.set(id, p)
    return p
  }

  addProduct(id: string, name: string): Obj {
    const p = { id, object: 'product', name, active: true, created: now(), livemode: false }
    this.products.set(id, p)
    return p
  }

  /** A price as Stripe answers it: the product id, or the product itself when expanded. */
  private priceOut(p: Obj, expand: boolean): Obj {
    const product = expand ? (this.products.get(String(p.product)) ?? p.product) : p.product
    return { ...p, product } as Obj
  }

  addCustomer(id = fakeId('cus'), metadata: Record<string, string> = {}): Obj {
    const c = { id, object: 'customer', email: `${id}@example.com`, created: now(), livemode: false, metadata }
    this.customers.set(id, c)
    return c
  }

  addSubscription(s: {
    id?: string
    customer: string
    price: string
    status?: string
    periodStart?: number
    periodEnd?: number
    cancelAtPeriodEnd?: boolean
    trialEnd?: number | null
    created?: number
    metadata?: Record<string, string>
  }): Obj {
    const price = this.prices.get(s.price) ?? this.addPrice(s.price, 'month', 1500)
    const start = s.periodStart ?? now() - 86_400 * 10
    const end = s.periodEnd ?? start + 86_400 * 30
    const id = s.id ?? fakeId('sub')
    const sub: Obj = {
      id,
      object: 'subscription',
      customer: s.customer,
      status: s.status ?? 'active',
      cancel_at_period_end: s.cancelAtPeriodEnd ?? false,
      cancel_at: s.cancelAtPeriodEnd ? end : null,
      canceled_at: null,
      ended_at: null,
      trial_end: s.trialEnd ?? null,
      created: s.created ?? start,
      start_date: start,
      livemode: false,
      metadata: s.metadata ?? {},
      items: {
        object: 'list',
        has_more: false,
        url: `/v1/subscription_items?subscription=${id}`,
        data: [{ id: fakeId('si'), object: 'subscription_item', price, quantity: 1, current_period_start: start, current_period_end: end, subscription: id }]
      }
    }
    this.subscriptions.set(id, sub)
    return sub
  }

  /** Changes a subscription as Stripe would (status, period, price ...). */
  updateSubscription(id: string, patch: Partial<{ status: string; cancelAtPeriodEnd: boolean; periodEnd: number; price: string }>): Obj {
    const sub = this.subscriptions.get(id)
    if (!sub) throw new Error(`no subscription ${id}`)
    const item = (sub.items as { data: Record<string, unknown>[] }).data[0]!
    if (patch.status) sub.status = patch.status
    if (patch.cancelAtPeriodEnd !== undefined) {
      sub.cancel_at_period_end = patch.cancelAtPeriodEnd
      sub.cancel_at = patch.cancelAtPeriodEnd ? item.current_period_end : null
    }
    if (patch.periodEnd) item.current_period_end = patch.periodEnd
    if (patch.price) item.price = this.prices.get(patch.price) ?? this.addPrice(patch.price, 'month', 1500)
    return sub
  }

  addInvoice(i: { customer: string; subscription: string | null; status?: string; amount?: number; created?: number; id?: string }): Obj {
    const id = i.id ?? fakeId('in')
    const inv: Obj = {
      id,
      object: 'invoice',
      customer: i.customer,
      status: i.status ?? 'paid',
      amount_due: i.amount ?? 1500,
      amount_paid: i.status === 'open' || i.status === 'uncollectible' ? 0 : (i.amount ?? 1500),
      currency: 'usd',
      created: i.created ?? now(),
      number: `INV-${id.slice(-6).toUpperCase()}`,
      hosted_invoice_url: `https://invoice.stripe.com/i/acct_1FakeConsole/${id}`,
      status_transitions: { paid_at: i.status === 'paid' || !i.status ? (i.created ?? now()) : null },
      parent: i.subscription ? { type: 'subscription_details', subscription_details: { subscription: i.subscription, metadata: {} } } : null,
      livemode: false
    }
    this.invoices.set(id, inv)
    return inv
  }

  /** An event as Stripe records it; `delivered: false` is what delivery_success=false lists. */
  addEvent(type: string, object: Record<string, unknown>, opts: { delivered?: boolean; created?: number; id?: string } = {}): Obj & { delivered: boolean } {
    const id = opts.id ?? fakeId('evt')
    const e = {
      id,
      object: 'event',
      api_version: '2025-09-30.clover',
      created: opts.created ?? now(),
      type,
      livemode: false,
      pending_webhooks: opts.delivered === false ? 1 : 0,
      request: { id: null, idempotency_key: null },
      data: { object: structuredClone(object) },
      delivered: opts.delivered ?? true
    }
    this.events.set(id, e)
    return e
  }

  addEndpoint(url: string, events: string[], status: 'enabled' | 'disabled' = 'enabled'): Obj {
    const id = fakeId('we')
    const w = { id, object: 'webhook_endpoint', url, enabled_events: events, status, api_version: null, created: now(), livemode: false, description: null }
    this.endpoints.set(id, w)
    return w
  }

  // ------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    const auth = String(req.headers.authorization ?? '')
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : ''
    const method = req.method ?? 'GET'
    const idemKey = (req.headers['idempotency-key'] as string | undefined) ?? null
    this.requests.push({ method, path: url.pathname, query: url.searchParams, key, idempotencyKey: idemKey, body })

    const send = (status: number, payload: unknown) => {
      const text = JSON.stringify(payload)
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': fakeId('req'), ...(idemKey ? { 'idempotency-key': idemKey } : {}) })
      res.end(text)
    }
    const script = this.scripts.find((s) => s.path.test(url.pathname) && (!s.method || s.method === method))
    if (script) {
      script.times = (script.times ?? 1) - 1
      if (script.times <= 0) this.scripts.splice(this.scripts.indexOf(script), 1)
      if (script.hang) return // the client's timeout fires
      if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs))
      if (script.status) return send(script.status, script.body ?? errorBody(script.status))
    }
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs))

    const perms = this.keys.get(key)
    if (!perms) {
      const masked = key.length > 8 ? `${key.slice(0, 8)}${'*'.repeat(8)}${key.slice(-4)}` : '****'
      return send(401, { error: { type: 'invalid_request_error', message: `Invalid API Key provided: ${masked}` } })
    }
    if (method === 'POST' && idemKey && this.idem.has(idemKey)) {
      const prev = this.idem.get(idemKey)!
      return send(prev.status, prev.body)
    }
    const { status, payload } = this.route(method, url, body, perms, key)
    if (method === 'POST' || method === 'DELETE') {
      if (idemKey && status < 500) this.idem.set(idemKey, { status, body: structuredClone(payload) })
      if (status === 200) this.effects.push({ method, path: url.pathname, idempotencyKey: idemKey })
    }
    send(status, payload)
  }

  private route(method: string, url: URL, body: URLSearchParams, perms: Set<Permission>, key: string): { status: number; payload: unknown } {
    const p = url.pathname
    const q = url.searchParams
    const need = (perm: Permission) => (perms.has(perm) ? null : { status: 403, payload: permissionError(key, perm, this.account.id) })
    const ok = (payload: unknown) => ({ status: 200, payload })
    const missing = (what: string, id: string) => ({ status: 404, payload: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}: '${id}'`, param: 'id' } } })
    let m: RegExpExecArray | null

    if (method === 'GET' && p === '/v1/account') return need('account_read') ?? ok(this.account)
    if (method === 'GET' && p === '/v1/events') {
      const types = [...q.entries()].filter(([k]) => k === 'type' || k.startsWith('types[')).map(([, v]) => v)
      const gte = Number(q.get('created[gte]') ?? 0)
      const ds = q.get('delivery_success')
      const list = [...this.events.values()].filter(
        (e) => (!types.length || types.includes(String(e.type))) && e.created >= gte && (ds === null || String(e.delivered) === ds)
      )
      return need('event_read') ?? ok(this.page('/v1/events', list.map(publicEvent), q))
    }
    if (method === 'GET' && (m = /^\/v1\/events\/([^/]+)$/.exec(p))) {
      const e = this.events.get(m[1]!)
      return need('event_read') ?? (e ? ok(publicEvent(e)) : missing('event', m[1]!))
    }
    if (method === 'GET' && p === '/v1/webhook_endpoints') return need('webhook_read') ?? ok(this.page(p, [...this.endpoints.values()], q))
    if (method === 'GET' && p === '/v1/subscriptions') {
      const status = q.get('status')
      const customer = q.get('customer')
      const list = [...this.subscriptions.values()].filter(
        (s) => (customer === null || s.customer === customer) && (status === 'all' || (status ? s.status === status : s.status !== 'canceled'))
      )
      return need('subscription_read') ?? ok(this.page(p, list, q))
    }
    if ((m = /^\/v1\/subscriptions\/([^/]+)$/.exec(p))) {
      const sub = this.subscriptions.get(m[1]!)
      if (method === 'GET') return need('subscription_read') ?? (sub ? ok(sub) : missing('subscription', m[1]!))
      const denied = need('subscription_write')
      if (denied) return denied
      if (!sub) return missing('subscription', m[1]!)
      if (method === 'POST') {
        if (body.has('cancel_at_period_end')) this.updateSubscription(sub.id, { cancelAtPeriodEnd: body.get('cancel_at_period_end') === 'true' })
        return ok(sub)
      }
      if (method === 'DELETE') {
        sub.status = 'canceled'
        sub.canceled_at = now()
        sub.ended_at = now()
        return ok(sub)
      }
    }
    if (method === 'GET' && p === '/v1/invoices') {
      const customer = q.get('customer')
      const subscription = q.get('subscription')
      const list = [...this.invoices.values()].filter(
        (i) =>
          (customer === null || i.customer === customer) &&
          (subscription === null || (i.parent as { subscription_details?: { subscription?: string } } | null)?.subscription_details?.subscription === subscription)
      )
      return need('invoice_read') ?? ok(this.page(p, list, q))
    }
    if (method === 'GET' && (m = /^\/v1\/invoices\/([^/]+)$/.exec(p))) {
      const inv = this.invoices.get(m[1]!)
      return need('invoice_read') ?? (inv ? ok(inv) : missing('invoice', m[1]!))
    }
    if (method === 'GET' && (m = /^\/v1\/customers\/([^/]+)$/.exec(p))) {
      const c = this.customers.get(m[1]!)
      return need('customer_read') ?? (c ? ok(c) : missing('customer', m[1]!))
    }
    if (method === 'GET' && p === '/v1/customers') return need('customer_read') ?? ok(this.page(p, [...this.customers.values()], q))
    const expands = [...q.entries()].filter(([k]) => k === 'expand' || k.startsWith('expand[')).map(([, v]) => v)
    if (method === 'GET' && p === '/v1/prices') {
      const active = q.get('active')
      const list = [...this.prices.values()].filter((x) => active === null || String(x.active) === active)
      const page = this.page(p, list, q)
      return need('price_read') ?? ok({ ...page, data: page.data.map((x) => this.priceOut(x, expands.includes('data.product'))) })
    }
    if (method === 'GET' && (m = /^\/v1\/prices\/([^/]+)$/.exec(p))) {
      const price = this.prices.get(m[1]!)
      return need('price_read') ?? (price ? ok(this.priceOut(price, expands.includes('product'))) : missing('price', m[1]!))
    }
    return { status: 404, payload: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${p}).` } } }
  }

  /** Newest first, Stripe's cursor pagination. */
  private page(url: string, all: Obj[], q: URLSearchParams) {
    const sorted = [...all].sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    const limit = Math.min(100, Math.max(1, Number(q.get('limit') ?? 10)))
    const after = q.get('starting_after')
    let start = 0
    if (after) {
      const i = sorted.findIndex((o) => o.id === after)
      start = i < 0 ? sorted.length : i + 1
    }
    const data = sorted.slice(start, start + limit)
    return { object: 'list', url, has_more: start + limit < sorted.length, data }
  }
}

function publicEvent(e: Obj & { delivered: boolean }): Obj {
  const { delivered: _d, ...rest } = e
  return rest as Obj
}

function permissionError(key: string, perm: Permission, account: string) {
  return {
    error: {
      type: 'invalid_request_error',
      message: `The provided key '${key.slice(0, 8)}${'*'.repeat(8)}${key.slice(-4)}' does not have the required permissions for this endpoint on account '${account}'. Having the 'rak_${perm}' permission would allow this request to continue.`
    }
  }
}

function errorBody(status: number) {
  if (status === 429) return { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded. Retry after some time.' } }
  if (status >= 500) return { error: { type: 'api_error', message: 'Something went wrong on Stripe’s end.' } }
  if (status === 401) return { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } }
  return { error: { type: 'invalid_request_error', message: `Error ${status}` } }
}
