/**
 * Restore entry points: a catalog entry or a chosen file restored as a job. Everything
 * about the file is checked before anything is touched; restoring into the same tenant
 * takes a safety backup of its current state first; then restore.ts does the restore in
 * one transaction on the console's own connection.
 */
import { basename, dirname, join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import type pg from 'pg'
import type { RestoreResult } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import * as catalog from './catalog'
import { checkBackupScope } from './archive-scope'
import { BackupFileError, FILE_EXTENSION, isRowsOnly, verifyParts, type OpenedBackup } from './container'
import { backupFileRefusal, openChosenBackup } from './file-check'
import type { BackupEnv } from './env'
import type { Exporter } from './export'
import { defaultFileName } from './files'
import type { Job, JobRunner } from './jobs'
import { restoreBackup, type RestoreMode } from './restore'
import { rowsOnlyCopyRefusal } from './rows-only'
import { resolveTenants } from './snapshot'
import { serverMajor } from './tools'
import { listCheck } from './verify'

export interface RestoreFileOptions {
  mode: 'same' | 'copy'
  newSlug?: string
  newName?: string
  /** The catalog's checksum of the file, when it was picked from the catalog. */
  expectedSha256?: string | null
  /** Where the safety backup goes (default: the backups folder's safety/). */
  safetyDir?: string
}

export class Restorer {
  constructor(
    private readonly env: BackupEnv,
    private readonly jobs: JobRunner,
    private readonly exporter: Exporter
  ) {}

  /** Restore (admins). Same tenant: safety backup first. Copy: a new tenant with a new slug. */
  async restore(input: { backupId: string | null; mode: 'same' | 'copy'; newSlug?: string; newName?: string }): Promise<RestoreResult> {
    await this.env.requireCatalog()
    let path: string
    let expected: string | null = null
    if (input.backupId) {
      const row = await catalog.getRow(this.env.db, input.backupId)
      if (!row) throw new AppError('NOT_FOUND', 'That backup is not in the catalog.')
      if (row.status !== 'succeeded') throw new AppError('CONFLICT', 'That backup did not finish; it cannot be restored.')
      path = row.file_path
      expected = row.sha256
    } else {
      if (!this.env.platform.openFileDialog) throw new AppError('UNSUPPORTED', 'The open dialog is not available here.')
      const p = await this.env.platform.openFileDialog({ title: 'Restore a tenant backup', defaultPath: this.env.opts.backupsDir, filters: [{ name: 'nChat Console backup', extensions: [FILE_EXTENSION] }] })
      if (!p) throw new AppError('CANCELLED', 'No file was chosen.')
      path = p
    }
    return this.restoreFile(path, { mode: input.mode, newSlug: input.newSlug, newName: input.newName, expectedSha256: expected })
  }

  /**
   * A restore runs as a job: progress on `backups:progress` (kind 'restore'), cancellable
   * with `backups:cancel` until its COMMIT; the call itself answers with the outcome.
   */
  async restoreFile(path: string, opts: RestoreFileOptions): Promise<RestoreResult> {
    return this.jobs.runJob('restore', { tenantSlug: opts.mode === 'copy' ? opts.newSlug ?? null : null }, (job) => this.runRestore(job, path, opts), 'The restore was cancelled; nothing was changed.')
  }

  private async runRestore(job: Job, path: string, opts: RestoreFileOptions): Promise<RestoreResult> {
    const signal = job.abort.signal
    const stopIfCancelled = () => {
      if (signal.aborted) throw new AppError('CANCELLED', 'The restore was cancelled; nothing was changed.')
    }
    const tools = await this.env.tools()
    // 1. Everything about the file is checked before anything is touched.
    let b: OpenedBackup
    try {
      b = await openChosenBackup(path)
      stopIfCancelled()
      await verifyParts(b, opts.expectedSha256)
      stopIfCancelled()
      await listCheck(b, tools)
      checkBackupScope(b)
    } catch (e) {
      if (e instanceof AppError) throw e
      if (e instanceof BackupFileError) throw backupFileRefusal(e, 'Nothing was changed: ')
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `The file ${basename(path)} is no longer at ${dirname(path)}.`)
      throw e
    }
    // A backup without a schema never becomes a copy (rows-only.ts).
    if (isRowsOnly(b) && opts.mode === 'copy') throw rowsOnlyCopyRefusal(b.manifest)
    const facts = await this.env.session.get()
    if (serverMajor(b.manifest.versions.serverVersionNum) > serverMajor(facts.serverVersionNum)) {
      throw new AppError(
        'UNSUPPORTED',
        `Nothing was changed: the backup comes from PostgreSQL ${b.manifest.versions.server}, newer than this server (${facts.serverVersion}); restoring into an older server is not supported.`
      )
    }
    if (opts.mode === 'same') job.progress.tenantSlug = b.manifest.tenant.slug
    this.jobs.emit(job, true)
    stopIfCancelled()
    // 2. Same tenant: a safety backup of its current state first (within this job, so a
    //    cancel stops it too).
    let safetyBackupId: string | null = null
    const mode: RestoreMode = opts.mode
    if (mode === 'same') {
      const [cur] = await resolveTenants(this.env.db as unknown as pg.ClientBase, [b.manifest.tenant.id])
      if (cur?.schema && isRowsOnly(b)) {
        throw new AppError(
          'CONFLICT',
          `Nothing was changed: this backup holds no schema (the tenant's schema was missing when it was backed up), but schema ${cur.schema} exists now. Restoring its rows alone would pair them with a schema the backup does not hold; back the tenant up again instead.`
        )
      }
      // Its current state, schema or not (a tenant without a schema gets a backup of its rows).
      if (cur) {
        job.progress.phase = 'safety-backup'
        this.jobs.emit(job, true)
        const dir = opts.safetyDir ?? join(this.env.opts.backupsDir, 'safety')
        await mkdir(dir, { recursive: true }).catch(() => {})
        job.pinnedPhase = 'safety-backup'
        const [outcome] = await this.exporter.exportTenants([cur], { kind: 'safety', batchId: null, destFor: () => join(dir, defaultFileName(cur.slug)) }, job).finally(() => {
          job.pinnedPhase = undefined
        })
        stopIfCancelled()
        if (!outcome?.ok) throw new AppError('INTERNAL', `Nothing was changed: the safety backup of the current state failed (${outcome?.error ?? 'no outcome'}).`)
        safetyBackupId = outcome.backupId
      }
    }
    const t = this.env.target()
    job.progress.phase = 'restoring'
    job.progress.tablesDone = 0
    job.progress.tablesTotal = b.manifest.schemaTables.length
    job.progress.bytes = 0
    this.jobs.emit(job, true)
    const r = await restoreBackup(this.env.restoreDeps(tools), b, {
      signal,
      onProgress: (p) => this.jobs.showRestoreProgress(job, p),
      mode,
      newSlug: opts.newSlug,
      newName: opts.newName,
      tenantPrefix: t.tenantPrefix,
      templateSchema: t.templateSchema,
      operator: t.operator,
      sourceFile: basename(path)
    })
    return { tenantId: r.tenantId, tenantSlug: r.tenantSlug, schema: r.schema, safetyBackupId, tables: r.tables, rows: r.rows, warnings: r.warnings }
  }
}
