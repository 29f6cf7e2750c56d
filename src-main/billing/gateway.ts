import { createHash } from 'node:crypto'
import Stripe from 'stripe'
import { AppError } from '../core/errors'
import { log, registerSecret } from '../core/logger'

/**
 * The one door to Stripe. The key stays in main (never in a message, a log line or the
 * renderer): it is registered with the logger, and every Stripe error is mapped to a
 * sentence of our own before it leaves this file (Stripe's own messages may quote the key).
 *
 * Reads are retried (network errors and 5xx by the library, 429 here with backoff);
 * writes always carry an idempotency key derived from the console operation, so a
 * retried write never acts twice.
 */

/** Where the Stripe API is. Only tests and benchmarks set it (a local fake); never the renderer. */
export interface StripeApiOverride {
  host: string
  port: number
  protocol: 'http' | 'https'
}

export interface GatewayOptions {
  api?: StripeApiOverride | null
  /** Per-request timeout (ms). */
  timeoutMs?: number
  /** Library retries for network errors and 5xx. */
  maxNetworkRetries?: number
  /** Our retries on 429. */
  rateLimitRetries?: number
  /** First backoff after a 429 (ms); doubles each time. */
  rateLimitBaseMs?: number
}

export type KeyKind = 'restricted' | 'secret' | 'publishable' | 'unknown'

export interface KeyFacts {
  kind: KeyKind
  mode: 'live' | 'test' | 'unknown'
  /** sk_live_: accepted only after the operator confirmed the warning. */
  needsLiveWarning: boolean
  /** A short, non-reversible id of the key (to remember a confirmation). */
  fingerprint: string
}

export function keyFacts(key: string): KeyFacts {
  const m = /^(sk|rk|pk)_(live|test)_/.exec(key)
  const kind: KeyKind = !m ? 'unknown' : m[1] === 'rk' ? 'restricted' : m[1] === 'sk' ? 'secret' : 'publishable'
  const mode = !m ? 'unknown' : (m[2] as 'live' | 'test')
  return {
    kind,
    mode,
    needsLiveWarning: kind === 'secret' && mode === 'live',
    fingerprint: createHash('sha256').update(key).digest('hex').slice(0, 16)
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new AppError('CANCELLED', 'Cancelled.'))
    const t = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t)
        reject(new AppError('CANCELLED', 'Cancelled.'))
      },
      { once: true }
    )
  })

/** A Stripe error as a sentence of ours. `what` says what the console tried ("list events"). */
export function stripeError(e: unknown, what: string): AppError {
  if (e instanceof AppError) return e
  const err = e as { type?: string; statusCode?: number; code?: string; name?: string }
  const type = err?.type ?? err?.name ?? ''
  switch (type) {
    case 'StripeAuthenticationError':
      return new AppError('NOT_CONFIGURED', 'Stripe refused the key of this profile (401). Check the Stripe key in the connection profile.')
    case 'StripePermissionError':
      return new AppError(
        'FORBIDDEN',
        `The Stripe key may not ${what} (403). Give the restricted key that permission in the Stripe dashboard, or use another key.`
      )
    case 'StripeRateLimitError':
      return new AppError('RATE_LIMITED', `Stripe asked the console to slow down while trying to ${what} (429). Wait a minute and retry.`)
    case 'StripeConnectionError':
      return new AppError('UPSTREAM_UNAVAILABLE', `Stripe could not be reached to ${what} (network error or timeout). Check the network and retry.`)
    case 'StripeAPIError':
      return new AppError('UPSTREAM_UNAVAILABLE', `Stripe failed while trying to ${what} (server error). Retry in a moment.`)
    case 'StripeIdempotencyError':
      return new AppError('CONFLICT', `Stripe refused to ${what}: the same operation was sent before with other parameters.`)
    case 'StripeInvalidRequestError':
      if (err.code === 'resource_missing' || err.statusCode === 404) {
        return new AppError('NOT_FOUND', `Stripe does not know the object needed to ${what}. It may have been deleted, or it belongs to another account or mode.`)
      }
      return new AppError('INVALID_INPUT', `Stripe refused the request to ${what} as invalid.`)
    default:
      return new AppError('INTERNAL', `Talking to Stripe failed while trying to ${what}. The details were written to the console log.`)
  }
}

const isRateLimit = (e: unknown) => (e as { type?: string })?.type === 'StripeRateLimitError'

export interface ListParams {
  limit?: number
  starting_after?: string
  [k: string]: unknown
}
export interface ApiPage<T> {
  data: T[]
  has_more: boolean
}

export class StripeGateway {
  readonly stripe: Stripe
  readonly facts: KeyFacts
  private readonly rateLimitRetries: number
  private readonly rateLimitBaseMs: number

  constructor(key: string, opts: GatewayOptions = {}) {
    registerSecret(key)
    this.facts = keyFacts(key)
    if (this.facts.kind === 'publishable' || this.facts.kind === 'unknown') {
      throw new AppError('NOT_CONFIGURED', 'The profile’s Stripe key is not a secret or restricted key (sk_… or rk_…). Use a restricted key (rk_…).')
    }
    const api = opts.api
    this.stripe = new Stripe(key, {
      maxNetworkRetries: opts.maxNetworkRetries ?? 2,
      timeout: opts.timeoutMs ?? 20_000,
      telemetry: false,
      ...(api ? { host: api.host, port: api.port, protocol: api.protocol } : {})
    })
    this.rateLimitRetries = opts.rateLimitRetries ?? 4
    this.rateLimitBaseMs = opts.rateLimitBaseMs ?? 1000
  }

  /** A read: 429 retried with exponential backoff; other errors mapped. */
  async read<T>(what: string, fn: (s: Stripe) => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(this.stripe)
      } catch (e) {
        if (isRateLimit(e) && attempt < this.rateLimitRetries) {
          await sleep(this.rateLimitBaseMs * 2 ** attempt, signal)
          continue
        }
        log.warn(`stripe: ${what} failed`, (e as { type?: string })?.type ?? 'error', (e as { statusCode?: number })?.statusCode ?? '')
        throw stripeError(e, what)
      }
    }
  }

  /** A write: always with the caller's idempotency key, so retries (429 included) are safe. */
  async write<T>(what: string, idempotencyKey: string, fn: (s: Stripe, opts: { idempotencyKey: string }) => Promise<T>): Promise<T> {
    if (!/^[A-Za-z0-9:._-]{8,255}$/.test(idempotencyKey)) throw new AppError('INTERNAL', 'Invalid idempotency key.')
    return this.read(what, (s) => fn(s, { idempotencyKey }))
  }

  /**
   * Every object of a list endpoint, 100 a page (Stripe's maximum), following
   * has_more/starting_after. Cancellable between pages; `onPage` sees the running count.
   */
  async listAll<T extends { id: string }>(
    what: string,
    page: (s: Stripe, params: ListParams) => Promise<ApiPage<T>>,
    params: ListParams = {},
    opts: { signal?: AbortSignal; onPage?: (count: number) => void; max?: number } = {}
  ): Promise<{ items: T[]; truncated: boolean }> {
    const items: T[] = []
    let after: string | undefined
    const max = opts.max ?? Number.POSITIVE_INFINITY
    for (;;) {
      if (opts.signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.')
      const p = await this.read(what, (s) => page(s, { ...params, limit: 100, ...(after ? { starting_after: after } : {}) }), opts.signal)
      items.push(...p.data)
      opts.onPage?.(items.length)
      if (!p.has_more || p.data.length === 0) return { items, truncated: false }
      if (items.length >= max) return { items, truncated: true }
      after = p.data[p.data.length - 1]!.id
    }
  }
}
