import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { seedFleet } from '../../src-main/seed/generator'
import { createDatabase, startTestPostgres, type PgServer } from '../support/pg-server'
import { E2E_ENV, type SharedSeed } from './env'

const ROOT = resolve(__dirname, '../..')

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let max = st.mtimeMs
  for (const name of readdirSync(path)) max = Math.max(max, newestMtime(join(path, name)))
  return max
}

/** Builds the app when out/renderer is missing or older than any renderer or contract source. */
function buildIfStale(): void {
  if (process.env.NCHAT_E2E_SKIP_BUILD === '1') return
  const built = join(ROOT, 'out/renderer/index.html')
  const sources = Math.max(
    newestMtime(join(ROOT, 'src-renderer')),
    newestMtime(join(ROOT, 'src-preload')),
    newestMtime(join(ROOT, 'electron.vite.config.ts'))
  )
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } })
  if (r.status !== 0) throw new Error('electron-vite build failed')
}

/** Migrates and seeds one database; the fleet comes from the demo generator. */
export async function prepareDatabase(url: string, opts: { tenants: number; seed: number }) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await runMigrations(client, await loadMigrations(join(ROOT, 'migrations')))
    return await seedFleet(client, { tenants: opts.tenants, seed: opts.seed })
  } finally {
    await client.end()
  }
}

/**
 * A tiny control endpoint in the runner process, which owns the PostgreSQL server:
 * workers stop and start it through POST /pg/stop and /pg/start.
 */
function controlServer(server: PgServer, state: { stopped: boolean }): Promise<Server> {
  const http = createServer((req, res) => {
    try {
      if (req.method === 'POST' && req.url === '/pg/stop') {
        server.stop()
        state.stopped = true
      } else if (req.method === 'POST' && req.url === '/pg/start') {
        if (state.stopped) server.start()
        state.stopped = false
      } else {
        res.writeHead(404).end()
        return
      }
      res.writeHead(204).end()
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String((e as Error).message))
    }
  })
  return new Promise((ok) => http.listen(0, '127.0.0.1', () => ok(http)))
}

export default async function globalSetup() {
  buildIfStale()
  const server = await startTestPostgres()
  const tenants = Number(process.env.NCHAT_E2E_TENANTS ?? 120)
  const seed = Number(process.env.NCHAT_E2E_SEED ?? 20261129)
  // The seeded database is a template: the shared database and every fresh one are copies.
  const template = await createDatabase(server.adminUrl, 'e2e_tpl')
  const started = Date.now()
  const summary = await prepareDatabase(template.url, { tenants, seed })
  console.log(`[e2e] seeded ${summary.tenants} tenants (${summary.schemasCreated} schemas) in ${Date.now() - started} ms`)
  const shared = await createDatabase(server.adminUrl, 'e2e_shared')
  await cloneInto(server.adminUrl, template.name, shared.name)
  const pgState = { stopped: false }
  const control = await controlServer(server, pgState)
  const shareable: SharedSeed = { tenants: summary.tenants, seed, quirks: summary.quirks }
  process.env[E2E_ENV.adminUrl] = server.adminUrl
  process.env[E2E_ENV.templateDb] = template.name
  process.env[E2E_ENV.sharedUrl] = shared.url
  process.env[E2E_ENV.control] = `http://127.0.0.1:${(control.address() as AddressInfo).port}`
  process.env[E2E_ENV.canStop] = server.dataDir ? '1' : '0'
  process.env[E2E_ENV.seed] = JSON.stringify(shareable)
  return async () => {
    await new Promise((ok) => control.close(ok))
    if (pgState.stopped) server.start() // a spec that failed mid-outage left it stopped
    await shared.drop().catch(() => {})
    await template.drop().catch(() => {})
    server.stop()
  }
}

/** Recreates `target` as a copy of `source` (CREATE DATABASE ... TEMPLATE). */
export async function cloneInto(adminUrl: string, source: string, target: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try {
    await c.query(`DROP DATABASE IF EXISTS "${target}" WITH (FORCE)`)
    await c.query(`CREATE DATABASE "${target}" TEMPLATE "${source}"`)
  } finally {
    await c.end()
  }
}
