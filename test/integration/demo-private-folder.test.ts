import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { demoBinaries, packagedBinaries, postgresCanExecute } from '../../src-main/demo/binaries'
import { DemoService } from '../../src-main/demo/service'
import { seedFleet } from '../../src-main/seed/generator'

/**
 * The demo run as root from a checkout inside a private folder (mode 0700, as `mktemp -d`
 * makes): the postgres system user cannot execute the packaged binaries there. The demo
 * stages a copy it can reach and runs that; when even that is impossible it fails at once
 * with a message saying what to do. Simulated here by copying the packaged binaries
 * (with their package.json) into a private folder.
 */

const ROOT = resolve(__dirname, '../..')
const MIGRATIONS = join(ROOT, 'migrations')
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

let copied: Promise<{ initdb: string; postgres: string }> | null = null
function privateBinaries(priv: string): Promise<{ initdb: string; postgres: string }> {
  return (copied ??= copyBinaries(priv))
}

async function copyBinaries(priv: string): Promise<{ initdb: string; postgres: string }> {
  const pkg = await packagedBinaries()
  const pkgDir = dirname(dirname(dirname(pkg.initdb)))
  const copy = join(priv, 'checkout', 'node_modules', 'pkg')
  mkdirSync(copy, { recursive: true })
  cpSync(join(pkgDir, 'native'), join(copy, 'native'), { recursive: true, verbatimSymlinks: true })
  cpSync(join(pkgDir, 'package.json'), join(copy, 'package.json'))
  return { initdb: join(copy, 'native', 'bin', 'initdb'), postgres: join(copy, 'native', 'bin', 'postgres') }
}

describe.skipIf(!isRoot)('embedded demo from a private folder (root)', () => {
  const priv = mkdtempSync(join(tmpdir(), 'nchat-private-')) // 0700
  const base = mkdtempSync(join(tmpdir(), 'nchat-stage-'))
  chmodSync(base, 0o755)
  let demo: DemoService | null = null
  afterAll(async () => {
    await demo?.stop().catch(() => {})
    rmSync(priv, { recursive: true, force: true })
    rmSync(base, { recursive: true, force: true })
  })

  it('stages the binaries where the postgres user can reach them, then starts, seeds and stops', async () => {
    expect(statSync(priv).mode & 0o777).toBe(0o700)
    const source = await privateBinaries(priv)
    expect(postgresCanExecute(source.initdb)).toBe(false)

    demo = new DemoService({
      userDataDir: join(priv, 'user-data'),
      migrationsDir: MIGRATIONS,
      rootFallbackBase: base,
      binaries: source,
      seed: async (db) => void (await seedFleet(db, { tenants: 3, seed: 5 }))
    })
    await demo.start()
    expect(demo.status()).toMatchObject({ state: 'running', seeded: true, problem: null })
    // The cluster left the private user-data folder too.
    expect(demo.status().dataDir.startsWith(base)).toBe(true)
    const c = new pg.Client(demo.target().pg as pg.ClientConfig)
    await c.connect()
    try {
      const n = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM public.tenants')
      expect(n.rows[0]!.n).toBeGreaterThanOrEqual(3)
    } finally {
      await c.end()
    }
    const pid = Number(readFileSync(join(demo.status().dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    await demo.stop()
    expect(demo.status().state).toBe('stopped')
    expect(() => process.kill(pid, 0)).toThrow()

    // One staged copy per version, reused (not copied again) by the next start.
    const staged = await demoBinaries({ stageBase: base, source })
    expect(staged.staged).toBe(true)
    expect(staged.initdb.startsWith(base)).toBe(true)
    expect(postgresCanExecute(staged.initdb)).toBe(true)
    const marker = join(dirname(dirname(staged.initdb)), '.nchat-staged')
    const before = statSync(marker).mtimeMs
    expect((await demoBinaries({ stageBase: base, source })).initdb).toBe(staged.initdb)
    expect(statSync(marker).mtimeMs).toBe(before)
  })

  it('fails at once, saying what to do, when no folder the postgres user can reach is available', async () => {
    const source = await privateBinaries(priv)
    const unreachable = join(priv, 'no-reach')
    const d = new DemoService({
      userDataDir: join(priv, 'user-data-2'),
      migrationsDir: MIGRATIONS,
      rootFallbackBase: unreachable,
      binaries: source,
      seed: async () => {}
    })
    const err = await d.start().then(
      () => null,
      (e: unknown) => e as { code?: string; message?: string }
    )
    expect(err?.code).toBe('UNSUPPORTED')
    expect(err?.message).toMatch(/postgres system user cannot reach .*chmod o\+x/)
    expect(d.status()).toMatchObject({ state: 'failed' })
    await d.stop()
  })
})
