/**
 * Another console, as a separate process, for tests that need one to die: it starts a
 * batch backup, prints `{"jobId","batchId"}` on one line, and waits to be killed.
 * Usage: node --import tsx test/support/backup-console.ts <database-url> <pg-bin-dir> <folder> <tenant-id>...
 */
import { BackupService } from '../../src-main/backup/service'
import { ConnectionManager, targetFromUrl } from '../../src-main/db/connection'
import { SessionService } from '../../src-main/session'

async function main(): Promise<void> {
  const [url, pgBinDir, dir, ...tenantIds] = process.argv.slice(2)
  if (!url || !pgBinDir || !dir || !tenantIds.length) throw new Error('usage: backup-console.ts <url> <pg-bin-dir> <folder> <tenant-id>...')
  const db = new ConnectionManager()
  await db.setTarget(targetFromUrl(url, { pgBinDir }))
  const svc = new BackupService(db, new SessionService(db), { emit: () => {} }, { consoleVersion: 'test', backupsDir: dir })
  const started = await svc.startBatchInto(tenantIds, dir)
  process.stdout.write(JSON.stringify(started) + '\n')
  setInterval(() => {}, 1 << 30)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
