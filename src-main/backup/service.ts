/**
 * Per-tenant backups and restores.
 *
 * Export: a snapshot session exports its snapshot; pg_dump -Fc --snapshot dumps the
 * tenant schema(s) selected by exact, quoted names with --strict-names while the same
 * snapshot gives the public rows, row counts and sequence values. One tenant: pg_dump's
 * stdout streams into the backup file. Many tenants: one pg_dump run per chunk of
 * schemas writes a shared archive, which is split into one archive per tenant (see
 * pgarchive.ts), so the per-run catalog cost is paid per chunk, not per tenant. Every
 * file is written to a temporary name beside its destination, fsynced, renamed, then
 * verified, and recorded in console.backup_catalog.
 *
 * Restore: the file is fully checked first (checksums, versions, pg_restore --list);
 * then pg_restore turns the archive into SQL that runs on the console's own connection
 * in one transaction with the public rows (see sqlexec.ts and restore.ts).
 */
import { randomUUID } from 'node:crypto'
import { basename, dirname, extname, join } from 'node:path'
import { closeSync, openSync, readSync } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import type pg from 'pg'
import {
  describeJob,
  type BackupPhase,
  type BackupProgress,
  type BackupRecord,
  type BatchSummary,
  type JobKind,
  type JobStarted,
  type RestoreResult,
  type ToolStatus,
  type VerifyResult
} from '../../src-preload/contract'
import type { Platform } from '../context'
import { AppError, toAppError } from '../core/errors'
import { isProtectedSchema } from '../core/ident'
import { log } from '../core/logger'
import type { ConnectionManager, ConnectionTarget } from '../db/connection'
import type { SessionService } from '../services/session'
import * as catalog from './catalog'
import { BackupFileError, ContainerWriter, FILE_EXTENSION, FORMAT_VERSION, openBackup, partStream, verifyParts, type BackupManifest, type OpenedBackup } from './container'
import { checkBackupScope } from './archive-scope'
import { writeFailureFor } from './fault-words'
import { backupFileRefusal, openChosenBackup } from './file-check'
import { ArchiveFormatError, checkSplit, entriesBySchema, expectsData, followArchive, readArchive, writeSchemaArchive, type ArchiveInfo, type TocEntry } from './pgarchive'
import { describeToolFailure, pgEnv, runTool, type RunningTool } from './pgproc'
import { ExportRun, type ExportOutcome, type ExportPlan, type WrittenFile } from './export-run'
import { RunnerPresence } from './runner'
import { restoreBackup, type RestoreMode, type RestoreProgress } from './restore'
import { SnapshotSession, resolveTenants, rowSecurityBlock, type SchemaFacts, type TenantRef } from './snapshot'
import { findPgTools, serverMajor, type PgTools } from './tools'

export const SCHEMA_PART = 'schema.dump'
export const PUBLIC_PART = 'public.jsonl'

export interface BackupOptions {
  consoleVersion: string
  /** Default folder for save dialogs and safety backups. */
  backupsDir: string
  /** Lock waits of pg_dump and of the console's own sessions. */
  lockWaitMs?: number
  /** Relations (tables, sequences, indexes) per pg_dump run in a batch; bounds pg_dump's lock table use. */
  maxRelationsPerRun?: number
  /** Schemas per pg_dump run in a batch. */
  maxSchemasPerRun?: number
  /** OS notification when a job took longer than this. */
  notifyAfterMs?: number
  /** How often the runner connection is checked while jobs run (see RunnerPresence). */
  runnerHeartbeatMs?: number
}

export interface RestoreFileOptions {
  mode: 'same' | 'copy'
  newSlug?: string
  newName?: string
  /** The catalog's checksum of the file, when it was picked from the catalog. */
  expectedSha256?: string | null
  /** Where the safety backup goes (default: the backups folder's safety/). */
  safetyDir?: string
}

interface Job {
  id: string
  kind: JobKind
  abort: AbortController
  progress: BackupProgress
  catalogIds: Set<string>
  done: Promise<void>
  /** Shown instead of the export's own phases (a restore's safety backup). */
  pinnedPhase?: BackupPhase
}

interface CommonMeta {
  startedAt: string
  pgDump: string
  server: string
  serverVersionNum: number
  dbRole: string
  snapshotId: string
  takenAt: string
}

const nowIso = () => new Date().toISOString()

/**
 * Planner settings for pg_dump's own session. pg_dump (15 to 17) looks for materialized
 * views that depend on other materialized views with a recursive join over pg_depend.
 * On a database of many tenant schemas and no user views the planner misjudges it as
 * one row and picks a merge join that rescans ~800,000 pg_depend rows per system-view
 * dependency: 121 s of a 125 s one-schema dump at 10,000 schemas (bench/results/backup.md).
 * Without merge joins the same query takes 4 ms. Settings change plans, never results.
 */
const PG_DUMP_SESSION_OPTIONS = '-c enable_mergejoin=off'

type PublicRows = Awaited<ReturnType<SnapshotSession['publicRows']>>

/** A batch archive being followed while pg_dump writes it (see followBatch). */
interface BatchFollow {
  /** Resolves when pg_dump has exited and the whole archive was read. */
  done: Promise<ArchiveInfo>
  /** pg_restore --list of the archive's table of contents. */
  listed: Promise<string>
  /** Tenants whose file was scheduled. */
  scheduled: Set<string>
  stop(): void
  close(): void
}

/** NCHAT_BACKUP_TRACE=1 logs phase timings (for the benchmark and profiling). */
const TRACE = Boolean(process.env.NCHAT_BACKUP_TRACE)
const traceTimes = new Map<string, number>()
function trace(label: string, t0: number): void {
  if (!TRACE) return
  traceTimes.set(label, (traceTimes.get(label) ?? 0) + (performance.now() - t0))
}
export function traceReport(): Record<string, number> {
  const out = Object.fromEntries([...traceTimes].map(([k, v]) => [k, Math.round(v)]))
  traceTimes.clear()
  return out
}

function safeSlugForFile(slug: string): string {
  return slug.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'tenant'
}

export function defaultFileName(slug: string, at = new Date()): string {
  const ts = at.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')
  return `${safeSlugForFile(slug)}-${ts}.${FILE_EXTENSION}`
}

function fsMessage(e: unknown, dir: string): string {
  const code = (e as NodeJS.ErrnoException)?.code
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `The folder ${dir} cannot be written (permission denied). Choose another folder.`
    case 'EROFS':
      return `The folder ${dir} is on a read-only disk. Choose another folder.`
    case 'ENOENT':
    case 'ENOTDIR':
      return `The folder ${dir} does not exist.`
    case 'ENOSPC':
      return `The disk holding ${dir} is full.`
    default:
      return `The backup file could not be written in ${dir} (${code ?? 'I/O error'}).`
  }
}

export class BackupService {
  private readonly jobs = new Map<string, Job>()
  private readonly presence: RunnerPresence
  private toolsCache: { key: string; tools: PgTools } | null = null
  private readonly lockWaitMs: number
  private readonly maxRelationsPerRun: number
  private readonly maxSchemasPerRun: number

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    private readonly platform: Platform,
    private readonly opts: BackupOptions
  ) {
    this.lockWaitMs = opts.lockWaitMs ?? 15_000
    this.presence = new RunnerPresence(() => this.target(), opts.runnerHeartbeatMs)
    this.maxRelationsPerRun = opts.maxRelationsPerRun ?? 4000
    this.maxSchemasPerRun = opts.maxSchemasPerRun ?? 250
  }

  private target(): ConnectionTarget {
    const t = this.db.target
    if (!t) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return t
  }

  /** The catalog must exist; `runners` says whether it has migration 0008's runner columns. */
  private async requireCatalog(): Promise<{ runners: boolean }> {
    const r = await this.db.query<{ ok: boolean; batches: boolean; runners: boolean }>(
      `SELECT to_regclass('console.backup_catalog') IS NOT NULL AS ok, to_regclass('console.backup_batches') IS NOT NULL AS batches,
              EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('console.backup_catalog') AND attname = 'runner' AND NOT attisdropped) AS runners`
    )
    if (!r.rows[0]?.ok || !r.rows[0]?.batches) {
      throw new AppError('NOT_CONFIGURED', "The console's backup catalog is missing on this database: apply the console migrations (npm run db:migrate) first.")
    }
    return { runners: r.rows[0].runners }
  }

  /** Writing backups records the runner: it needs migration 0008 (reading does not). */
  private async requireRunners(): Promise<void> {
    if (!(await this.requireCatalog()).runners) {
      throw new AppError(
        'NOT_CONFIGURED',
        "This database's backup catalog is older than this console (console migration 0008 is not applied). Listing, verifying and restoring work; to back up, have the database owner apply the console migrations (npm run db:migrate, or Apply migrations in the connection's profile)."
      )
    }
  }

  // ---------------------------------------------------------------- tools

  async tools(): Promise<PgTools> {
    const t = this.target()
    const facts = await this.session.get()
    const key = `${this.db.gen}|${t.pgBinDir ?? ''}|${facts.serverVersionNum}`
    if (this.toolsCache?.key === key) return this.toolsCache.tools
    const tools = await findPgTools({ profileBinDir: t.pgBinDir, serverMajor: serverMajor(facts.serverVersionNum), serverVersion: facts.serverVersion })
    this.toolsCache = { key, tools }
    return tools
  }

  async toolStatus(): Promise<ToolStatus> {
    let serverVersion: string | null = null
    try {
      serverVersion = (await this.session.get()).serverVersion
      const t = await this.tools()
      // A login that row security would filter cannot make any backup: said here, before a click.
      const blocked = await rowSecurityBlock(this.db)
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

  // ---------------------------------------------------------------- jobs

  activeJobs(): BackupProgress[] {
    return [...this.jobs.values()].map((j) => ({ ...j.progress }))
  }

  private startJob(kind: JobKind, init: Partial<BackupProgress>, run: (job: Job) => Promise<void>): Job {
    this.assertNotHeld()
    const id = randomUUID()
    const progress: BackupProgress = {
      jobId: id,
      kind,
      status: 'running',
      phase: 'preparing',
      tenantSlug: null,
      tablesDone: 0,
      tablesTotal: 0,
      bytes: 0,
      batchId: null,
      tenantsDone: 0,
      tenantsFailed: 0,
      tenantsTotal: 0,
      message: null,
      startedAt: nowIso(),
      ...init
    }
    const job = { id, kind, abort: new AbortController(), progress, catalogIds: new Set<string>() } as Job
    this.jobs.set(id, job)
    // The renderer learns of the job at once (it can be cancelled while it prepares).
    this.emit(job, true)
    const started = Date.now()
    job.done = (async () => {
      try {
        await run(job)
        if (job.progress.status === 'running') job.progress.status = 'succeeded'
      } catch (e) {
        const cancelled = job.abort.signal.aborted
        job.progress.status = cancelled ? 'cancelled' : 'failed'
        job.progress.message = cancelled ? 'Cancelled by the operator.' : toAppError(e).message
        if (!cancelled && !(e instanceof AppError)) log.error(`backup job ${kind} failed`, e)
      } finally {
        job.progress.phase = 'done'
        this.emit(job, true)
        this.jobs.delete(id)
        this.closePresenceIfIdle()
        if (Date.now() - started >= (this.opts.notifyAfterMs ?? 15_000)) this.notifyEnd(job)
      }
    })()
    return job
  }

  /**
   * Runs work as a job (progress events, cancellable) and answers with its result; a
   * cancelled job fails with CANCELLED (`cancelled` is the message when the work itself
   * did not say).
   */
  private async runJob<T>(kind: JobKind, init: Partial<BackupProgress>, work: (job: Job) => Promise<T>, cancelled: string): Promise<T> {
    let out: { value: T } | undefined
    let failure: unknown
    const job = this.startJob(kind, init, async (j) => {
      try {
        out = { value: await work(j) }
      } catch (e) {
        failure = e
        throw e
      }
    })
    await job.done
    if (out) return out.value
    if (job.abort.signal.aborted && !(failure instanceof AppError && failure.code === 'CANCELLED')) throw new AppError('CANCELLED', cancelled)
    throw failure
  }

  /** No job runs any more: this console's runner lock goes (see RunnerPresence). */
  private closePresenceIfIdle(): void {
    if (!this.jobs.size) this.presence.release()
  }

  private setPhase(job: Job, phase: BackupPhase): void {
    job.progress.phase = job.pinnedPhase ?? phase
  }

  private lastEmit = new Map<string, number>()
  private trailingEmit = new Map<string, NodeJS.Timeout>()
  /**
   * Progress events, at most one per job every 150 ms; a throttled update is sent when the
   * window ends, so the renderer always ends up with the latest state.
   */
  private emit(job: Job, force = false): void {
    const now = Date.now()
    const wait = 150 - (now - (this.lastEmit.get(job.id) ?? 0))
    if (!force && wait > 0) {
      if (!this.trailingEmit.has(job.id)) {
        this.trailingEmit.set(
          job.id,
          setTimeout(() => {
            this.trailingEmit.delete(job.id)
            if (this.jobs.has(job.id)) this.emit(job)
          }, wait)
        )
      }
      return
    }
    clearTimeout(this.trailingEmit.get(job.id))
    this.trailingEmit.delete(job.id)
    if (force && job.progress.phase === 'done') this.lastEmit.delete(job.id)
    else this.lastEmit.set(job.id, now)
    try {
      this.platform.emit('backups:progress', { ...job.progress })
    } catch (e) {
      log.warn('progress event failed', e)
    }
  }

  private notifyEnd(job: Job): void {
    const p = job.progress
    const succeeded: Record<JobKind, string> = {
      batch: `${p.tenantsDone} backed up and verified.`,
      export: 'Finished and verified.',
      restore: 'Restored and checked against the backup.',
      verify: 'Restored into a scratch schema; the row counts match.'
    }
    const body =
      p.status === 'succeeded'
        ? succeeded[p.kind]
        : p.status === 'partial'
          ? `${p.tenantsDone} done, ${p.tenantsFailed} failed.`
          : p.status === 'cancelled'
            ? p.kind === 'restore'
              ? 'Cancelled and rolled back.'
              : 'Cancelled.'
            : `Failed: ${p.message ?? ''}`
    try {
      this.platform.notify?.({ title: `${describeJob(p)} ${p.status === 'succeeded' ? 'finished' : p.status}`, body })
    } catch (e) {
      log.warn('notification failed', e)
    }
  }

  /**
   * The jobs running now, in words, or null. Jobs belong to the connection they started on,
   * so switching connections waits until they end (see ProfileService).
   */
  runningWork(): string | null {
    const jobs = [...this.jobs.values()].map((j) => j.progress)
    if (!jobs.length) return null
    if (jobs.length > 1) return `${jobs.length} backup jobs are`
    const what = describeJob(jobs[0]!)
    return `A ${what[0]!.toLowerCase()}${what.slice(1)} is`
  }

  private holds = 0

  /**
   * Holds new jobs off while the connection changes (ProfileService): a job must not
   * start on one database and finish on another. Call the returned function to release.
   */
  hold(): () => void {
    this.holds++
    let released = false
    return () => {
      if (!released) this.holds--
      released = true
    }
  }

  private assertNotHeld(): void {
    if (this.holds) throw new AppError('CONFLICT', 'The connection is changing; start this again once it is open.')
  }

  /** Cancels every running job and waits for each to clean up (quitting the app). */
  async cancelAll(): Promise<void> {
    await Promise.all([...this.jobs.keys()].map((id) => this.cancel(id)))
  }

  async cancel(jobId: string): Promise<{ cancelled: boolean }> {
    const job = this.jobs.get(jobId)
    if (!job) return { cancelled: false }
    job.abort.abort()
    await job.done
    // False when the job got past the point of no return (a restore's COMMIT) and finished.
    return { cancelled: job.progress.status === 'cancelled' }
  }

  /** Waits for a job (tests, and the lifecycle's pre-delete backup). */
  async waitFor(jobId: string): Promise<BackupProgress | null> {
    const job = this.jobs.get(jobId)
    if (!job) return null
    await job.done
    return { ...job.progress }
  }

  // ---------------------------------------------------------------- catalog

  async list(f: { tenantId?: string; batchId?: string; limit: number }): Promise<BackupRecord[]> {
    if ((await this.requireCatalog()).runners) await catalog.sweepInterrupted(this.db)
    return (await catalog.listRows(this.db, f)).map(catalog.toRecord)
  }

  async batches(limit = 20): Promise<BatchSummary[]> {
    const { runners } = await this.requireCatalog()
    if (runners) await catalog.sweepInterrupted(this.db)
    const rows = await catalog.listBatches(this.db, limit, runners)
    const active = new Set([...this.jobs.values()].map((j) => j.progress.batchId).filter(Boolean))
    for (const b of rows) if (b.alive) active.add(b.id)
    return rows.map((b) => ({
      id: b.id,
      createdAt: b.created_at.toISOString(),
      finishedAt: b.finished_at ? b.finished_at.toISOString() : null,
      directory: b.directory,
      status: b.status,
      total: b.tenant_ids.length,
      succeeded: b.succeeded,
      failed: b.failed,
      pending: Math.max(0, b.tenant_ids.length - b.succeeded - b.failed),
      active: active.has(b.id),
      failures: b.failures.map((x) => ({ tenantSlug: x.slug, error: x.error }))
    }))
  }

  async showInFolder(backupId: string): Promise<void> {
    await this.requireCatalog()
    const row = await catalog.getRow(this.db, backupId)
    if (!row) throw new AppError('NOT_FOUND', 'That backup is not in the catalog.')
    if (!this.platform.showInFolder) throw new AppError('UNSUPPORTED', 'Showing files is not available here.')
    try {
      await stat(row.file_path)
    } catch {
      throw new AppError('NOT_FOUND', `The backup file ${row.file_name} is no longer at ${dirname(row.file_path)}.`)
    }
    this.platform.showInFolder(row.file_path)
  }

  // ---------------------------------------------------------------- export (UI entry points)

  /** One tenant, destination from the native save dialog. Null when the dialog was closed. */
  async startExport(tenantId: string): Promise<JobStarted> {
    this.assertNotHeld()
    await this.requireRunners()
    const [t] = await resolveTenants(this.db as unknown as pg.ClientBase, [tenantId])
    if (!t) throw new AppError('NOT_FOUND', 'That tenant no longer exists.')
    await this.tools()
    if (!this.platform.saveDialog) throw new AppError('UNSUPPORTED', 'The save dialog is not available here.')
    const chosen = await this.platform.saveDialog({
      title: `Back up ${t.slug}`,
      defaultPath: join(this.opts.backupsDir, defaultFileName(t.slug)),
      filters: [{ name: 'nChat Console backup', extensions: [FILE_EXTENSION] }]
    })
    if (!chosen) return null
    const dest = extname(chosen) ? chosen : `${chosen}.${FILE_EXTENSION}`
    const job = this.startJob('export', { tenantSlug: t.slug, tenantsTotal: 1 }, async (job) => {
      const [out] = await this.exportTenants([t], { kind: 'export', batchId: null, destFor: () => dest }, job)
      if (!out?.ok) throw new AppError(job.abort.signal.aborted ? 'CANCELLED' : 'INTERNAL', out?.error ?? 'The backup failed.')
    })
    return { jobId: job.id, batchId: null }
  }

  /** Many tenants (all, or a selection) into a folder from the native folder dialog. */
  async startBatch(input: { all: true } | { tenantIds: string[] }): Promise<JobStarted> {
    await this.requireRunners()
    const ids = 'all' in input ? 'all' : input.tenantIds
    const tenants = await resolveTenants(this.db as unknown as pg.ClientBase, ids)
    if (!tenants.length) throw new AppError('NOT_FOUND', 'None of those tenants exist.')
    await this.tools()
    if (!this.platform.chooseFolder) throw new AppError('UNSUPPORTED', 'The folder dialog is not available here.')
    const dir = await this.platform.chooseFolder({ title: `Back up ${tenants.length} tenants into…`, defaultPath: this.opts.backupsDir })
    if (!dir) return null
    return this.startBatchInto(tenants.map((t) => t.id), dir)
  }

  /** Creates the batch record and runs it (also used directly by tests and tools). */
  async startBatchInto(tenantIds: string[], dir: string): Promise<{ jobId: string; batchId: string }> {
    this.assertNotHeld()
    await this.requireRunners()
    const t = this.target()
    const batchId = randomUUID()
    try {
      const runner = await this.presence.hold()
      await catalog.createBatch(this.db, { id: batchId, directory: dir, tenantIds, operatorName: t.operator.name, operatorEmail: t.operator.email, runner })
    } catch (e) {
      this.closePresenceIfIdle()
      throw e
    }
    const job = this.runBatch(batchId, tenantIds.length)
    return { jobId: job.id, batchId }
  }

  /** Resumes a batch: tenants with a verified backup from it are skipped. */
  async resumeBatch(batchId: string): Promise<{ jobId: string; batchId: string }> {
    this.assertNotHeld()
    await this.requireRunners()
    const b = await catalog.getBatch(this.db, batchId)
    if (!b) throw new AppError('NOT_FOUND', 'That batch is not in the catalog.')
    if ([...this.jobs.values()].some((j) => j.progress.batchId === batchId)) throw new AppError('CONFLICT', 'That batch is running now.')
    await this.tools()
    try {
      // One statement claims the batch: two consoles resuming at once cannot both win.
      const runner = await this.presence.hold()
      if (!(await catalog.claimBatch(this.db, batchId, runner))) throw new AppError('CONFLICT', 'Another console is running that batch now.')
    } catch (e) {
      this.closePresenceIfIdle()
      throw e
    }
    const job = this.runBatch(batchId, b.tenant_ids.length)
    return { jobId: job.id, batchId }
  }

  /** Runs a batch this console has claimed (created, or resumed). */
  private runBatch(batchId: string, tenantsTotal: number): Job {
    return this.startJob('batch', { batchId, tenantsTotal }, async (job) => {
      const b = await catalog.getBatch(this.db, batchId)
      if (!b) throw new AppError('NOT_FOUND', 'That batch is not in the catalog.')
      await catalog.markStale(this.db, batchId, new Set())
      const done = await catalog.finishedInBatch(this.db, batchId)
      const all = await resolveTenants(this.db as unknown as pg.ClientBase, b.tenant_ids)
      const missing = b.tenant_ids.length - all.length
      const todo = all.filter((t) => !done.has(t.id))
      job.progress.tenantsTotal = b.tenant_ids.length
      job.progress.tenantsDone = done.size
      this.emit(job, true)
      await mkdir(b.directory, { recursive: true }).catch(() => {})
      let failed = 0
      const failures: { slug: string; error: string }[] = []
      for (const chunk of this.chunks(todo)) {
        if (job.abort.signal.aborted) break
        const outs = await this.exportTenants(chunk, { kind: 'batch', batchId, destFor: (t) => join(b.directory, defaultFileName(t.slug)) }, job)
        for (const o of outs) {
          if (o.ok) job.progress.tenantsDone++
          else if (!job.abort.signal.aborted) {
            failed++
            failures.push({ slug: chunk.find((t) => t.id === o.tenantId)?.slug ?? o.tenantId, error: o.error ?? 'failed' })
          }
        }
        job.progress.tenantsFailed = failed
        this.emit(job, true)
      }
      const cancelled = job.abort.signal.aborted
      const status: BatchSummary['status'] = cancelled ? 'cancelled' : failed + missing === 0 ? 'succeeded' : job.progress.tenantsDone > 0 ? 'partial' : 'failed'
      const summary = {
        total: b.tenant_ids.length,
        succeeded: job.progress.tenantsDone,
        skippedAlreadyDone: done.size,
        failed,
        missingTenants: missing,
        failures: failures.slice(0, 50),
        finishedAt: nowIso()
      }
      await catalog.finishBatch(this.db, batchId, status, summary)
      job.progress.status = status === 'succeeded' ? 'succeeded' : status === 'cancelled' ? 'cancelled' : status === 'partial' ? 'partial' : 'failed'
      job.progress.message =
        status === 'succeeded'
          ? `${job.progress.tenantsDone} of ${summary.total} tenants backed up and verified.`
          : `${job.progress.tenantsDone} of ${summary.total} backed up; ${failed} failed${missing ? `, ${missing} no longer exist` : ''}.${failures[0] ? ` First failure (${failures[0].slug}): ${failures[0].error}` : ''}`
      if (cancelled) throw new AppError('CANCELLED', 'Cancelled by the operator.')
    })
  }

  /** Splits a batch into pg_dump runs bounded by schema and relation counts. */
  private *chunks(tenants: TenantRef[]): Generator<TenantRef[]> {
    // ~3 relations per table (table, sequence, index) in the app's template; 10 tables.
    const perSchema = 40
    const size = Math.max(1, Math.min(this.maxSchemasPerRun, Math.floor(this.maxRelationsPerRun / perSchema)))
    for (let i = 0; i < tenants.length; i += size) yield tenants.slice(i, i + size)
  }

  // ---------------------------------------------------------------- export (core)

  /** A backup with no dialog, for other services (tenant lifecycle before a hard delete). */
  async backupTenantNow(tenantId: string, opts: { dir?: string } = {}): Promise<BackupRecord> {
    await this.requireRunners()
    const [t] = await resolveTenants(this.db as unknown as pg.ClientBase, [tenantId])
    if (!t) throw new AppError('NOT_FOUND', 'That tenant no longer exists.')
    const dir = opts.dir ?? this.opts.backupsDir
    await mkdir(dir, { recursive: true }).catch(() => {})
    let outcome: ExportOutcome | undefined
    const job = this.startJob('export', { tenantSlug: t.slug, tenantsTotal: 1 }, async (job) => {
      ;[outcome] = await this.exportTenants([t], { kind: 'export', batchId: null, destFor: () => join(dir, defaultFileName(t.slug)) }, job)
    })
    await job.done
    if (!outcome?.ok) throw new AppError('INTERNAL', outcome?.error ?? job.progress.message ?? 'The backup failed.')
    const row = await catalog.getRow(this.db, outcome.backupId)
    return catalog.toRecord(row!)
  }

  /**
   * Backs up tenants with one snapshot and one pg_dump run. Never throws for a tenant's
   * failure: each tenant gets an outcome and a catalog row.
   */
  async exportTenants(tenants: TenantRef[], plan: ExportPlan, job: Job): Promise<ExportOutcome[]> {
    await this.requireRunners()
    const target = this.target()
    const tools = await this.tools()
    const signal = job.abort.signal
    const run = new ExportRun(tenants, plan)

    await catalog.insertRunning(
      this.db,
      tenants.map((t) => ({
        id: run.backupId(t),
        tenantId: t.id,
        tenantSlug: t.slug,
        tenantSchema: t.schema ?? t.schemaName,
        filePath: run.dest(t),
        fileName: basename(run.dest(t)),
        batchId: plan.batchId,
        kind: plan.kind,
        operatorName: target.operator.name,
        operatorEmail: target.operator.email
      })),
      await this.presence.hold()
    )
    for (const t of tenants) job.catalogIds.add(run.backupId(t))

    // Tenants that cannot be dumped at all.
    const ok: TenantRef[] = []
    for (const t of tenants) {
      if (!t.schema) run.fail(t, `The tenant's schema ${t.schemaName} does not exist, so there is nothing to dump.`)
      else if (isProtectedSchema(t.schema, target.templateSchema)) run.fail(t, `The schema ${t.schema} is a protected schema, not a tenant's.`)
      else ok.push(t)
    }

    let snap: SnapshotSession | null = null
    let env: Awaited<ReturnType<typeof pgEnv>> | null = null
    let dump: RunningTool | null = null
    let sharedArchive: string | null = null
    let singleFh: Awaited<ReturnType<typeof open>> | null = null
    const single = plan.kind !== 'batch' && ok.length === 1
    let following: BatchFollow | null = null
    let dumpExited = false
    const onAbort = () => {
      dump?.kill()
      following?.stop()
    }
    signal.addEventListener('abort', onAbort)
    try {
      if (!ok.length) return this.finishOutcomes(run)
      this.setPhase(job, 'snapshot')
      job.progress.tenantSlug = ok[0]!.slug
      this.emit(job, true)
      const started = nowIso()
      let tt = performance.now()
      snap = await SnapshotSession.open(target.pg, this.lockWaitMs)
      trace('snapshot.open', tt)
      const common: CommonMeta = {
        startedAt: started,
        pgDump: tools.pgDump.version,
        server: snap.serverVersion,
        serverVersionNum: snap.serverVersionNum,
        dbRole: snap.dbRole,
        snapshotId: snap.snapshotId,
        takenAt: snap.takenAt
      }
      const schemas = ok.map((t) => t.schema!)
      // Checked while pg_dump starts; a refusal stops pg_dump and explains what grant is missing.
      const readableP = snap.checkReadable(schemas)
      readableP.catch(() => {})
      if (signal.aborted) throw new AppError('CANCELLED', 'Cancelled by the operator.')

      // Temporary files beside each destination; fail early on unwritable folders.
      const created = new Set<string>()
      const mk = limiter(8)
      await Promise.all(
        ok.map((t) =>
          mk(async () => {
            const dest = run.dest(t)
            const tmp = join(dirname(dest), `.${basename(dest)}.${randomUUID().slice(0, 8)}.partial`)
            try {
              const fh = await open(tmp, 'wx', 0o600)
              run.setTemp(t, tmp)
              await fh.close()
              created.add(t.id)
            } catch (e) {
              run.fail(t, fsMessage(e, dirname(dest)))
            }
          })
        )
      )
      const writable = ok.filter((t) => created.has(t.id))
      if (!writable.length) return this.finishOutcomes(run)

      env = await pgEnv(target.pg, 'nchat-console-pg_dump')
      env.env.PGOPTIONS = [env.env.PGOPTIONS, PG_DUMP_SESSION_OPTIONS].filter(Boolean).join(' ')
      const args = [
        '--format=custom',
        '--no-password',
        '--verbose',
        `--lock-wait-timeout=${this.lockWaitMs}`,
        `--snapshot=${snap.snapshotId}`,
        '--strict-names',
        ...writable.map((t) => `--schema="${t.schema!.replace(/"/g, '""')}"`)
      ]
      if (!single) {
        sharedArchive = join(dirname(run.temp(writable[0]!)), `.nchat-batch-${randomUUID().slice(0, 8)}.dump`)
        args.push('--no-sync', `--file=${sharedArchive}`)
        // Created here (owner-only) so it can be followed from the start; pg_dump opens it for writing.
        await (await open(sharedArchive, 'wx', 0o600)).close()
      }
      this.setPhase(job, 'dumping')
      job.progress.tablesDone = 0
      job.progress.tablesTotal = 0
      this.emit(job, true)
      dump = runTool(tools.pgDump.path, args, env.env, {
        onStderrLine: (line) => {
          if (/dumping contents of table/.test(line)) {
            job.progress.tablesDone++
            this.emit(job)
          }
        }
      })

      tt = performance.now()
      await readableP.catch((e) => {
        dump?.kill()
        throw e
      })
      trace('snapshot.checkReadable(overlapped)', tt)
      // While pg_dump runs: the same snapshot's facts and public rows.
      const factsP = snap.schemaFacts(schemas)
      const rowsP = snap.publicRows(writable.map((t) => t.id))
      // Keep a failure here from being unhandled while pg_dump is still running; awaited below.
      rowsP.catch(() => {})
      factsP.then((f) => {
        job.progress.tablesTotal = [...f.values()].reduce((n, x) => n + x.tables.length, 0)
      }, () => {})

      let writer: ContainerWriter | null = null
      let archiveVersion: string | null = null
      let singleList: ListRun | null = null
      if (!single) {
        // Split while pg_dump writes: each tenant's file is written, fsynced, renamed and
        // verified as soon as its last data block is on disk.
        const factsAndRows = Promise.all([factsP, rowsP])
        factsAndRows.catch(() => {}) // awaited by each file's task and below
        following = this.followBatch(run, sharedArchive!, writable, common, tools, job, { factsAndRows, dumpExited: () => dumpExited })
        following.done.catch(() => {})
      }
      if (single) {
        // Stream pg_dump's stdout straight into the backup file.
        const t = writable[0]!
        singleFh = await open(run.temp(t), 'r+')
        const fh = singleFh
        writer = new ContainerWriter(fh)
        await writer.writeHeader()
        writer.beginPart(SCHEMA_PART)
        // pg_restore --list reads the very bytes being written, at the same time; the
        // checksums checked after the rename prove the file holds exactly those bytes.
        singleList = startList(tools)
        for await (const chunk of dump.child.stdout! as AsyncIterable<Buffer>) {
          if (archiveVersion === null && chunk.length >= 8 && chunk.subarray(0, 5).toString('latin1') === 'PGDMP') {
            archiveVersion = `${chunk[5]}.${chunk[6]}-${chunk[7]}`
          }
          singleList.feed(chunk)
          await writer.write(chunk)
          job.progress.bytes = writer.bytesWritten
          this.emit(job)
        }
        singleList.end()
      }
      tt = performance.now()
      const res = await dump.done
      dumpExited = true
      trace('pg_dump.wait', tt)
      if (signal.aborted) throw new AppError('CANCELLED', 'Cancelled by the operator.')
      if (res.code !== 0 || res.signal) {
        const why = describeToolFailure('pg_dump', res)
        log.warn('pg_dump failed', { code: res.code, signal: res.signal, stderr: res.stderr.slice(-600) })
        // A failed query in the snapshot's session ends the snapshot, and pg_dump fails
        // with it: that query's error is the cause to report.
        // (Those queries may also still be waiting on a lock: only a moment is given.)
        const cause = await Promise.race([
          Promise.allSettled([factsP, rowsP]).then((xs) => xs.find((x): x is PromiseRejectedResult => x.status === 'rejected')),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 150))
        ])
        if (cause) throw toAppError(cause.reason)
        throw new AppError(/refused read access/.test(why) ? 'FORBIDDEN' : 'INTERNAL', why)
      }
      tt = performance.now()
      const [facts, pub] = await Promise.all([factsP, rowsP])
      trace('snapshot.factsAndRows.extraWait', tt)
      await snap.close()
      snap = null
      if (single) {
        const t = writable[0]!
        writer!.endPart()
        await this.finishFile(run, t, writer!, { facts: facts.get(t.schema!)!, pub, archiveVersion, common }, job)
        await singleFh!.close()
        singleFh = null
        tt = performance.now()
        // An archive pg_restore cannot read never gets the final name.
        const listOut = await singleList!.done
        trace('verify.pg_restore--list(tee)', tt)
        await this.renameInto(run, t)
        await fsyncDir(dirname(run.dest(t)))
        const err = await this.verifyWritten(run, t, tools, listOut)
        await this.recordSucceeded(run, [{ t, id: run.backupId(t), err }])
      } else {
        this.setPhase(job, 'splitting')
        this.emit(job, true)
        tt = performance.now()
        const f = following!
        try {
          await f.done
        } catch (e) {
          if (e instanceof ArchiveFormatError) throw new AppError('INTERNAL', `The shared pg_dump archive could not be split: ${e.message}`)
          throw e
        }
        trace('split.afterDump', tt)
        tt = performance.now()
        await Promise.all(run.pending)
        trace('split.lastFiles', tt)
        if (signal.aborted) throw new AppError('CANCELLED', 'Cancelled by the operator.')
        for (const t of writable) if (!f.scheduled.has(t.id)) run.fail(t, 'The shared pg_dump archive holds no complete dump of this schema.')
        // pg_restore read the batch archive's table of contents (one process for the batch);
        // each split file was checked against it entry by entry (checkSplit) and by its checksums.
        tt = performance.now()
        const listed = new ListIndex(await f.listed)
        for (const w of run.written) {
          try {
            listed.check(w.t.schema!, facts.get(w.t.schema!)!.tables.map((x) => x.table))
          } catch (e) {
            w.err ??= toAppError(e).message
          }
        }
        trace('verify.pg_restore--list(batch archive, overlapped)', tt)
        tt = performance.now()
        for (const d of new Set(run.written.map((x) => dirname(run.dest(x.t))))) await fsyncDir(d)
        await this.recordSucceeded(run, run.written)
        trace('commit.fsyncDir+catalog', tt)
      }
      return this.finishOutcomes(run)
    } catch (e) {
      const cancelled = signal.aborted
      // Background work of this run ends first; files it already renamed are not recorded
      // as backups now, so they go too: nothing stays under a final name for a failed run.
      following?.stop()
      await following?.done.catch(() => {})
      await Promise.allSettled(run.pending)
      for (const w of run.written) {
        if (!run.hasOutcome(w.t)) await rm(run.dest(w.t), { force: true }).catch(() => {})
      }
      const msg = cancelled ? 'Cancelled by the operator.' : writeFailureFor(e, tenants[0] ? run.dest(tenants[0]) : null) ?? toAppError(e).message
      if (!cancelled && toAppError(e).code === 'INTERNAL' && !(e instanceof AppError)) log.error('backup failed', e)
      for (const t of tenants) if (!run.hasOutcome(t)) run.fail(t, msg)
      return this.finishOutcomes(run, cancelled)
    } finally {
      signal.removeEventListener('abort', onAbort)
      if (singleFh) await singleFh.close().catch(() => {})
      if (dump) {
        dump.kill()
        await dump.done.catch(() => {})
      }
      // On failure the snapshot's queries may be waiting on a lock: drop the connection, don't wait.
      if (snap) await snap.abort()
      if (env) await env.cleanup()
      following?.stop()
      await following?.done.catch(() => {})
      following?.close()
      if (sharedArchive) await rm(sharedArchive, { force: true })
      for (const tmp of run.tempFiles()) await rm(tmp, { force: true }).catch(() => {})
    }
  }

  /**
   * Follows the batch archive while pg_dump writes it and schedules each tenant's file
   * (write, fsync, rename, verify; several at a time) once all its data blocks are on
   * disk. pg_restore --list reads the archive's table of contents as soon as it is written.
   */
  private followBatch(
    run: ExportRun,
    archive: string,
    writable: TenantRef[],
    common: CommonMeta,
    tools: PgTools,
    job: Job,
    x: {
      factsAndRows: Promise<[Map<string, SchemaFacts>, PublicRows]>
      dumpExited: () => boolean
    }
  ): BatchFollow {
    const stopper = new AbortController()
    const srcFd = openSync(archive, 'r')
    const bySchemaName = new Map(writable.map((t) => [t.schema!, t]))
    const scheduled = new Set<string>()
    const limit = limiter(8)
    let info: ArchiveInfo | null = null
    let bySchema = new Map<string, TocEntry[]>()
    // Data blocks still to come, per schema; and which schemas each data entry belongs to.
    const left = new Map<string, number>()
    const owners = new Map<number, string[]>()
    let listDone: Promise<string> | null = null
    const stopped = () => stopper.signal.aborted || job.abort.signal.aborted

    const write = async (t: TenantRef) => {
      const [facts, pub] = await x.factsAndRows
      if (stopped()) return
      job.progress.tenantSlug = t.slug
      const entries = bySchema.get(t.schema!)!
      const tfh = await open(run.temp(t), 'r+')
      try {
        const w = new ContainerWriter(tfh)
        await w.writeHeader()
        w.beginPart(SCHEMA_PART)
        await writeSchemaArchive(srcFd, info!, entries, (b) => w.write(b))
        w.endPart()
        await this.finishFile(run, t, w, { facts: facts.get(t.schema!)!, pub, archiveVersion: info!.version, common }, job, false)
        await tfh.sync()
      } finally {
        await tfh.close()
      }
      if (stopped()) return
      await this.renameInto(run, t)
      const entry: WrittenFile = { t, id: run.backupId(t), err: null }
      run.written.push(entry)
      entry.err = await this.verifyWritten(run, t, tools, null, { source: info!, entries, schema: t.schema! })
      this.setPhase(job, 'verifying')
      this.emit(job)
    }
    const schedule = (t: TenantRef) => {
      scheduled.add(t.id)
      run.pending.push(limit(() => write(t)).catch((e) => run.fail(t, writeFailureFor(e, run.dest(t)) ?? toAppError(e).message)))
    }

    const done = followArchive(archive, {
      finished: x.dumpExited,
      signal: stopper.signal,
      onToc: (toc) => {
        info = toc
        bySchema = entriesBySchema(toc, bySchemaName.keys())
        const head = Buffer.allocUnsafe(toc.dataStart)
        if (readSync(srcFd, head, 0, toc.dataStart, 0) !== toc.dataStart) throw new ArchiveFormatError('The archive changed while it was read.')
        const list = startList(tools)
        list.feed(head)
        list.end()
        listDone = list.done
        for (const [schema, entries] of bySchema) {
          const data = entries.filter(expectsData)
          for (const e of data) owners.set(e.dumpId, [...(owners.get(e.dumpId) ?? []), schema])
          if (data.length) left.set(schema, data.length)
          else schedule(bySchemaName.get(schema)!)
        }
      },
      onBlock: (e) => {
        for (const schema of owners.get(e.dumpId) ?? []) {
          const n = left.get(schema)! - 1
          if (n > 0) left.set(schema, n)
          else {
            left.delete(schema)
            schedule(bySchemaName.get(schema)!)
          }
        }
      }
    })
    const listed = done.then(() => listDone ?? Promise.reject(new ArchiveFormatError('pg_dump wrote no table of contents.')))
    listed.catch(() => {})
    return {
      done,
      listed,
      scheduled,
      stop: () => stopper.abort(),
      close: () => closeSync(srcFd)
    }
  }

  /** Writes a tenant's public rows and manifest after its schema part, and closes the file. */
  private async finishFile(
    run: ExportRun,
    t: TenantRef,
    w: ContainerWriter,
    src: { facts: SchemaFacts; pub: PublicRows; archiveVersion: string | null; common: CommonMeta },
    job: Job,
    sync = true
  ): Promise<void> {
    const { facts, pub, archiveVersion, common } = src
    const backupId = run.backupId(t)
    this.setPhase(job, 'writing')
    const rows = pub.rows.get(t.id) ?? new Map<string, string[]>()
    w.beginPart(PUBLIC_PART)
    const publicTables = pub.tables.map((table) => ({ table, rows: rows.get(table)?.length ?? 0 }))
    for (const table of pub.tables) {
      const lines = rows.get(table) ?? []
      for (let i = 0; i < lines.length; i += 500) {
        await w.write(Buffer.from(lines.slice(i, i + 500).map((l) => `${table}\t${l}\n`).join(''), 'utf8'))
      }
    }
    w.endPart()
    const target = this.target()
    const manifest: BackupManifest = {
      format: 'nchat-console-tenant-backup',
      formatVersion: FORMAT_VERSION,
      backupId,
      batchId: run.plan.batchId,
      tenant: { id: t.id, slug: t.slug, name: t.name, schema: t.schemaName, schemaAsStored: t.schema },
      versions: {
        console: this.opts.consoleVersion,
        pgDump: common.pgDump,
        server: common.server,
        serverVersionNum: common.serverVersionNum,
        archive: archiveVersion
      },
      snapshot: { id: common.snapshotId, takenAt: common.takenAt, method: 'exported-snapshot' },
      startedAt: common.startedAt,
      finishedAt: nowIso(),
      operator: { name: target.operator.name, email: target.operator.email, dbRole: common.dbRole },
      schemaTables: facts.tables,
      sequences: facts.sequences,
      publicTables,
      parts: w.parts
    }
    const fin = await w.finish(manifest, { sync })
    job.progress.bytes += fin.size
    run.finished.set(backupId, { ...fin, manifest })
  }

  /** Moves a finished temporary file to its final name (the directory is fsynced by the caller). */
  private async renameInto(run: ExportRun, t: TenantRef): Promise<void> {
    await rename(run.temp(t), run.dest(t))
    run.renamed(t)
  }

  /** Re-reads the written file: magic, manifest, every part's and the whole file's sha256, and pg_restore --list. */
  private async verifyWritten(
    run: ExportRun,
    t: TenantRef,
    tools: PgTools,
    listOutput: string | null,
    split?: { source: ArchiveInfo; entries: TocEntry[]; schema: string }
  ): Promise<string | null> {
    const fin = run.finished.get(run.backupId(t))
    if (!fin) return 'internal: the file was not finished'
    try {
      const b = await openBackup(run.dest(t))
      await verifyParts(b, fin.sha256)
      if (split) {
        const p = b.part(SCHEMA_PART)
        const mine = await readArchive(run.dest(t), { start: p.offset, length: p.length })
        checkSplit(mine, split.source, split.entries, split.schema, b.manifest.schemaTables.map((t) => t.table))
      } else if (listOutput === null) await this.listCheck(b, tools)
      else checkListOutput(listOutput, b)
      return null
    } catch (e) {
      return e instanceof BackupFileError || e instanceof AppError ? e.message : toAppError(e).message
    }
  }

  /** One catalog update for many files. */
  private async recordSucceeded(run: ExportRun, written: WrittenFile[]): Promise<void> {
    const all = written.map((w) => ({ ...w, fin: run.finished.get(w.id)! }))
    // A file that fails its verification is not a backup: it is removed, the row says why.
    for (const r of all.filter((x) => x.err)) {
      await rm(run.dest(r.t), { force: true }).catch(() => {})
      await catalog.markEnded(this.db, [r.id], 'failed', `Verification after writing failed: ${r.err}`)
      run.fail(r.t, `Verification after writing failed: ${r.err}`)
    }
    const rows = all.filter((x) => !x.err)
    await catalog.markSucceededMany(
      this.db,
      rows.map((r) => ({
        id: r.id,
        size: r.fin.size,
        sha256: r.fin.sha256,
        pgDumpVersion: r.fin.manifest.versions.pgDump,
        serverVersion: r.fin.manifest.versions.server,
        manifest: r.fin.manifest,
        verified: !r.err,
        verifyError: r.err
      }))
    )
    for (const r of rows) run.succeed(r.t)
  }

  /** Records every failure in the catalog and answers each tenant's outcome. */
  private async finishOutcomes(run: ExportRun, cancelled = false): Promise<ExportOutcome[]> {
    for (const o of run.failures()) {
      await catalog.markEnded(this.db, [o.backupId], cancelled ? 'cancelled' : 'failed', o.error ?? 'failed').catch((e) => log.warn('catalog update failed', e))
    }
    return run.results()
  }

  /** `pg_restore --list` must read the archive and show every table of the manifest, with its data. */
  private async listCheck(b: OpenedBackup, tools: PgTools): Promise<void> {
    const archVer = b.manifest.versions.pgDump
    const m = /^(\d+)/.exec(archVer)
    if (m && Number(m[1]) > tools.pgRestore.major) {
      throw new AppError('TOOL_MISSING', `The backup was written by pg_dump ${archVer}; pg_restore ${tools.pgRestore.version} cannot read it. Install PostgreSQL ${m[1]} client tools.`)
    }
    const run = startList(tools)
    const input = partStream(b, SCHEMA_PART)
    input.on('error', () => run.end())
    for await (const chunk of input as AsyncIterable<Buffer>) run.feed(chunk)
    run.end()
    checkListOutput(await run.done, b)
  }

  // ---------------------------------------------------------------- verify

  async verify(backupId: string, deep: boolean): Promise<VerifyResult> {
    await this.requireCatalog()
    const row = await catalog.getRow(this.db, backupId)
    if (!row) throw new AppError('NOT_FOUND', 'That backup is not in the catalog.')
    if (row.status !== 'succeeded') throw new AppError('CONFLICT', `That backup ${row.status === 'running' ? 'is still running' : `${row.status}`}; there is no file to verify.`)
    const level = deep ? 'deep' : 'quick'
    try {
      // A deep verification restores the whole tenant: a job with progress and a cancel.
      const r = deep
        ? await this.runJob(
            'verify',
            { tenantSlug: row.tenant_slug },
            (job) => this.verifyFile(row.file_path, { deep, expectedSha256: row.sha256, job }),
            'The deep verification was cancelled; nothing was recorded.'
          )
        : await this.verifyFile(row.file_path, { deep, expectedSha256: row.sha256 })
      await catalog.markVerified(this.db, backupId, level, null)
      return { backupId, ok: true, level, message: r.message, tables: r.tables }
    } catch (e) {
      const msg = e instanceof BackupFileError ? e.message : toAppError(e).message
      if (e instanceof AppError && (e.code === 'DB_UNAVAILABLE' || e.code === 'FORBIDDEN' || e.code === 'TOOL_MISSING' || e.code === 'CANCELLED')) throw e
      await catalog.markVerified(this.db, backupId, level, msg)
      return { backupId, ok: false, level, message: msg, tables: [] }
    }
  }

  /** Quick: checksums + pg_restore --list. Deep: also restores into a scratch schema in a rolled-back transaction. */
  async verifyFile(path: string, opts: { deep: boolean; expectedSha256?: string | null; job?: Job }): Promise<{ message: string; tables: VerifyResult['tables'] }> {
    const tools = await this.tools()
    const b = await openChosenBackup(path)
    try {
      await verifyParts(b, opts.expectedSha256)
      await this.listCheck(b, tools)
    } catch (e) {
      throw e instanceof BackupFileError ? backupFileRefusal(e) : e
    }
    checkBackupScope(b)
    const quickTables = b.manifest.schemaTables.map((t) => ({ table: t.table, expected: t.rows, found: null }))
    if (!opts.deep) return { message: `Checksums match and pg_restore reads all ${b.manifest.schemaTables.length} tables.`, tables: quickTables }
    const job = opts.job
    const r = await restoreBackup(this.restoreDeps(tools), b, { mode: 'scratch', signal: job?.abort.signal, onProgress: job && ((p) => this.showRestoreProgress(job, p)) })
    return {
      message: `Restored into a scratch schema: ${r.tables} tables and ${r.rows} rows match the manifest; the scratch schema was dropped.`,
      tables: r.counts
    }
  }

  // ---------------------------------------------------------------- restore

  private showRestoreProgress(job: Job, p: RestoreProgress): void {
    job.progress.phase = p.phase
    job.progress.tablesDone = p.tablesDone
    job.progress.tablesTotal = p.tablesTotal
    job.progress.bytes = p.bytes
    this.emit(job)
  }

  private restoreDeps(tools: PgTools) {
    return { target: this.target(), tools, lockWaitMs: this.lockWaitMs, session: this.session }
  }

  /** Restore (admins). Same tenant: safety backup first. Copy: a new tenant with a new slug. */
  async restore(input: { backupId: string | null; mode: 'same' | 'copy'; newSlug?: string; newName?: string }): Promise<RestoreResult> {
    await this.requireCatalog()
    let path: string
    let expected: string | null = null
    if (input.backupId) {
      const row = await catalog.getRow(this.db, input.backupId)
      if (!row) throw new AppError('NOT_FOUND', 'That backup is not in the catalog.')
      if (row.status !== 'succeeded') throw new AppError('CONFLICT', 'That backup did not finish; it cannot be restored.')
      path = row.file_path
      expected = row.sha256
    } else {
      if (!this.platform.openFileDialog) throw new AppError('UNSUPPORTED', 'The open dialog is not available here.')
      const p = await this.platform.openFileDialog({ title: 'Restore a tenant backup', defaultPath: this.opts.backupsDir, filters: [{ name: 'nChat Console backup', extensions: [FILE_EXTENSION] }] })
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
    return this.runJob('restore', { tenantSlug: opts.mode === 'copy' ? opts.newSlug ?? null : null }, (job) => this.runRestore(job, path, opts), 'The restore was cancelled; nothing was changed.')
  }

  private async runRestore(job: Job, path: string, opts: RestoreFileOptions): Promise<RestoreResult> {
    const signal = job.abort.signal
    const stopIfCancelled = () => {
      if (signal.aborted) throw new AppError('CANCELLED', 'The restore was cancelled; nothing was changed.')
    }
    const tools = await this.tools()
    // 1. Everything about the file is checked before anything is touched.
    let b: OpenedBackup
    try {
      b = await openChosenBackup(path)
      stopIfCancelled()
      await verifyParts(b, opts.expectedSha256)
      stopIfCancelled()
      await this.listCheck(b, tools)
      checkBackupScope(b)
    } catch (e) {
      if (e instanceof AppError) throw e
      if (e instanceof BackupFileError) throw backupFileRefusal(e, 'Nothing was changed: ')
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `The file ${basename(path)} is no longer at ${dirname(path)}.`)
      throw e
    }
    const facts = await this.session.get()
    if (serverMajor(b.manifest.versions.serverVersionNum) > serverMajor(facts.serverVersionNum)) {
      throw new AppError(
        'UNSUPPORTED',
        `Nothing was changed: the backup comes from PostgreSQL ${b.manifest.versions.server}, newer than this server (${facts.serverVersion}); restoring into an older server is not supported.`
      )
    }
    if (opts.mode === 'same') job.progress.tenantSlug = b.manifest.tenant.slug
    this.emit(job, true)
    stopIfCancelled()
    // 2. Same tenant: a safety backup of its current state first (within this job, so a
    //    cancel stops it too).
    let safetyBackupId: string | null = null
    const mode: RestoreMode = opts.mode
    if (mode === 'same') {
      const [cur] = await resolveTenants(this.db as unknown as pg.ClientBase, [b.manifest.tenant.id])
      if (cur?.schema) {
        job.progress.phase = 'safety-backup'
        this.emit(job, true)
        const dir = opts.safetyDir ?? join(this.opts.backupsDir, 'safety')
        await mkdir(dir, { recursive: true }).catch(() => {})
        job.pinnedPhase = 'safety-backup'
        const [outcome] = await this.exportTenants([cur], { kind: 'safety', batchId: null, destFor: () => join(dir, defaultFileName(cur.slug)) }, job).finally(() => {
          job.pinnedPhase = undefined
        })
        stopIfCancelled()
        if (!outcome?.ok) throw new AppError('INTERNAL', `Nothing was changed: the safety backup of the current state failed (${outcome?.error ?? 'no outcome'}).`)
        safetyBackupId = outcome.backupId
      }
    }
    const t = this.target()
    job.progress.phase = 'restoring'
    job.progress.tablesDone = 0
    job.progress.tablesTotal = b.manifest.schemaTables.length
    job.progress.bytes = 0
    this.emit(job, true)
    const r = await restoreBackup(this.restoreDeps(tools), b, {
      signal,
      onProgress: (p) => this.showRestoreProgress(job, p),
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

async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  try {
    const fh = await open(dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch {
    /* some filesystems refuse directory fsync */
  }
}

export interface ListRun {
  feed(b: Buffer): void
  end(): void
  /** pg_restore --list output; rejects (BackupFileError) when it cannot read the archive. */
  done: Promise<string>
}

/** Starts `pg_restore --list` reading an archive from stdin (it may stop reading once it has the TOC). */
function startList(tools: PgTools): ListRun {
  const run = runTool(tools.pgRestore.path, ['--list'], { ...process.env, PGPASSFILE: join(tmpdir(), 'nchat-no-passfile') }, { stdin: 'pipe' })
  let out = ''
  run.child.stdout!.setEncoding('utf8')
  run.child.stdout!.on('data', (x: string) => (out += x))
  const stdin = run.child.stdin!
  stdin.on('error', () => {})
  let open = true
  const done = run.done.then((res) => {
    open = false
    if (res.code !== 0) throw new BackupFileError(`pg_restore cannot read the schema archive: ${describeToolFailure('pg_restore', res)}`, 'damaged')
    return out
  })
  done.catch(() => {})
  return {
    feed: (b) => {
      if (open && !stdin.destroyed && stdin.writable) stdin.write(b)
    },
    end: () => {
      if (!stdin.destroyed) stdin.end()
    },
    done
  }
}

/** The list must show every table of the manifest, with its data. */
function checkListOutput(out: string, b: OpenedBackup): void {
  new ListIndex(out).check(b.manifest.tenant.schemaAsStored ?? b.manifest.tenant.schema, b.manifest.schemaTables.map((t) => t.table))
}

/**
 * `pg_restore --list` output, indexed once: for every TABLE and TABLE DATA line, each
 * space-ended prefix of "<schema> <table> <owner>", so a check is a set lookup even on a
 * batch listing of thousands of lines (names may hold spaces; the prefixes cover that).
 */
class ListIndex {
  private tables = new Set<string>()
  private data = new Set<string>()

  constructor(out: string) {
    for (const l of out.split('\n')) {
      if (l.startsWith(';')) continue
      let set = this.data
      let at = l.indexOf(' TABLE DATA ')
      let rest = at >= 0 ? l.slice(at + 12) : ''
      if (at < 0) {
        set = this.tables
        at = l.indexOf(' TABLE ')
        if (at < 0) continue
        rest = l.slice(at + 7)
      }
      for (let i = rest.indexOf(' '); i >= 0; i = rest.indexOf(' ', i + 1)) set.add(rest.slice(0, i + 1))
    }
  }

  /** Throws when a table of the schema, or its data, is not listed. */
  check(schema: string, tableNames: string[]): void {
    const missing = tableNames.filter((t) => !this.tables.has(`${schema} ${t} `) || !this.data.has(`${schema} ${t} `))
    if (missing.length) {
      throw new BackupFileError(`The schema archive lacks ${missing.length} expected table(s): ${missing.slice(0, 5).join(', ')}.`, 'damaged')
    }
  }
}

/** Runs at most n tasks at a time. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const queue: (() => void)[] = []
  return (task) =>
    new Promise((resolve, reject) => {
      const start = () => {
        active++
        task()
          .then(resolve, reject)
          .finally(() => {
            active--
            queue.shift()?.()
          })
      }
      if (active < n) start()
      else queue.push(start)
    })
}
