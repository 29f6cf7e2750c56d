/**
 * Per-tenant backups and restores: the feature's one service, as the context and the IPC
 * handlers see it. It composes the parts, each with one reason to change:
 *
 *   env.ts          shared dependencies and checks (connection, catalog present, tools)
 *   jobs.ts         the job runner: start, progress events, cancel, hold, runner lock
 *   export.ts       backup files: snapshot, pg_dump, split, write, verify, catalog
 *   batches.ts      many tenants into a folder, in chunks; resumable
 *   verify.ts       quick and deep verification, pg_restore --list checks
 *   restore-job.ts  restore entry points: checks, safety backup, then restore.ts
 *
 * and the engines below them: catalog.ts (SQL of console.backup_catalog and batches),
 * container.ts (the file format), pgarchive.ts (pg_dump's archive format), snapshot.ts,
 * pgproc.ts/tools.ts (pg_dump and pg_restore processes), restore.ts and sqlexec.ts.
 */
import { randomUUID } from 'node:crypto'
import { dirname } from 'node:path'
import { stat } from 'node:fs/promises'
import type { BackupProgress, BackupRecord, BatchSummary, JobStarted, RestoreResult, ToolStatus, VerifyResult } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import type { ConnectionManager } from '../db/connection'
import type { Platform } from '../platform/platform'
import type { SessionService } from '../session'
import { Batches } from './batches'
import * as catalog from './catalog'
import { BackupEnv, type BackupOptions } from './env'
import { Exporter } from './export'
import { JobRunner, type Job } from './jobs'
import { Restorer, type RestoreFileOptions } from './restore-job'
import { rowSecurityBlock } from './snapshot'
import type { PgTools } from './tools'
import { Verifier } from './verify'

export type { BackupOptions, RestoreFileOptions }
export { PUBLIC_PART, SCHEMA_PART } from './parts'
export { defaultFileName } from './files'
export { traceReport } from './trace'

export class BackupService {
  private readonly env: BackupEnv
  private readonly jobs: JobRunner
  private readonly exporter: Exporter
  private readonly batchRuns: Batches
  private readonly verifier: Verifier
  private readonly restorer: Restorer

  constructor(db: ConnectionManager, session: SessionService, platform: Platform, opts: BackupOptions) {
    this.env = new BackupEnv(db, session, platform, opts)
    this.jobs = new JobRunner(this.env)
    this.exporter = new Exporter(this.env, this.jobs)
    this.batchRuns = new Batches(this.env, this.jobs, this.exporter)
    this.verifier = new Verifier(this.env, this.jobs)
    this.restorer = new Restorer(this.env, this.jobs, this.exporter)
  }

  // ---------------------------------------------------------------- tools

  tools(): Promise<PgTools> {
    return this.env.tools()
  }

  async toolStatus(): Promise<ToolStatus> {
    let serverVersion: string | null = null
    try {
      serverVersion = (await this.env.session.get()).serverVersion
      const t = await this.env.tools()
      // A login that row security would filter cannot make any backup: said here, before a click.
      const blocked = await rowSecurityBlock(this.env.db)
      return {
        ok: blocked === null,
        pgDump: { path: t.pgDump.path, version: t.pgDump.version },
        pgRestore: { path: t.pgRestore.path, version: t.pgRestore.version },
        serverVersion,
        message: blocked?.message ?? null
      }
    } catch (e) {
      return { ok: false, pgDump: null, pgRestore: null, serverVersion, message: toAppError(e).message }
    }
  }

  // ---------------------------------------------------------------- jobs (jobs.ts)

  activeJobs(): BackupProgress[] {
    return this.jobs.activeJobs()
  }

  /**
   * The jobs running now, in words, or null. Jobs belong to the connection they started on,
   * so switching connections waits until they end (see ProfileService).
   */
  runningWork(): string | null {
    return this.jobs.runningWork()
  }

  /** Holds new jobs off while the connection changes (ProfileService); call the returned function to release. */
  hold(): () => void {
    return this.jobs.hold()
  }

  /** Cancels every running job and waits for each to clean up (quitting the app). */
  cancelAll(): Promise<void> {
    return this.jobs.cancelAll()
  }

  cancel(jobId: string): Promise<{ cancelled: boolean }> {
    return this.jobs.cancel(jobId)
  }

  /** Waits for a job (tests, and the lifecycle's pre-delete backup). */
  waitFor(jobId: string): Promise<BackupProgress | null> {
    return this.jobs.waitFor(jobId)
  }

  // ---------------------------------------------------------------- catalog

  async list(f: { tenantId?: string; batchId?: string; limit: number }): Promise<BackupRecord[]> {
    if ((await this.env.requireCatalog()).runners) await catalog.sweepInterrupted(this.env.db)
    return (await catalog.listRows(this.env.db, f)).map(catalog.toRecord)
  }

  batches(limit = 20): Promise<BatchSummary[]> {
    return this.batchRuns.batches(limit)
  }

  async showInFolder(backupId: string): Promise<void> {
    await this.env.requireCatalog()
    const row = await catalog.getRow(this.env.db, backupId)
    if (!row) throw new AppError('NOT_FOUND', 'That backup is not in the catalog.')
    if (!this.env.platform.showInFolder) throw new AppError('UNSUPPORTED', 'Showing files is not available here.')
    try {
      await stat(row.file_path)
    } catch {
      throw new AppError('NOT_FOUND', `The backup file ${row.file_name} is no longer at ${dirname(row.file_path)}.`)
    }
    this.env.platform.showInFolder(row.file_path)
  }

  // ---------------------------------------------------------------- export (export.ts) and batches (batches.ts)

  /** One tenant, destination from the native save dialog. Null when the dialog was closed. */
  startExport(tenantId: string): Promise<JobStarted> {
    return this.exporter.startExport(tenantId)
  }

  /** A backup with no dialog, for other services (tenant lifecycle before a hard delete). */
  backupTenantNow(tenantId: string, opts: { dir?: string } = {}): Promise<BackupRecord> {
    return this.exporter.backupTenantNow(tenantId, opts)
  }

  /**
   * A schema no tenant row names (an orphan, before it is dropped): the same verified file,
   * catalogued under a new id with the slug given; its public part is empty.
   */
  backupSchemaNow(schema: string, slug: string, opts: { dir?: string } = {}): Promise<BackupRecord> {
    return this.exporter.backupRefNow({ id: randomUUID(), slug, name: null, schemaName: schema, schema }, opts)
  }

  /** Many tenants (all, or a selection) into a folder from the native folder dialog. */
  startBatch(input: { all: true } | { tenantIds: string[] }): Promise<JobStarted> {
    return this.batchRuns.startBatch(input)
  }

  /** Creates the batch record and runs it (also used directly by tests and tools). */
  startBatchInto(tenantIds: string[], dir: string): Promise<{ jobId: string; batchId: string }> {
    return this.batchRuns.startBatchInto(tenantIds, dir)
  }

  /** Resumes a batch: tenants with a verified backup from it are skipped. */
  resumeBatch(batchId: string): Promise<{ jobId: string; batchId: string }> {
    return this.batchRuns.resumeBatch(batchId)
  }

  // ---------------------------------------------------------------- verify (verify.ts)

  verify(backupId: string, deep: boolean): Promise<VerifyResult> {
    return this.verifier.verify(backupId, deep)
  }

  /** Quick: checksums + pg_restore --list. Deep: also restores into a scratch schema in a rolled-back transaction. */
  verifyFile(path: string, opts: { deep: boolean; expectedSha256?: string | null; job?: Job }): Promise<{ message: string; tables: VerifyResult['tables'] }> {
    return this.verifier.verifyFile(path, opts)
  }

  // ---------------------------------------------------------------- restore (restore-job.ts)

  /** Restore (admins). Same tenant: safety backup first. Copy: a new tenant with a new slug. */
  restore(input: { backupId: string | null; mode: 'same' | 'copy'; newSlug?: string; newName?: string }): Promise<RestoreResult> {
    return this.restorer.restore(input)
  }

  /** A restore as a job: progress on `backups:progress` (kind 'restore'), cancellable until its COMMIT. */
  restoreFile(path: string, opts: RestoreFileOptions): Promise<RestoreResult> {
    return this.restorer.restoreFile(path, opts)
  }
}
