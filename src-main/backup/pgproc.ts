/**
 * Running pg_dump / pg_restore: connection settings through environment variables,
 * the password through a temporary passfile (mode 0600, in a private 0700 folder),
 * never on the command line; spawn with an argument array, never a shell.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { registerSecret } from '../core/logger'

export interface PgConn {
  host?: string
  port?: string
  user?: string
  database?: string
  password?: string
  sslmode?: string
  /** Other libpq URL parameters kept as environment (sslrootcert etc.). */
  extra: Record<string, string>
}

const PARAM_ENV: Record<string, string> = {
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  options: 'PGOPTIONS'
}

/** Reads a pg.PoolConfig (connection string and/or fields) into libpq terms. */
export function connFromConfig(cfg: pg.PoolConfig): PgConn {
  const out: PgConn = { extra: {} }
  if (cfg.connectionString) {
    const u = new URL(cfg.connectionString)
    if (u.hostname) out.host = decodeURIComponent(u.hostname.replace(/^\[|\]$/g, ''))
    if (u.port) out.port = u.port
    if (u.username) out.user = decodeURIComponent(u.username)
    if (u.password) out.password = decodeURIComponent(u.password)
    const db = decodeURIComponent(u.pathname.replace(/^\//, ''))
    if (db) out.database = db
    for (const [k, v] of u.searchParams) {
      if (k === 'host') out.host = v
      else if (k === 'port') out.port = v
      else if (k === 'user') out.user = v
      else if (k === 'password') out.password = v
      else if (k === 'dbname') out.database = v
      else if (k === 'sslmode') out.sslmode = v
      else if (PARAM_ENV[k]) out.extra[PARAM_ENV[k]] = v
    }
  }
  if (cfg.host) out.host = cfg.host
  if (cfg.port) out.port = String(cfg.port)
  if (cfg.user) out.user = cfg.user
  if (cfg.database) out.database = cfg.database
  if (typeof cfg.password === 'string') out.password = cfg.password
  if (!out.sslmode && cfg.ssl) out.sslmode = typeof cfg.ssl === 'object' && cfg.ssl.rejectUnauthorized === false ? 'require' : 'verify-full'
  return out
}

function escapePass(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/:/g, '\\:')
}

export interface PgEnv {
  env: NodeJS.ProcessEnv
  cleanup(): Promise<void>
}

/** Environment for a libpq tool: PG* variables from the config, password in a 0600 passfile. */
export async function pgEnv(cfg: pg.PoolConfig, appName: string): Promise<PgEnv> {
  const c = connFromConfig(cfg)
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v
  if (c.host) env.PGHOST = c.host
  if (c.port) env.PGPORT = c.port
  if (c.user) env.PGUSER = c.user
  if (c.database) env.PGDATABASE = c.database
  if (c.sslmode) env.PGSSLMODE = c.sslmode
  Object.assign(env, c.extra)
  env.PGAPPNAME = appName
  env.PGCONNECT_TIMEOUT ??= '10'
  let dir: string | null = null
  if (c.password) {
    registerSecret(c.password)
    dir = await mkdtemp(join(tmpdir(), 'nchat-pgpass-'))
    await chmod(dir, 0o700)
    const file = join(dir, 'pgpass')
    await writeFile(file, `*:*:*:*:${escapePass(c.password)}\n`, { mode: 0o600 })
    await chmod(file, 0o600)
    env.PGPASSFILE = file
  } else {
    env.PGPASSFILE = join(tmpdir(), 'nchat-no-passfile')
  }
  return {
    env,
    cleanup: async () => {
      if (dir) await rm(dir, { recursive: true, force: true })
    }
  }
}

export interface RunningTool {
  child: ChildProcess
  /** Resolves when the process ended: code/signal and the tail of stderr. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
  kill(): void
}

/** Spawns a tool (no shell). stderr lines go to onStderrLine; its tail is kept for messages. */
export function runTool(
  path: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { onStderrLine?: (line: string) => void; stdin?: 'pipe' | 'ignore' } = {}
): RunningTool {
  const child = spawn(path, args, { env, shell: false, windowsHide: true, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] })
  let tail = ''
  let partial = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (s: string) => {
    tail = (tail + s).slice(-8000)
    if (opts.onStderrLine) {
      partial += s
      let i: number
      while ((i = partial.indexOf('\n')) >= 0) {
        opts.onStderrLine(partial.slice(0, i))
        partial = partial.slice(i + 1)
      }
    }
  })
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('error', (e) => {
      tail += `\n${e.message}`
    })
    child.on('close', (code, signal) => resolve({ code, signal, stderr: tail }))
  })
  let killTimer: NodeJS.Timeout | null = null
  let killed = false
  // A tool that is a wrapper script may leave children holding its pipes open after it was
  // killed; once the tool itself has exited, its pipes are no longer read, so readers and
  // `done` end instead of waiting for those children.
  child.on('exit', () => {
    if (!killed) return
    child.stdout?.destroy()
    child.stderr?.destroy()
    child.stdin?.destroy()
  })
  return {
    child,
    done,
    kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      killed = true
      child.kill('SIGTERM')
      killTimer ??= setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      }, 3000)
      killTimer.unref()
    }
  }
}

/** A sentence about why a pg tool failed, with no SQL or secrets. */
export function describeToolFailure(tool: string, r: { code: number | null; signal: NodeJS.Signals | null; stderr: string }): string {
  const e = r.stderr
  if (r.signal) return `${tool} was stopped (${r.signal}) before it finished.`
  if (/password authentication failed|no password supplied|password must be/i.test(e)) return `${tool} could not log in: the database refused the password for this connection.`
  if (/could not connect|Connection refused|could not translate host/i.test(e)) return `${tool} could not connect to the database server.`
  if (/terminating connection|server closed the connection unexpectedly|connection to server .* (failed|lost)|the database system is shutting down/i.test(e)) {
    return `${tool} lost its connection to the database server (it stopped or restarted). Retry once the database is back.`
  }
  if (/server version mismatch|aborting because of server version/i.test(e)) return `${tool} is older than the server; install the matching PostgreSQL client tools.`
  if (/permission denied for (schema|table|sequence|relation)/i.test(e)) {
    return `${tool} was refused read access to the tenant's schema. The connected role needs USAGE on the schema and SELECT on its tables and sequences (the console's support role gets them from the lifecycle migration 0004 grants; that migration is not applied here, or the schema was created after it).`
  }
  if (/could not obtain lock|lock timeout|canceling statement due to lock timeout/i.test(e) || (/statement timeout/i.test(e) && /LOCK TABLE/i.test(e))) return `${tool} gave up waiting for a table lock held by another session; retry when the tenant is quieter.`
  if (/no matching schemas were found/i.test(e)) return `${tool} found no schema with exactly that name; the tenant's schema may have been renamed or dropped.`
  if (/invalid snapshot identifier|could not import the requested snapshot/i.test(e)) return `${tool} could not use the backup's snapshot (the exporting session ended).`
  if (/unsupported version .* in file header/i.test(e)) return `${tool} is too old to read this backup's archive; install newer PostgreSQL client tools.`
  if (/No space left on device/i.test(e)) return `${tool} ran out of disk space.`
  if (/ENOENT/.test(e)) return `${tool} could not be started (it is missing).`
  return `${tool} failed (exit code ${r.code ?? '?'}).`
}
