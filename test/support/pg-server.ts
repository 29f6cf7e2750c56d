import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/**
 * A real PostgreSQL server for tests: the one named by NCHAT_TEST_DATABASE_URL
 * when set, otherwise a throwaway cluster started here from Debian's binaries.
 */
export interface PgServer {
  /** Superuser URL of the maintenance database. */
  adminUrl: string
  binDir: string
  dataDir: string | null
  port: number
  stop(): void
  start(): void
}

export const PG_PASSWORD = 'nchat-test-pw'

export function pgBinDir(): string {
  if (process.env.NCHAT_PG_BIN) return process.env.NCHAT_PG_BIN
  for (const v of ['15', '16', '17', '18']) {
    const d = `/usr/lib/postgresql/${v}/bin`
    if (existsSync(join(d, 'pg_ctl'))) return d
  }
  throw new Error('PostgreSQL server binaries not found: install postgresql-15 or set NCHAT_PG_BIN')
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

/** Runs a PostgreSQL tool, as the postgres user when we are root (initdb refuses root). */
export function runPgTool(bin: string, args: string[]): void {
  const cmd = isRoot ? 'runuser' : bin
  const argv = isRoot ? ['-u', 'postgres', '--', bin, ...args] : args
  const r = spawnSync(cmd, argv, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr || r.stdout}`)
}

export async function startTestPostgres(): Promise<PgServer> {
  if (process.env.NCHAT_TEST_DATABASE_URL) {
    const u = new URL(process.env.NCHAT_TEST_DATABASE_URL)
    return {
      adminUrl: process.env.NCHAT_TEST_DATABASE_URL,
      binDir: pgBinDir(),
      dataDir: null,
      port: Number(u.port || 5432),
      stop() {},
      start() {}
    }
  }
  const binDir = pgBinDir()
  const base = mkdtempSync(join(tmpdir(), 'nchat-pg-'))
  chmodSync(base, 0o755)
  const dataDir = join(base, 'data')
  const sockDir = join(base, 'sock')
  mkdirSync(sockDir)
  const pwFile = join(base, 'pw')
  writeFileSync(pwFile, PG_PASSWORD + '\n')
  if (isRoot) execFileSync('chown', ['-R', 'postgres:postgres', base])
  runPgTool(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--pwfile', pwFile, '-A', 'scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
  const port = await freePort()
  const opts = [
    `-p ${port}`,
    `-k ${sockDir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    '-c max_locks_per_transaction=512',
    '-c shared_buffers=256MB'
  ].join(' ')
  const logFile = join(base, 'server.log')
  const server: PgServer = {
    adminUrl: `postgresql://postgres:${PG_PASSWORD}@127.0.0.1:${port}/postgres`,
    binDir,
    dataDir,
    port,
    start() {
      runPgTool(join(binDir, 'pg_ctl'), ['-D', dataDir, '-o', opts, '-l', logFile, '-w', '-t', '60', 'start'])
    },
    stop() {
      try {
        runPgTool(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'])
      } catch {
        /* already stopped */
      }
    }
  }
  server.start()
  process.once('exit', () => {
    server.stop()
    rmSync(base, { recursive: true, force: true })
  })
  return server
}

/** Creates a fresh, empty database on the server and returns its URL. */
export async function createDatabase(adminUrl: string, prefix = 't'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`)
  } finally {
    await admin.end()
  }
  const u = new URL(adminUrl)
  u.pathname = '/' + name
  return {
    url: u.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await c.end()
      }
    }
  }
}
