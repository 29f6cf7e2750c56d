/**
 * Batches: many tenants backed up into one folder, in pg_dump runs of bounded size
 * (chunks), recorded in console.backup_batches so that a batch can be resumed (tenants
 * with a verified backup from it are skipped) and is claimed by one console at a time.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import type pg from 'pg'
import type { BatchSummary, JobStarted } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import * as catalog from './catalog'
import type { BackupEnv } from './env'
import type { Exporter } from './export'
import { defaultFileName } from './files'
import type { Job, JobRunner } from './jobs'
import { resolveTenants, type TenantRef } from './snapshot'

const nowIso = () => new Date().toISOString()

export class Batches {
  private readonly maxRelationsPerRun: number
  private readonly maxSchemasPerRun: number

  constructor(
    private readonly env: BackupEnv,
    private readonly jobs: JobRunner,
    private readonly exporter: Exporter
  ) {
    this.maxRelationsPerRun = env.opts.maxRelationsPerRun ?? 4000
    this.maxSchemasPerRun = env.opts.maxSchemasPerRun ?? 250
  }

  async batches(limit = 20): Promise<BatchSummary[]> {
    const { runners } = await this.env.requireCatalog()
    if (runners) await catalog.sweepInterrupted(this.env.db)
    const rows = await catalog.listBatches(this.env.db, limit, runners)
    const active = this.jobs.activeBatchIds()
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

  /** Many tenants (all, or a selection) into a folder from the native folder dialog. */
  async startBatch(input: { all: true } | { tenantIds: string[] }): Promise<JobStarted> {
    await this.env.requireRunners()
    const ids = 'all' in input ? 'all' : input.tenantIds
    const tenants = await resolveTenants(this.env.db as unknown as pg.ClientBase, ids)
    if (!tenants.length) throw new AppError('NOT_FOUND', 'None of those tenants exist.')
    await this.env.tools()
    if (!this.env.platform.chooseFolder) throw new AppError('UNSUPPORTED', 'The folder dialog is not available here.')
    const dir = await this.env.platform.chooseFolder({ title: `Back up ${tenants.length} tenants into…`, defaultPath: this.env.opts.backupsDir })
    if (!dir) return null
    return this.startBatchInto(tenants.map((t) => t.id), dir)
  }

  /** Creates the batch record and runs it (also used directly by tests and tools). */
  async startBatchInto(tenantIds: string[], dir: string): Promise<{ jobId: string; batchId: string }> {
    this.jobs.assertNotHeld()
    await this.env.requireRunners()
    const t = this.env.target()
    const batchId = randomUUID()
    try {
      const runner = await this.jobs.presence.hold()
      await catalog.createBatch(this.env.db, { id: batchId, directory: dir, tenantIds, operatorName: t.operator.name, operatorEmail: t.operator.email, runner })
    } catch (e) {
      this.jobs.closePresenceIfIdle()
      throw e
    }
    const job = this.runBatch(batchId, tenantIds.length)
    return { jobId: job.id, batchId }
  }

  /** Resumes a batch: tenants with a verified backup from it are skipped. */
  async resumeBatch(batchId: string): Promise<{ jobId: string; batchId: string }> {
    this.jobs.assertNotHeld()
    await this.env.requireRunners()
    const b = await catalog.getBatch(this.env.db, batchId)
    if (!b) throw new AppError('NOT_FOUND', 'That batch is not in the catalog.')
    if (this.jobs.activeBatchIds().has(batchId)) throw new AppError('CONFLICT', 'That batch is running now.')
    await this.env.tools()
    try {
      // One statement claims the batch: two consoles resuming at once cannot both win.
      const runner = await this.jobs.presence.hold()
      if (!(await catalog.claimBatch(this.env.db, batchId, runner))) throw new AppError('CONFLICT', 'Another console is running that batch now.')
    } catch (e) {
      this.jobs.closePresenceIfIdle()
      throw e
    }
    const job = this.runBatch(batchId, b.tenant_ids.length)
    return { jobId: job.id, batchId }
  }

  /** Runs a batch this console has claimed (created, or resumed). */
  private runBatch(batchId: string, tenantsTotal: number): Job {
    return this.jobs.startJob('batch', { batchId, tenantsTotal }, async (job) => {
      const b = await catalog.getBatch(this.env.db, batchId)
      if (!b) throw new AppError('NOT_FOUND', 'That batch is not in the catalog.')
      await catalog.markStale(this.env.db, batchId, new Set())
      const done = await catalog.finishedInBatch(this.env.db, batchId)
      const all = await resolveTenants(this.env.db as unknown as pg.ClientBase, b.tenant_ids)
      const missing = b.tenant_ids.length - all.length
      const todo = all.filter((t) => !done.has(t.id))
      job.progress.tenantsTotal = b.tenant_ids.length
      job.progress.tenantsDone = done.size
      this.jobs.emit(job, true)
      await mkdir(b.directory, { recursive: true }).catch(() => {})
      let failed = 0
      const failures: { slug: string; error: string }[] = []
      for (const chunk of this.chunks(todo)) {
        if (job.abort.signal.aborted) break
        const outs = await this.exporter.exportTenants(chunk, { kind: 'batch', batchId, destFor: (t) => join(b.directory, defaultFileName(t.slug)) }, job)
        for (const o of outs) {
          if (o.ok) job.progress.tenantsDone++
          else if (!job.abort.signal.aborted) {
            failed++
            failures.push({ slug: chunk.find((t) => t.id === o.tenantId)?.slug ?? o.tenantId, error: o.error ?? 'failed' })
          }
        }
        job.progress.tenantsFailed = failed
        this.jobs.emit(job, true)
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
      await catalog.finishBatch(this.env.db, batchId, status, summary)
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
}
