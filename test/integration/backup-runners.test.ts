import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { INTERRUPTED } from '../../src-main/backup/catalog'
import type { freshDatabase } from '../support/db'
import { TestPlatform, makeService, makeTenant, migratedDatabase } from './backup-support'

/**
 * Two consoles on one database. A backup or batch another console is running shows as
 * running (and that batch cannot be resumed twice); once that console is gone (here: its
 * jobs connection is terminated, as when the process dies), its rows become interrupted
 * and the batch can be resumed.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
const ids: string[] = []

beforeAll(async () => {
  db = await migratedDatabase('runners')
  c = db.client
  for (const slug of ['run-a', 'run-b']) ids.push(await makeTenant(c, slug))
})

afterAll(async () => {
  await db?.close()
})

it('rows of a console that stopped become interrupted; a live console keeps its own', async () => {
  const locker = new pg.Client({ connectionString: db.url })
  await locker.connect()
  const firstPlatform = new TestPlatform()
  const first = makeService(db.url, firstPlatform) // its jobs connection will "die"
  const other = makeService(db.url, new TestPlatform())
  await first.ready()
  await other.ready()
  try {
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE tenant_run_a.users IN ACCESS EXCLUSIVE MODE') // pg_dump waits here
    const started = await first.svc.startBatchInto([ids[0]!, ids[1]!], mkdtempSync(join(tmpdir(), 'nchat-runners-')))
    const runningRows = async () => (await other.svc.list({ batchId: started.batchId, limit: 10 })).map((r) => r.status)
    await expect.poll(runningRows, { timeout: 20_000 }).toEqual(['running', 'running'])
    // The other console sees the batch as running, and may not resume it.
    expect((await other.svc.batches()).find((b) => b.id === started.batchId)).toMatchObject({ active: true })
    await expect(other.svc.resumeBatch(started.batchId)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/Another console/) })

    // The first console dies: its jobs connection (and advisory lock) goes away.
    const killed = await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nchat-console-jobs'`)
    expect(killed.rowCount).toBe(1)
    await expect.poll(runningRows).toEqual(['failed', 'failed'])
    const rows = await other.svc.list({ batchId: started.batchId, limit: 10 })
    expect(rows.map((r) => r.error)).toEqual([INTERRUPTED, INTERRUPTED])
    expect((await other.svc.batches()).find((b) => b.id === started.batchId)).toMatchObject({ active: false, status: 'failed' })

    // The first console itself is still there: its next job opens a new jobs connection,
    // so that job's row is seen as running while the old batch stays interrupted.
    firstPlatform.nextSavePath = join(mkdtempSync(join(tmpdir(), 'nchat-runners-')), 'a.nchatbak')
    const again = await first.svc.startExport(ids[0]!)
    const latest = async () => (await other.svc.list({ tenantId: ids[0]!, limit: 1 }))[0]
    await expect.poll(latest, { timeout: 20_000 }).toMatchObject({ status: 'running', batchId: null })
    expect((await other.svc.list({ batchId: started.batchId, limit: 10 })).map((r) => r.status)).toEqual(['failed', 'failed'])

    // Both stuck jobs end (here by a cancel); the interrupted rows keep saying what happened.
    await first.svc.cancel(again!.jobId)
    await first.svc.cancel(started.jobId)
    await locker.query('ROLLBACK')
    expect(await latest()).toMatchObject({ status: 'cancelled' })
    expect((await other.svc.list({ batchId: started.batchId, limit: 10 })).map((r) => r.error)).toEqual([INTERRUPTED, INTERRUPTED])

    // Resumed by the other console: both tenants are backed up.
    const resumed = await other.svc.resumeBatch(started.batchId)
    const end = await other.svc.waitFor(resumed.jobId)
    expect(end).toMatchObject({ status: 'succeeded', tenantsDone: 2 })
    expect((await other.svc.batches()).find((b) => b.id === started.batchId)).toMatchObject({ active: false, status: 'succeeded', succeeded: 2 })
  } finally {
    await locker.query('ROLLBACK').catch(() => {})
    await locker.end()
    await first.close()
    await other.close()
  }
})
