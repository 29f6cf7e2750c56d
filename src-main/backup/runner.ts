import { randomInt } from 'node:crypto'
import pg from 'pg'
import { log } from '../core/logger'
import type { ConnectionTarget } from '../db/connection'
import { RUNNER_LOCK_SPACE } from './catalog'

/**
 * This console's presence while it runs backup jobs (migration 0008). A connection of its
 * own holds the session advisory lock (RUNNER_LOCK_SPACE, runner); rows and batches the
 * console runs carry the runner number, so other consoles can tell them from rows left
 * behind by a console that stopped. The runner number stays the same for the console's
 * life: a lost connection (idle timeout, network, server restart) is noticed by a
 * heartbeat and replaced, and the same lock taken again.
 */
export class RunnerPresence {
  readonly runner = randomInt(1, 2 ** 31 - 1)
  private client: pg.Client | null = null
  private holding = false
  private active = false
  private timer: NodeJS.Timeout | null = null
  private checking: Promise<void> | null = null

  constructor(
    private readonly target: () => ConnectionTarget,
    private readonly heartbeatMs = 20_000
  ) {}

  /** Holds the lock while jobs run (the first call connects); answers the runner number. */
  async hold(): Promise<number> {
    this.active = true
    if (!this.timer) {
      this.timer = setInterval(() => void this.ensure().catch((e) => log.warn('the jobs connection could not be restored; retrying', e)), this.heartbeatMs)
      this.timer.unref()
    }
    await this.ensure()
    return this.runner
  }

  /** No job runs any more: the connection, and with it the lock, goes. */
  release(): void {
    this.active = false
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.drop()
  }

  private ensure(): Promise<void> {
    this.checking ??= this.check().finally(() => {
      this.checking = null
    })
    return this.checking
  }

  private async check(): Promise<void> {
    if (this.client) {
      try {
        await this.client.query('SELECT 1')
        if (this.holding) return
      } catch {
        this.drop()
      }
    }
    if (!this.active) return
    if (!this.client) {
      const c = new pg.Client({
        ...this.target().pg,
        application_name: 'nchat-console-jobs',
        connectionTimeoutMillis: 10_000,
        query_timeout: 10_000,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000
      } as pg.ClientConfig)
      c.on('error', (e) => log.warn('the jobs connection failed; it is replaced at the next heartbeat', e))
      c.on('end', () => {
        if (this.client === c) this.drop()
      })
      await c.connect()
      if (!this.active) {
        await c.end().catch(() => {})
        return
      }
      this.client = c
    }
    const r = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [RUNNER_LOCK_SPACE, this.runner])
    // Not granted: an earlier session of this console that the server has not yet seen
    // die still holds it (so the rows still look alive); the next heartbeat tries again.
    this.holding = Boolean(r.rows[0]?.ok)
    if (!this.active) this.drop()
  }

  private drop(): void {
    const c = this.client
    this.client = null
    this.holding = false
    void c?.end().catch(() => {})
  }
}
