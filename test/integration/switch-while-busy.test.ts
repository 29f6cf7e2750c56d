import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { expect, inject, it } from 'vitest'
import { createContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { TestPlatform, makeTenant, migratedDatabase } from './backup-support'

/**
 * Jobs run on the connection they started on: a connection change is refused while one
 * runs (its catalog rows would otherwise end up in two databases), and quitting cancels
 * them so nothing is left 'running' with a temporary file behind.
 */
it('a connection change waits for a running backup; cancelAll (quit) cancels it cleanly', async () => {
  const db = await migratedDatabase('busy')
  const id = await makeTenant(db.client, 'busy')
  const platform = new TestPlatform()
  const ctx = createContext({ platform, migrationsDir: resolve(__dirname, '../../migrations'), demo: null })
  const locker = new pg.Client({ connectionString: db.url })
  await locker.connect()
  try {
    await ctx.db.setTarget(targetFromUrl(db.url, { pgBinDir: inject('pgBinDir') }))
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE tenant_busy.nchat_users IN ACCESS EXCLUSIVE MODE') // the backup waits here
    const folder = mkdtempSync(join(tmpdir(), 'nchat-busy-'))
    const file = join(folder, 'busy.nchatbak')
    platform.nextSavePath = file
    const started = await ctx.backups.startExport(id)
    expect(ctx.backups.runningWork()).toBe('A backup of busy is')

    await expect(ctx.profiles.disconnect()).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^A backup of busy is running\. Wait for it to finish or cancel it on the Backups screen/)
    })
    expect(ctx.db.target).not.toBeNull()

    await ctx.backups.cancelAll()
    expect(ctx.backups.runningWork()).toBeNull()
    const last = platform.events.filter((e) => e.event === 'backups:progress' && (e.payload as { jobId: string }).jobId === started!.jobId).at(-1)!
    expect(last.payload).toMatchObject({ status: 'cancelled', phase: 'done' })
    expect(readdirSync(folder)).toEqual([]) // neither the file nor its temporary .partial
    const [row] = await ctx.backups.list({ tenantId: id, limit: 1 })
    expect(row!.status).toBe('cancelled')

    await locker.query('ROLLBACK')
    // While the connection changes, no job may start (it would begin on one database and end on another).
    const release = ctx.backups.hold()
    await expect(ctx.backups.startExport(id)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/connection is changing/) })
    release()
    await ctx.profiles.disconnect()
    expect(ctx.db.target).toBeNull()
  } finally {
    await locker.end()
    await ctx.profiles.shutdown()
    await db.close()
  }
})
