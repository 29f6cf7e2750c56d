/**
 * A console as a separate process, for tests that kill one in the middle of a job: it
 * starts the job, prints `started` on one line, and waits to be killed.
 * Usage: node --import tsx test/support/job-console.ts <database-url> <pg-bin-dir> <job> <args>...
 *   export <tenant-id> <file>          one tenant's backup into <file>
 *   restore-copy <backup-id> <slug>    restore a catalog entry as a new tenant
 *   verify-deep <backup-id>            a deep verification of a catalog entry
 */
import { BackupService } from '../../src-main/backup'
import { ConnectionManager, targetFromUrl } from '../../src-main/db/connection'
import { SessionService } from '../../src-main/session'

async function main(): Promise<void> {
  const [url, pgBinDir, job, a, b] = process.argv.slice(2)
  if (!url || !pgBinDir || !job || !a) throw new Error('usage: job-console.ts <url> <pg-bin-dir> <job> <args>...')
  const db = new ConnectionManager()
  await db.setTarget(targetFromUrl(url, { pgBinDir }))
  const platform = { emit: () => {}, saveDialog: async () => b ?? null }
  const svc = new BackupService(db, new SessionService(db), platform, { consoleVersion: 'test', backupsDir: '/tmp', lockWaitMs: 600_000 })
  const ignore = (p: Promise<unknown>) => p.catch((e: unknown) => console.error(e))
  if (job === 'export') await svc.startExport(a)
  else if (job === 'restore-copy') void ignore(svc.restore({ backupId: a, mode: 'copy', newSlug: b! }))
  else if (job === 'verify-deep') void ignore(svc.verify(a, true))
  else throw new Error(`unknown job ${job}`)
  process.stdout.write('started\n')
  setInterval(() => {}, 1 << 30)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
