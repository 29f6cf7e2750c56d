import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openBackup } from '../../src-main/backup/container'
import type { freshDatabase } from '../support/db'
import { TestPlatform, makeService, makeTenant, migratedDatabase, schemaFingerprint } from './backup-support'

let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
const platform = new TestPlatform()
const ids: string[] = []
let busyId = ''

beforeAll(async () => {
  db = await migratedDatabase('bkb')
  c = db.client
  for (let i = 1; i <= 5; i++) ids.push(await makeTenant(c, `fleet${i}`))
  busyId = await makeTenant(c, 'busy', { messages: 150_000 })
})

afterAll(async () => {
  await db?.close()
})

describe('back up many', () => {
  it('one pg_dump per chunk, a verified file per tenant, resumable after a failure and a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nchat-bkb-'))
    const first = makeService(db.url, platform, { maxSchemasPerRun: 2, lockWaitMs: 800 })
    await first.ready()
    // fleet3 is locked: its chunk (fleet3 + fleet4) fails, the others succeed.
    const locker = new pg.Client({ connectionString: db.url })
    await locker.connect()
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE tenant_fleet3.nchat_messages IN ACCESS EXCLUSIVE MODE')
    const { jobId, batchId } = await first.svc.startBatchInto(ids, dir)
    const end = await first.svc.waitFor(jobId)
    await locker.query('ROLLBACK')
    await locker.end()
    expect(end!.status).toBe('partial')
    expect(end!.tenantsDone).toBe(3)
    expect(end!.tenantsFailed).toBe(2)
    expect(end!.message).toMatch(/3 of 5 backed up; 2 failed/)
    let [batch] = await first.svc.batches()
    expect(batch).toMatchObject({ id: batchId, status: 'partial', total: 5, succeeded: 3, failed: 2 })
    expect(batch!.failures[0]!.error).toMatch(/lock/)
    // A row left 'running' by a console that died mid-way.
    await c.query(
      `INSERT INTO console.backup_catalog (tenant_id, tenant_slug, tenant_schema, file_path, file_name, batch_id, kind, status)
       VALUES ($1, 'fleet4', 'tenant_fleet4', '/nowhere', 'x', $2, 'batch', 'running')`,
      [ids[3], batchId]
    )
    await first.close()

    // "Restart": a new console resumes the batch; finished tenants are not redone.
    const second = makeService(db.url, platform, { maxSchemasPerRun: 2 })
    await second.ready()
    const resumed = await second.svc.resumeBatch(batchId)
    const end2 = await second.svc.waitFor(resumed.jobId)
    expect(end2!.status, end2!.message ?? '').toBe('succeeded')
    expect(end2!.tenantsDone).toBe(5)
    ;[batch] = await second.svc.batches()
    expect(batch).toMatchObject({ status: 'succeeded', succeeded: 5, failed: 0, pending: 0 })
    const rows = await c.query<{ slug: string; statuses: string[] }>(
      `SELECT tenant_slug AS slug, array_agg(status ORDER BY started_at) AS statuses FROM console.backup_catalog
        WHERE batch_id = $1 GROUP BY 1 ORDER BY 1`,
      [batchId]
    )
    expect(rows.rows).toEqual([
      { slug: 'fleet1', statuses: ['succeeded'] },
      { slug: 'fleet2', statuses: ['succeeded'] },
      { slug: 'fleet3', statuses: ['failed', 'succeeded'] },
      { slug: 'fleet4', statuses: ['failed', 'failed', 'succeeded'] },
      { slug: 'fleet5', statuses: ['succeeded'] }
    ])
    const files = readdirSync(dir)
    expect(files.filter((f) => f.endsWith('.nchatbak'))).toHaveLength(5)
    expect(files.filter((f) => f.startsWith('.'))).toEqual([]) // no temporary or shared archive left

    // Each tenant's file stands alone: its own manifest, deep verification, restore as a copy.
    const recs = await second.svc.list({ batchId, limit: 50 })
    const f4 = recs.find((r) => r.tenantSlug === 'fleet4' && r.status === 'succeeded')!
    const m = (await openBackup(f4.filePath)).manifest
    expect(m.tenant.slug).toBe('fleet4')
    expect(m.batchId).toBe(batchId)
    expect(m.versions.archive).toMatch(/^1\.\d+/)
    const v = await second.svc.verify(f4.id, true)
    expect(v.ok, v.message).toBe(true)
    const r = await second.svc.restore({ backupId: f4.id, mode: 'copy', newSlug: 'fleet4-copy' })
    expect(await schemaFingerprint(c, r.schema)).toEqual(await schemaFingerprint(c, 'tenant_fleet4'))
    const progress = platform.events.filter((e) => e.event === 'backups:progress').map((e) => e.payload as { tenantsTotal: number })
    expect(progress.some((p) => p.tenantsTotal === 5)).toBe(true)
    await second.close()
  })
})

describe('snapshot consistency', () => {
  it('a writer inserting paired rows (tenant schema + public table) during the backup: the backup has both or neither of each pair', async () => {
    const con = makeService(db.url, platform)
    await con.ready()
    const writer = new pg.Client({ connectionString: db.url })
    await writer.connect()
    let stop = false
    let n = 0
    const loop = (async () => {
      while (!stop) {
        n++
        await writer.query(
          `BEGIN;
           INSERT INTO tenant_busy.nchat_audit_logs (action) VALUES ('pair-${n}');
           INSERT INTO public.tenant_audit_logs (tenant_id, action) VALUES ('${busyId}', 'pair-${n}');
           COMMIT;`
        )
      }
    })()
    await new Promise((r) => setTimeout(r, 200))
    const atStart = n
    const rec = await con.svc.backupTenantNow(busyId, { dir: mkdtempSync(join(tmpdir(), 'nchat-busy-')) })
    const atEnd = n
    await new Promise((r) => setTimeout(r, 100))
    stop = true
    await loop
    await writer.end()
    expect(atEnd).toBeGreaterThan(atStart + 5) // the writer really ran during the backup
    // Restored into the same tenant (a copy starts with a clean app audit trail, so it would not show the pairs).
    const back = await con.svc.restore({ backupId: rec.id, mode: 'same' })
    const inSchema = await c.query<{ a: string }>(`SELECT action AS a FROM ${back.schema}.nchat_audit_logs WHERE action LIKE 'pair-%' ORDER BY 1`)
    const inPublic = await c.query<{ a: string }>(`SELECT action AS a FROM public.tenant_audit_logs WHERE tenant_id = $1 AND action LIKE 'pair-%' ORDER BY 1`, [
      back.tenantId
    ])
    expect(inSchema.rows.length).toBeGreaterThan(0)
    expect(inSchema.rows.length).toBeLessThan(n) // taken mid-stream, not after the writer stopped
    expect(inPublic.rows).toEqual(inSchema.rows)
    expect(existsSync(rec.filePath)).toBe(true)
    await con.close()
  })
})
