import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { INTERRUPTED } from '../../src-main/backup/catalog'
import type { freshDatabase } from '../support/db'
import { TestPlatform, makeService, makeTenant, migratedDatabase } from './backup-support'

/**
 * Several consoles on one database. While a console runs backups it holds an advisory
 * lock (its runner); rows and batches of a console that died become interrupted, those of
 * a live console stay running, and a batch runs in one console at a time.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
const ids: string[] = []
const SCRIPT = resolve(__dirname, '../support/backup-console.ts')

beforeAll(async () => {
  db = await migratedDatabase('runners')
  c = db.client
  for (const slug of ['run-a', 'run-b']) ids.push(await makeTenant(c, slug))
})

afterAll(async () => {
  await db?.close()
})

async function lockTenant(schema: string): Promise<pg.Client> {
  const locker = new pg.Client({ connectionString: db.url })
  await locker.connect()
  await locker.query('BEGIN')
  await locker.query(`LOCK TABLE ${schema}.nchat_users IN ACCESS EXCLUSIVE MODE`) // pg_dump waits here
  return locker
}

/** Starts a console process running a batch; answers it and the batch's id. */
async function consoleProcess(tenantIds: string[]): Promise<{ child: ChildProcess; batchId: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nchat-runners-'))
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, db.url, inject('pgBinDir'), dir, ...tenantIds], {
    cwd: resolve(__dirname, '../..'),
    detached: true, // its own process group: killing it kills its pg_dump too
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const line = await new Promise<string>((ok, fail) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) ok(out.split('\n')[0]!)
    })
    child.on('exit', (code) => fail(new Error(`the console process exited (${code})`)))
  })
  return { child, batchId: (JSON.parse(line) as { batchId: string }).batchId }
}

it('a console that dies: its rows and batch become interrupted, and another console resumes the batch', async () => {
  const other = makeService(db.url, new TestPlatform())
  await other.ready()
  const locker = await lockTenant('tenant_run_a')
  try {
    const { child, batchId } = await consoleProcess([ids[0]!, ids[1]!])
    const statuses = async () => (await other.svc.list({ batchId, limit: 10 })).map((r) => r.status)
    await expect.poll(statuses, { timeout: 30_000 }).toEqual(['running', 'running'])
    // Alive elsewhere: shown as running, and not resumed a second time.
    expect((await other.svc.batches()).find((b) => b.id === batchId)).toMatchObject({ active: true })
    await expect(other.svc.resumeBatch(batchId)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/Another console/) })

    process.kill(-child.pid!, 'SIGKILL')
    await expect.poll(statuses, { timeout: 30_000 }).toEqual(['failed', 'failed'])
    expect((await other.svc.list({ batchId, limit: 10 })).map((r) => r.error)).toEqual([INTERRUPTED, INTERRUPTED])
    expect((await other.svc.batches()).find((b) => b.id === batchId)).toMatchObject({ active: false, status: 'failed' })

    await locker.query('ROLLBACK')
    const resumed = await other.svc.resumeBatch(batchId)
    expect(await other.svc.waitFor(resumed.jobId)).toMatchObject({ status: 'succeeded', tenantsDone: 2 })
    expect((await other.svc.batches()).find((b) => b.id === batchId)).toMatchObject({ active: false, status: 'succeeded', succeeded: 2 })
  } finally {
    await locker.query('ROLLBACK').catch(() => {})
    await locker.end()
    await other.close()
  }
})

it('a console that only loses its jobs connection takes its lock again: its rows stay running', async () => {
  const first = makeService(db.url, new TestPlatform(), { runnerHeartbeatMs: 200 })
  const other = makeService(db.url, new TestPlatform())
  await first.ready()
  await other.ready()
  const locker = await lockTenant('tenant_run_b')
  const jobsSessions = async () =>
    (
      await c.query<{ pid: number }>(
        `SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
          WHERE a.datname = current_database() AND a.application_name = 'nchat-console-jobs'`
      )
    ).rows.map((r) => r.pid)
  try {
    const started = await first.svc.startBatchInto([ids[1]!], mkdtempSync(join(tmpdir(), 'nchat-runners-')))
    await expect.poll(jobsSessions, { timeout: 20_000 }).toHaveLength(1)
    const [before] = await jobsSessions()
    await c.query('SELECT pg_terminate_backend($1)', [before])
    // The heartbeat notices, reconnects and takes the same lock again.
    await expect.poll(async () => (await jobsSessions()).filter((p) => p !== before), { timeout: 20_000 }).toHaveLength(1)
    expect((await other.svc.list({ batchId: started.batchId, limit: 10 })).map((r) => r.status)).toEqual(['running'])
    expect((await other.svc.batches()).find((b) => b.id === started.batchId)).toMatchObject({ active: true })

    await locker.query('ROLLBACK')
    expect(await first.svc.waitFor(started.jobId)).toMatchObject({ status: 'succeeded' })
    // With no job left, the console lets its lock go.
    await expect.poll(jobsSessions).toEqual([])
  } finally {
    await locker.query('ROLLBACK').catch(() => {})
    await locker.end()
    await first.close()
    await other.close()
  }
})

it('a catalog without migration 0008: listing and verifying work, backing up asks for the migration', async () => {
  const old = await migratedDatabase('norunner')
  const svc = makeService(old.url, new TestPlatform())
  try {
    const id = await makeTenant(old.client, 'legacy')
    await svc.ready()
    const rec = await svc.svc.backupTenantNow(id, { dir: mkdtempSync(join(tmpdir(), 'nchat-legacy-')) })
    await old.client.query(`ALTER TABLE console.backup_catalog DROP COLUMN runner; ALTER TABLE console.backup_batches DROP COLUMN runner`)
    expect((await svc.svc.list({ tenantId: id, limit: 5 })).map((r) => r.status)).toEqual(['succeeded'])
    expect(await svc.svc.batches()).toEqual([])
    expect((await svc.svc.verify(rec.id, false)).ok).toBe(true)
    await expect(svc.svc.backupTenantNow(id)).rejects.toMatchObject({ code: 'NOT_CONFIGURED', message: expect.stringMatching(/migration 0008/) })
    await expect(svc.svc.startBatchInto([id], tmpdir())).rejects.toMatchObject({ code: 'NOT_CONFIGURED' })
  } finally {
    await svc.close()
    await old.close()
  }
})
