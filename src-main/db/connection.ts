import pg from 'pg'
import { AppError, isUnavailable } from '../core/errors'
import { log, registerSecret } from '../core/logger'

// int8 (bigint, count(*)) as JS numbers: tenant counts and byte sizes stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v))

export interface Operator {
  name: string
  email: string
}

/** Everything main needs to talk to one deployment. Secrets live only here, in main. */
export interface ConnectionTarget {
  /** Shown to people: never contains the password. */
  label: string
  pg: pg.PoolConfig
  templateSchema: string
  tenantPrefix: string
  operator: Operator
  profile?: { id: string; name: string; environment: string; color: string } | null
  redisUrl?: string | null
  stripeKey?: string | null
  /** The Stripe webhook signing secret (whsec_…) the profile holds; main only, like the key. */
  webhookSecret?: string | null
  pgBinDir?: string | null
  /** The app's base domain (the profile's; null: not named). Tenants live at <slug>.<base domain>. */
  baseDomain?: string | null
  /** Reachability checks (src-main/reach): DNS server, extra CA file, HTTPS port (tests). */
  checks?: { dnsServer?: string | null; caFile?: string | null; httpsPort?: number | null } | null
}

/** Anything that runs a parameterized query: a pool, a client, the manager. */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query<R extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>
}

/**
 * Owns the pool for the current target. Switching targets closes the old pool
 * first, so no query of target A can run under target B.
 */
export class ConnectionManager {
  private pool: pg.Pool | null = null
  private current: ConnectionTarget | null = null
  private generation = 0

  get target(): ConnectionTarget | null {
    return this.current
  }

  /** Increases whenever the target changes; caches keyed on it die with the old target. */
  get gen(): number {
    return this.generation
  }

  async setTarget(target: ConnectionTarget | null): Promise<void> {
    const old = this.pool
    this.pool = null
    this.current = target
    this.generation++
    if (old) await old.end().catch((e) => log.warn('closing previous pool failed', e))
    if (!target) return
    if (typeof target.pg.password === 'string') registerSecret(target.pg.password)
    if (target.stripeKey) registerSecret(target.stripeKey)
    if (target.webhookSecret) registerSecret(target.webhookSecret)
    this.pool = new pg.Pool({
      max: 6,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
      application_name: 'nchat-console',
      statement_timeout: 60_000,
      ...target.pg
    })
    this.pool.on('error', (e) => log.warn('idle database connection failed', e))
  }

  private requirePool(): pg.Pool {
    if (!this.pool) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return this.pool
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async query<R extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.requirePool().query<R>(text, params as unknown[])
  }

  /** Runs fn on one client; fn may BEGIN/COMMIT itself. */
  async withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.requirePool().connect()
    let broken = false
    try {
      return await fn(client)
    } catch (e) {
      broken = isUnavailable(e)
      throw e
    } finally {
      client.release(broken)
    }
  }

  /** Runs fn in a transaction; rolls back on any error. */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (c) => {
      await c.query('BEGIN')
      try {
        const out = await fn(c)
        // After an error that fn caught, PostgreSQL answers COMMIT with ROLLBACK:
        // never report success for work that was thrown away.
        const done = await c.query('COMMIT')
        if (done.command === 'ROLLBACK') {
          throw new Error('The transaction was rolled back because a statement in it failed.')
        }
        return out
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {})
        throw e
      }
    })
  }

  async close(): Promise<void> {
    await this.setTarget(null)
  }
}

/** Builds a pg config from a URL, keeping the password out of the label. */
export function targetFromUrl(url: string, opts: Partial<ConnectionTarget> = {}): ConnectionTarget {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new AppError('INVALID_INPUT', 'The database URL is not a valid postgresql:// URL.')
  }
  if (!/^postgres(ql)?:$/.test(u.protocol)) {
    throw new AppError('INVALID_INPUT', 'The database URL must start with postgresql://')
  }
  const label = `${decodeURIComponent(u.username || 'postgres')}@${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`
  return {
    label,
    pg: { connectionString: url },
    templateSchema: 'nchat',
    tenantPrefix: 'tenant_',
    operator: { name: process.env.NCHAT_OPERATOR_NAME ?? 'operator', email: process.env.NCHAT_OPERATOR_EMAIL ?? '' },
    ...opts
  }
}
