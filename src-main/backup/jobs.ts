/**
 * The backup job runner: starts jobs, reports their progress to the renderer (throttled),
 * cancels them, holds new ones off while the connection changes, and keeps this console's
 * runner lock (RunnerPresence) while any job runs. Knows nothing of what a job does.
 */
import { randomUUID } from 'node:crypto'
import { describeJob, type BackupPhase, type BackupProgress, type JobKind } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import { log } from '../core/logger'
import type { BackupEnv } from './env'
import type { RestoreProgress } from './restore'
import { RunnerPresence } from './runner'

export interface Job {
  id: string
  kind: JobKind
  abort: AbortController
  progress: BackupProgress
  catalogIds: Set<string>
  done: Promise<void>
  /** Shown instead of the export's own phases (a restore's safety backup). */
  pinnedPhase?: BackupPhase
}

const nowIso = () => new Date().toISOString()

export class JobRunner {
  private readonly jobs = new Map<string, Job>()
  readonly presence: RunnerPresence

  constructor(private readonly env: BackupEnv) {
    this.presence = new RunnerPresence(() => env.target(), env.opts.runnerHeartbeatMs)
  }

  activeJobs(): BackupProgress[] {
    return [...this.jobs.values()].map((j) => ({ ...j.progress }))
  }

  startJob(kind: JobKind, init: Partial<BackupProgress>, run: (job: Job) => Promise<void>): Job {
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
        if (Date.now() - started >= (this.env.opts.notifyAfterMs ?? 15_000)) this.notifyEnd(job)
      }
    })()
    return job
  }

  /**
   * Runs work as a job (progress events, cancellable) and answers with its result; a
   * cancelled job fails with CANCELLED (`cancelled` is the message when the work itself
   * did not say).
   */
  async runJob<T>(kind: JobKind, init: Partial<BackupProgress>, work: (job: Job) => Promise<T>, cancelled: string): Promise<T> {
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
  closePresenceIfIdle(): void {
    if (!this.jobs.size) this.presence.release()
  }

  setPhase(job: Job, phase: BackupPhase): void {
    job.progress.phase = job.pinnedPhase ?? phase
  }

  private lastEmit = new Map<string, number>()
  private trailingEmit = new Map<string, NodeJS.Timeout>()
  /**
   * Progress events, at most one per job every 150 ms; a throttled update is sent when the
   * window ends, so the renderer always ends up with the latest state.
   */
  emit(job: Job, force = false): void {
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
      this.env.platform.emit('backups:progress', { ...job.progress })
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
      this.env.platform.notify?.({ title: `${describeJob(p)} ${p.status === 'succeeded' ? 'finished' : p.status}`, body })
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

  assertNotHeld(): void {
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

  /** Batches a job of this console runs now. */
  activeBatchIds(): Set<string> {
    return new Set([...this.jobs.values()].map((j) => j.progress.batchId).filter((x): x is string => Boolean(x)))
  }

  /** A restore's (or deep verification's) progress shown on its job. */
  showRestoreProgress(job: Job, p: RestoreProgress): void {
    job.progress.phase = p.phase
    job.progress.tablesDone = p.tablesDone
    job.progress.tablesTotal = p.tablesTotal
    job.progress.bytes = p.bytes
    this.emit(job)
  }
}
