import { test as base, expect, type Page } from '@playwright/test'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { CHANNELS, EVENT_NAMES, type EventMap, type EventName } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl, type ConnectionTarget } from '../../src-main/db/connection'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { createDatabase } from '../support/pg-server'
import { E2E_ENV, e2eEnv, type SharedSeed } from './env'
import { FakePlatform } from './fake-platform'
import { serveStatic, type StaticServer } from './static-server'

const ROOT = resolve(__dirname, '../..')
export const RENDERER_DIR = join(ROOT, 'out/renderer')
export const MIGRATIONS_DIR = join(ROOT, 'migrations')

/** Stops and starts the shared PostgreSQL server (owned by the runner, see global-setup.ts). */
export interface PgControl {
  /** False when NCHAT_TEST_DATABASE_URL points at a server the tests do not own. */
  readonly canStop: boolean
  stop(): Promise<void>
  start(): Promise<void>
}

export interface Harness {
  /** http://127.0.0.1:<port> serving out/renderer. */
  origin: string
  page: Page
  /** The real main-process context (services, connection manager) in the test process. */
  ctx: AppContext
  registry: Registry
  platform: FakePlatform
  /** Superuser URL of this test's database. */
  dbUrl: string
  /** Superuser URL of the server's maintenance database. */
  adminUrl: string
  pg: PgControl
  /** What the generator put in the shared database (quirk tenant ids and so on). */
  seed: SharedSeed
  /** Runs SQL on this test's database over a separate superuser connection, to check what the UI shows. */
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>
  /** Loads the console at `#/<screen>` (default: the tenant directory) and waits for the shell. */
  open(screen?: string): Promise<void>
  /** Emits an event from "main" and waits until the page got it. */
  emit<E extends EventName>(event: E, payload: EventMap[E]): Promise<void>
  /** Delays every bridge request by `ms` (to see loading states); 0 turns it off. */
  setLatency(ms: number): void
  /** Points the context at another database (like a profile switch) and emits session:changed. */
  switchTarget(target: ConnectionTarget | null): Promise<void>
}

export interface HarnessOptions {
  /**
   * 'shared' (default): the seeded database every spec reads. 'fresh': a private copy
   * of it for this test, dropped afterwards; use it for anything that writes.
   */
  database: 'shared' | 'fresh'
  /** Overrides parts of the connection target (profile, environment colour, operator). */
  target: Partial<ConnectionTarget> | undefined
}

/** The init script: defines window.nchat with the shape src-preload/api.ts `buildApi` gives. */
function installBridge({ channels, events }: { channels: string[]; events: string[] }) {
  type Listener = (payload: unknown) => void
  const listeners = new Map<string, Set<Listener>>()
  const w = window as unknown as { __nchatInvoke: (channel: string, input: unknown) => Promise<unknown> }
  const invoke = (channel: string, input: unknown) => w.__nchatInvoke(channel, input)
  const api: Record<string, Record<string, (input: unknown) => Promise<unknown>>> = {}
  for (const channel of channels) {
    const [ns, method] = channel.split(':') as [string, string]
    const group = (api[ns] ??= {})
    group[method] = (input: unknown) => invoke(channel, input === undefined ? {} : input)
  }
  const on = (event: string, listener: Listener): (() => void) => {
    if (!events.includes(event)) throw new Error(`Unknown event ${String(event)}`)
    const set = listeners.get(event) ?? new Set<Listener>()
    listeners.set(event, set)
    // contextBridge hands each registration its own wrapper: the same listener twice is two listeners
    const wrapped: Listener = (p) => listener(p)
    set.add(wrapped)
    return () => {
      set.delete(wrapped)
    }
  }
  Object.defineProperty(window, 'nchat', { value: Object.freeze({ ...api, on }), enumerable: true })
  Object.defineProperty(window, '__nchatDeliver', {
    value: (event: string, payload: unknown) => {
      for (const l of [...(listeners.get(event) ?? [])]) l(structuredClone(payload))
    }
  })
}

async function cloneDatabase(adminUrl: string, template: string): Promise<{ url: string; drop(): Promise<void> }> {
  const db = await createDatabase(adminUrl, 'e2e_fresh')
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try {
    await c.query(`DROP DATABASE "${db.name}"`)
    await c.query(`CREATE DATABASE "${db.name}" TEMPLATE "${template}"`)
  } finally {
    await c.end()
  }
  return db
}

function pgControl(): PgControl {
  const url = e2eEnv('control')
  const post = async (what: 'stop' | 'start') => {
    const r = await fetch(`${url}/pg/${what}`, { method: 'POST' })
    if (!r.ok) throw new Error(`pg ${what} failed: ${await r.text()}`)
  }
  return { canStop: e2eEnv('canStop') === '1', stop: () => post('stop'), start: () => post('start') }
}

/**
 * `test` for end-to-end specs: `test('...', async ({ page, harness }) => { await harness.open() ... })`.
 * Options: `test.use({ database: 'fresh' })`, `test.use({ target: { profile: {...} } })`.
 */
export const test = base.extend<HarnessOptions & { harness: Harness }, { staticServer: StaticServer }>({
  database: ['shared', { option: true }],
  target: [undefined, { option: true }],
  staticServer: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const server = await serveStatic(RENDERER_DIR)
      await use(server)
      await server.close()
    },
    { scope: 'worker' }
  ],
  harness: async ({ page, staticServer, database, target }, use) => {
    const adminUrl = e2eEnv('adminUrl')
    const fresh = database === 'fresh' ? await cloneDatabase(adminUrl, e2eEnv('templateDb')) : null
    const dbUrl = fresh?.url ?? e2eEnv('sharedUrl')
    const origin = staticServer.origin
    const platform = new FakePlatform()
    const ctx = createContext({ platform, migrationsDir: MIGRATIONS_DIR })
    await ctx.db.setTarget(targetFromUrl(dbUrl, { ...target }))
    const registry = createRegistry(ctx, handlers, (url) => url.startsWith(origin + '/'))

    let latencyMs = 0
    await page.exposeBinding('__nchatInvoke', async (source, channel: unknown, input: unknown) => {
      if (latencyMs > 0) await new Promise((ok) => setTimeout(ok, latencyMs))
      return registry.invoke(channel as string, input, { senderUrl: source.frame.url() })
    })
    await page.addInitScript(installBridge, { channels: [...CHANNELS], events: [...EVENT_NAMES] })
    const disconnect = platform.connect(async (event, payload) => {
      await page.evaluate(
        ([e, p]) => (window as unknown as { __nchatDeliver?: (e: string, p: unknown) => void }).__nchatDeliver?.(e, p),
        [event, payload] as const
      )
    })

    const checker = new pg.Pool({ connectionString: dbUrl, max: 2 })
    checker.on('error', () => {}) // the server may be stopped on purpose

    const harness: Harness = {
      origin,
      page,
      ctx,
      registry,
      platform,
      dbUrl,
      adminUrl,
      pg: pgControl(),
      seed: JSON.parse(e2eEnv('seed')) as SharedSeed,
      async sql(text, params) {
        return (await checker.query(text, params)).rows
      },
      async open(screen) {
        await page.goto(`${origin}/index.html#/${screen ?? 'tenants'}`)
        await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible()
      },
      async emit(event, payload) {
        platform.emit(event, payload)
        await platform.flush()
      },
      setLatency(ms) {
        latencyMs = ms
      },
      async switchTarget(next) {
        await ctx.db.setTarget(next)
        await harness.emit('session:changed', await ctx.session.info())
      }
    }
    await use(harness)

    disconnect()
    await ctx.db.close()
    await checker.end().catch(() => {})
    await fresh?.drop().catch(() => {})
  }
})

export { expect }
export { E2E_ENV }
