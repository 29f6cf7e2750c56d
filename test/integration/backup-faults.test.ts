import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDatabase, startTestPostgres, type PgServer } from '../support/pg-server'
import { TestPlatform, makeService, makeTenant, migrate, schemaFingerprint } from './backup-support'

/**
 * Faults during long jobs (docs/reliability.md lists each fault x job and its test):
 * the database stopped in the middle, the disk full, a tool that hangs. After each: no
 * file under its final name (and no temporary file), no catalog row left running, a
 * clear error, and normal work once the fault is gone.
 *
 * Stopping the database needs a server of this file's own (the shared test server serves
 * other files in parallel): one is started here, unless the tests run against
 * NCHAT_TEST_DATABASE_URL, a server these tests may not stop.
 */

const ownServer = !process.env.NCHAT_TEST_DATABASE_URL
let server: PgServer
let url: string
const platform = new TestPlatform()
let con: ReturnType<typeof makeService>
const ids: Record<string, string> = {}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One statement on a connection of its own (connections do not survive a server stop). */
async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url })
  c.on('error', () => {})
  await c.connect()
  try {
    return (await c.query<T>(text, params)).rows
  } finally {
    await c.end().catch(() => {})
  }
}

/** Holds a lock in a session of its own until released (or the server stops). */
async function hold(lockSql: string): Promise<{ release(): Promise<void> }> {
  const c = new pg.Client({ connectionString: url })
  c.on('error', () => {})
  await c.connect()
  await c.query('BEGIN')
  await c.query(lockSql)
  return {
    release: async () => {
      await c.query('ROLLBACK').catch(() => {})
      await c.end().catch(() => {})
    }
  }
}

async function until(what: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await sleep(100)
  }
}

const waitingOnLock = (app: string) => async () =>
  (await sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [app])).length > 0

/** No backup under a final name, and no temporary file either. */
function leftovers(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.nchatbak') || f.includes('.partial') || f.startsWith('.nchat')) : []
}

async function rowsRunning(): Promise<number> {
  // A listing is what shows rows to the operator; it sweeps rows whose console is gone.
  await con.svc.list({ limit: 100 })
  return Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM console.backup_catalog WHERE status = 'running'`))[0]!.n)
}

/** Normal work: a verified backup of the tenant. */
async function backupWorks(tenant: string): Promise<void> {
  const rec = await con.svc.backupTenantNow(ids[tenant]!, { dir: mkdtempSync(join(tmpdir(), 'nchat-faults-ok-')) })
  expect(rec).toMatchObject({ status: 'succeeded', verifyError: null })
}

/**
 * A tool folder whose pg_restore, when it converts an archive to SQL, writes its first
 * lines, then waits for `gate` to exist before writing the rest: a restore held in the
 * middle of its transaction. Everything else is the real tool.
 */
function gatedRestoreTools(gate: string): string {
  const real = inject('pgBinDir')
  const dir = mkdtempSync(join(tmpdir(), 'nchat-gated-tools-'))
  symlinkSync(join(real, 'pg_dump'), join(dir, 'pg_dump'))
  writeFileSync(
    join(dir, 'pg_restore'),
    `#!/bin/sh
for a in "$@"; do
  if [ "$a" = "--file=-" ]; then
    ${JSON.stringify(join(real, 'pg_restore'))} "$@" | {
      i=0
      while [ $i -lt 40 ] && IFS= read -r l; do printf '%s\\n' "$l"; i=$((i+1)); done
      while [ ! -e ${JSON.stringify(gate)} ]; do sleep 0.1; done
      cat
    }
    exit 0
  fi
done
exec ${JSON.stringify(join(real, 'pg_restore'))} "$@"
`,
    { mode: 0o755 }
  )
  return dir
}

/** A tool folder whose pg_dump hangs (sleeps) instead of dumping; `--version` answers. */
function hangingDumpTools(): string {
  const real = inject('pgBinDir')
  const dir = mkdtempSync(join(tmpdir(), 'nchat-hung-dump-'))
  symlinkSync(join(real, 'pg_restore'), join(dir, 'pg_restore'))
  writeFileSync(join(dir, 'pg_dump'), `#!/bin/sh\n[ "$1" = "--version" ] && exec ${JSON.stringify(join(real, 'pg_dump'))} "$@"\nexec sleep 600\n`, { mode: 0o755 })
  return dir
}

const sleeping = () => spawnSync('pgrep', ['-P', String(process.pid), '-x', 'sleep'], { encoding: 'utf8' }).stdout.trim()

beforeAll(async () => {
  server = ownServer ? await startTestPostgres() : ({ adminUrl: inject('pgAdminUrl') } as PgServer)
  url = (await createDatabase(server.adminUrl, 'faults')).url
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await migrate(c)
  for (const slug of ['f-a', 'f-b']) ids[slug] = await makeTenant(c, slug)
  // A tenant whose backup is a few MB even compressed (for the full disk).
  ids['f-big'] = await makeTenant(c, 'f-big')
  await c.query(`INSERT INTO tenant_f_big.nchat_audit_logs (action, details)
                 SELECT 'x', jsonb_build_object('r', md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text)) FROM generate_series(1, 40000)`)
  await c.end()
  con = makeService(url, platform)
  await con.ready()
}, 180_000)

afterAll(async () => {
  await con?.close()
  if (ownServer) server?.stop()
})

describe.skipIf(!ownServer)('the database stops in the middle of a job (a server of this file\'s own)', () => {
  it('single backup: fails saying the database went away, no file, the row is not left running, a backup works once it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nchat-faults-'))
    const lock = await hold('LOCK TABLE tenant_f_a.nchat_users IN ACCESS EXCLUSIVE MODE') // pg_dump waits here
    platform.nextSavePath = join(dir, 'a.nchatbak')
    const started = await con.svc.startExport(ids['f-a']!)
    await until(waitingOnLock('nchat-console-pg_dump'))
    server.stop()
    const end = await con.svc.waitFor(started!.jobId)
    await lock.release()
    expect(end).toMatchObject({ status: 'failed', message: expect.stringMatching(/database cannot be reached|lost its connection to the database/) })
    expect(leftovers(dir)).toEqual([])
    server.start()
    expect(await rowsRunning()).toBe(0)
    const [row] = await con.svc.list({ tenantId: ids['f-a']!, limit: 1 })
    expect(row).toMatchObject({ status: 'failed' })
    await backupWorks('f-a')
  })

  it('batch backup: fails, no file, neither rows nor the batch left running; the batch resumes once it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nchat-faults-batch-'))
    const lock = await hold('LOCK TABLE tenant_f_b.nchat_users IN ACCESS EXCLUSIVE MODE')
    const started = await con.svc.startBatchInto([ids['f-a']!, ids['f-b']!], dir)
    await until(waitingOnLock('nchat-console-pg_dump'))
    server.stop()
    const end = await con.svc.waitFor(started.jobId)
    await lock.release()
    expect(end).toMatchObject({ status: 'failed', message: expect.stringMatching(/database cannot be reached/) })
    expect(leftovers(dir)).toEqual([])
    server.start()
    expect(await rowsRunning()).toBe(0)
    expect((await con.svc.batches()).find((b) => b.id === started.batchId)).toMatchObject({ active: false, status: expect.not.stringMatching(/^running$/) })
    const resumed = await con.svc.resumeBatch(started.batchId)
    expect(await con.svc.waitFor(resumed.jobId)).toMatchObject({ status: 'succeeded', tenantsDone: 2 })
  })

  it('restore: DB_UNAVAILABLE, nothing of it committed, and a restore works once it is back', async () => {
    const rec = await con.svc.backupTenantNow(ids['f-a']!, { dir: mkdtempSync(join(tmpdir(), 'nchat-faults-src-')) })
    const before = await sql(`SELECT count(*)::int AS n FROM public.tenants`)
    const patient = makeService(url, platform, { lockWaitMs: 600_000 })
    await patient.ready()
    try {
      // The copy restores the schema and inserts the tenants row, then waits here, mid-transaction.
      const lock = await hold('LOCK TABLE public.tenant_settings IN EXCLUSIVE MODE')
      const running = patient.svc.restore({ backupId: rec.id, mode: 'copy', newSlug: 'f-a-copy' })
      running.catch(() => {})
      await until(waitingOnLock('nchat-console-restore'))
      server.stop()
      await expect(running).rejects.toMatchObject({ code: 'DB_UNAVAILABLE', message: expect.stringMatching(/before it was committed: nothing was changed/) })
      await lock.release()
      server.start()
      expect(await sql(`SELECT count(*)::int AS n FROM public.tenants`)).toEqual(before)
      expect(await sql(`SELECT nspname FROM pg_namespace WHERE nspname IN ('tenant_f_a_copy') OR nspname LIKE 'nchat\\_%'`)).toEqual([])
      await expect(patient.svc.restore({ backupId: rec.id, mode: 'copy', newSlug: 'f-a-copy' })).resolves.toMatchObject({ tenantSlug: 'f-a-copy' })
    } finally {
      await patient.close()
    }
  })

  it('deep verification: DB_UNAVAILABLE, no scratch schema left, nothing recorded; it verifies once the database is back', async () => {
    const rec = await con.svc.backupTenantNow(ids['f-b']!, { dir: mkdtempSync(join(tmpdir(), 'nchat-faults-v-')) })
    const gate = join(mkdtempSync(join(tmpdir(), 'nchat-gate-')), 'open')
    const held = makeService(url, platform, {}, gatedRestoreTools(gate))
    await held.ready()
    try {
      const running = held.svc.verify(rec.id, true)
      running.catch(() => {})
      await until(async () => (await sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'nchat-console-restore' AND state = 'idle in transaction'`)).length > 0)
      server.stop()
      writeFileSync(gate, '')
      await expect(running).rejects.toMatchObject({ code: 'DB_UNAVAILABLE', message: expect.stringMatching(/deep verification; its scratch schema was never committed/) })
      server.start()
      expect(await sql(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'nchat\\_%'`)).toEqual([])
      const [row] = (await con.svc.list({ tenantId: ids['f-b']!, limit: 5 })).filter((r) => r.id === rec.id)
      expect(row).toMatchObject({ verification: 'quick' }) // the deep one that failed was not recorded
      expect(await con.svc.verify(rec.id, true)).toMatchObject({ ok: true, level: 'deep' })
    } finally {
      await held.close()
    }
  })
})

describe('the disk fills up (a small tmpfs)', () => {
  let full: string | null = null
  let why = ''
  beforeAll(() => {
    const d = mkdtempSync(join(tmpdir(), 'nchat-full-'))
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', d], { encoding: 'utf8' })
    if (r.status === 0) full = d
    else why = (r.stderr || r.error?.message || 'mount failed').trim()
  })
  afterAll(() => {
    if (full) {
      spawnSync('umount', [full])
      rmSync(full, { recursive: true, force: true })
    }
  })

  it('single backup, batch backup, and the safety backup of a restore: each says the disk is full and leaves nothing', async (ctx) => {
    if (!full) return ctx.skip(`a tmpfs cannot be mounted here (${why}); needs root or CAP_SYS_ADMIN`)
    platform.nextSavePath = join(full, 'big.nchatbak')
    const started = await con.svc.startExport(ids['f-big']!)
    const end = await con.svc.waitFor(started!.jobId)
    expect(end).toMatchObject({ status: 'failed', message: expect.stringMatching(/The disk holding .* is full/) })
    expect(leftovers(full)).toEqual([])
    const [row] = await con.svc.list({ tenantId: ids['f-big']!, limit: 1 })
    expect(row).toMatchObject({ status: 'failed', error: expect.stringMatching(/is full/) })

    const batch = await con.svc.startBatchInto([ids['f-big']!, ids['f-a']!], full)
    const bend = await con.svc.waitFor(batch.jobId)
    expect(bend).toMatchObject({ status: 'failed', message: expect.stringMatching(/disk space|is full/) })
    expect(leftovers(full)).toEqual([])

    // Restore into the same tenant: its safety backup cannot be written, so nothing is replaced.
    const rec = await con.svc.backupTenantNow(ids['f-big']!, { dir: mkdtempSync(join(tmpdir(), 'nchat-faults-big-')) })
    const fp = await schemaFingerprint(await connected(), 'tenant_f_big')
    await expect(con.svc.restoreFile(rec.filePath, { mode: 'same', safetyDir: full })).rejects.toMatchObject({
      message: expect.stringMatching(/Nothing was changed: the safety backup of the current state failed \(The disk holding .* is full/)
    })
    expect(await schemaFingerprint(await connected(), 'tenant_f_big')).toEqual(fp)
    expect(leftovers(full)).toEqual([])
    expect(await rowsRunning()).toBe(0)
    await backupWorks('f-big')
  })
})

let shared: pg.Client | null = null
async function connected(): Promise<pg.Client> {
  if (!shared) {
    shared = new pg.Client({ connectionString: url })
    shared.on('error', () => {
      shared = null
    })
    await shared.connect()
  }
  return shared
}
afterAll(async () => {
  await shared?.end().catch(() => {})
})

describe('a tool that hangs', () => {
  it('pg_dump hangs: single and batch backups are cancelled cleanly (no file, rows cancelled, the tool stopped), then back up normally', async () => {
    const hung = makeService(url, platform, {}, hangingDumpTools())
    await hung.ready()
    try {
      const dir = mkdtempSync(join(tmpdir(), 'nchat-faults-hung-'))
      platform.nextSavePath = join(dir, 'hung.nchatbak')
      const one = await hung.svc.startExport(ids['f-a']!)
      await until(async () => sleeping() !== '')
      expect((await hung.svc.cancel(one!.jobId)).cancelled).toBe(true)
      const batch = await hung.svc.startBatchInto([ids['f-a']!, ids['f-b']!], dir)
      await until(async () => sleeping() !== '')
      expect((await hung.svc.cancel(batch.jobId)).cancelled).toBe(true)
      expect(sleeping()).toBe('')
      expect(leftovers(dir)).toEqual([])
      expect((await con.svc.list({ limit: 3 })).slice(0, 3).map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled'])
      expect(await rowsRunning()).toBe(0)
      await backupWorks('f-a')
    } finally {
      await hung.close()
    }
  })

  it('pg_restore hangs during a restore into the same tenant: cancelled and rolled back, the tenant unchanged', async () => {
    const rec = await con.svc.backupTenantNow(ids['f-b']!, { dir: mkdtempSync(join(tmpdir(), 'nchat-faults-r-')) })
    const gate = join(mkdtempSync(join(tmpdir(), 'nchat-gate-')), 'never')
    const held = makeService(url, platform, {}, gatedRestoreTools(gate))
    await held.ready()
    try {
      const fp = await schemaFingerprint(await connected(), 'tenant_f_b')
      const running = held.svc.restoreFile(rec.filePath, { mode: 'same', safetyDir: mkdtempSync(join(tmpdir(), 'nchat-faults-safety-')) })
      running.catch(() => {})
      await until(async () => (await sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'nchat-console-restore' AND state = 'idle in transaction'`)).length > 0)
      const job = held.svc.activeJobs().find((j) => j.kind === 'restore')!
      expect((await held.svc.cancel(job.jobId)).cancelled).toBe(true)
      await expect(running).rejects.toMatchObject({ code: 'CANCELLED' })
      expect(await schemaFingerprint(await connected(), 'tenant_f_b')).toEqual(fp)
      expect(await sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'nchat-console-restore'`)).toEqual([])
      await expect(con.svc.restoreFile(rec.filePath, { mode: 'same', safetyDir: mkdtempSync(join(tmpdir(), 'nchat-faults-safety-')) })).resolves.toMatchObject({ tenantSlug: 'f-b' })
    } finally {
      writeFileSync(gate, '') // the wrapper's own children (left by the killed script) end too
      await held.close()
    }
  })
})

/** A console process running one job (test/support/job-console.ts), in its own process group. */
async function jobConsole(args: string[], pgBinDir = inject('pgBinDir')): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, '../support/job-console.ts'), url, pgBinDir, ...args], {
    cwd: resolve(__dirname, '../..'),
    detached: true, // killing the group kills its pg_dump / pg_restore too
    stdio: ['ignore', 'pipe', 'inherit']
  })
  await new Promise<void>((ok, fail) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('started\n')) ok()
    })
    child.on('exit', (code) => fail(new Error(`the console process exited (${code})`)))
  })
  return child
}

function killConsole(child: ChildProcess): void {
  process.kill(-child.pid!, 'SIGKILL')
}

const sessions = async (app: string) => (await sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1`, [app])).length

describe('the console process is killed (SIGKILL) in the middle of a job', () => {
  // A batch: test/integration/backup-runners.test.ts ("a console that dies").
  it('single backup: no file under the final name, the row becomes interrupted, a backup works after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nchat-faults-kill-'))
    const lock = await hold('LOCK TABLE tenant_f_a.nchat_users IN ACCESS EXCLUSIVE MODE')
    try {
      const child = await jobConsole(['export', ids['f-a']!, join(dir, 'killed.nchatbak')])
      await until(waitingOnLock('nchat-console-pg_dump'))
      killConsole(child)
    } finally {
      // A backend waiting on a lock notices its client is gone only once the wait ends.
      await lock.release()
    }
    await until(async () => (await sessions('nchat-console-pg_dump')) === 0)
    expect(existsSync(join(dir, 'killed.nchatbak'))).toBe(false) // (its .partial may stay: nobody was left to remove it)
    // Once the server has noticed the dead console's jobs connection (its runner lock goes), a listing marks the row.
    await until(async () => (await rowsRunning()) === 0)
    const [row] = await con.svc.list({ tenantId: ids['f-a']!, limit: 1 })
    expect(row).toMatchObject({ status: 'failed', error: expect.stringMatching(/Interrupted/) })
    await backupWorks('f-a')
  })

  it('restore: the server rolls the transaction back, nothing of it remains, a restore works after', async () => {
    const rec = await con.svc.backupTenantNow(ids['f-b']!, { dir: mkdtempSync(join(tmpdir(), 'nchat-faults-ksrc-')) })
    const before = await sql(`SELECT count(*)::int AS n FROM public.tenants`)
    const lock = await hold('LOCK TABLE public.tenant_settings IN EXCLUSIVE MODE')
    try {
      const child = await jobConsole(['restore-copy', rec.id, 'f-b-killed'])
      await until(waitingOnLock('nchat-console-restore'))
      killConsole(child)
    } finally {
      await lock.release()
    }
    await until(async () => (await sessions('nchat-console-restore')) === 0)
    expect(await sql(`SELECT count(*)::int AS n FROM public.tenants`)).toEqual(before)
    expect(await sql(`SELECT nspname FROM pg_namespace WHERE nspname = 'tenant_f_b_killed' OR nspname LIKE 'nchat\\_%'`)).toEqual([])
    await expect(con.svc.restore({ backupId: rec.id, mode: 'copy', newSlug: 'f-b-killed' })).resolves.toMatchObject({ tenantSlug: 'f-b-killed' })
  })

  it('deep verification: no scratch schema remains, the entry still verifies after', async () => {
    const rec = await con.svc.backupTenantNow(ids['f-a']!, { dir: mkdtempSync(join(tmpdir(), 'nchat-faults-kv-')) })
    const gate = join(mkdtempSync(join(tmpdir(), 'nchat-gate-')), 'never')
    const child = await jobConsole(['verify-deep', rec.id], gatedRestoreTools(gate))
    await until(async () => (await sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'nchat-console-restore' AND state = 'idle in transaction'`)).length > 0)
    killConsole(child)
    writeFileSync(gate, '')
    await until(async () => (await sessions('nchat-console-restore')) === 0)
    expect(await sql(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'nchat\\_%'`)).toEqual([])
    expect(await con.svc.verify(rec.id, true)).toMatchObject({ ok: true, level: 'deep' })
  })
})
