/**
 * Export: the backup files themselves. A snapshot session exports its snapshot; pg_dump
 * -Fc --snapshot dumps the tenant schema(s) selected by exact, quoted names with
 * --strict-names while the same snapshot gives the public rows, row counts and sequence
 * values. One tenant: pg_dump's stdout streams into the backup file. Many tenants (a
 * batch chunk): one pg_dump run writes a shared archive, which is split into one archive
 * per tenant while it is written (see pgarchive.ts). Every file is written to a temporary
 * name beside its destination, fsynced, renamed, then verified, and recorded in
 * console.backup_catalog.
 */
import { randomUUID } from 'node:crypto'
import { basename, dirname, extname, join } from 'node:path'
import { closeSync, openSync, readSync } from 'node:fs'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import type pg from 'pg'
import type { BackupRecord, JobStarted } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import { isProtectedSchema } from '../core/ident'
import { log } from '../core/logger'
import * as catalog from './catalog'
import { BackupFileError, ContainerWriter, FILE_EXTENSION, FORMAT_VERSION, openBackup, verifyParts, type BackupManifest } from './container'
import type { BackupEnv } from './env'
import { ExportRun, type BatchFollow, type CommonMeta, type ExportOutcome, type ExportPlan, type PublicRows, type WrittenFile } from './export-run'
import { defaultFileName, fsMessage, fsyncDir, limiter } from './files'
import type { Job, JobRunner } from './jobs'
import { PUBLIC_PART, SCHEMA_PART } from './parts'
import { exportRowsOnly } from './export-rows-only'
import { writeFailureFor } from './fault-words'
import { ArchiveFormatError, checkSplit, entriesBySchema, expectsData, followArchive, readArchive, writeSchemaArchive, type ArchiveInfo, type TocEntry } from './pgarchive'
import { describeToolFailure, pgEnv, runTool, type RunningTool } from './pgproc'
import { SnapshotSession, resolveTenants, type SchemaFacts, type TenantRef } from './snapshot'
import type { PgTools } from './tools'
import { trace } from './trace'
import { ListIndex, checkListOutput, listCheck, startList, type ListRun } from './verify'

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

export class Exporter {
  constructor(
    readonly env: BackupEnv,
    readonly jobs: JobRunner
  ) {}

  /** One tenant, destination from the native save dialog. Null when the dialog was closed. */
  async startExport(tenantId: string): Promise<JobStarted> {
    this.jobs.assertNotHeld()
    await this.env.requireRunners()
    const [t] = await resolveTenants(this.env.db as unknown as pg.ClientBase, [tenantId])
    if (!t) throw new AppError('NOT_FOUND', 'That tenant no longer exists.')
    await this.env.tools()
    if (!this.env.platform.saveDialog) throw new AppError('UNSUPPORTED', 'The save dialog is not available here.')
    const chosen = await this.env.platform.saveDialog({
      title: `Back up ${t.slug}`,
      defaultPath: join(this.env.opts.backupsDir, defaultFileName(t.slug)),
      filters: [{ name: 'nChat Console backup', extensions: [FILE_EXTENSION] }]
    })
    if (!chosen) return null
    const dest = extname(chosen) ? chosen : `${chosen}.${FILE_EXTENSION}`
    const job = this.jobs.startJob('export', { tenantSlug: t.slug, tenantsTotal: 1 }, async (job) => {
      const [out] = await this.exportTenants([t], { kind: 'export', batchId: null, destFor: () => dest }, job)
      if (!out?.ok) throw new AppError(job.abort.signal.aborted ? 'CANCELLED' : 'INTERNAL', out?.error ?? 'The backup failed.')
    })
    return { jobId: job.id, batchId: null }
  }

  /** A backup with no dialog, for other services (tenant lifecycle before a hard delete). */
  async backupTenantNow(tenantId: string, opts: { dir?: string } = {}): Promise<BackupRecord> {
    const [t] = await resolveTenants(this.env.db as unknown as pg.ClientBase, [tenantId])
    if (!t) throw new AppError('NOT_FOUND', 'That tenant no longer exists.')
    return this.backupRefNow(t, opts)
  }
  /** backupTenantNow for a resolved tenant, or a schema no tenant row names (an orphan, before it is dropped). */
  async backupRefNow(t: TenantRef, opts: { dir?: string } = {}): Promise<BackupRecord> {
    await this.env.requireRunners()
    const dir = opts.dir ?? this.env.opts.backupsDir
    await mkdir(dir, { recursive: true }).catch(() => {})
    let outcome: ExportOutcome | undefined
    const job = this.jobs.startJob('export', { tenantSlug: t.slug, tenantsTotal: 1 }, async (job) => {
      ;[outcome] = await this.exportTenants([t], { kind: 'export', batchId: null, destFor: () => join(dir, defaultFileName(t.slug)) }, job)
    })
    await job.done
    if (!outcome?.ok) throw new AppError('INTERNAL', outcome?.error ?? job.progress.message ?? 'The backup failed.')
    const row = await catalog.getRow(this.env.db, outcome.backupId)
    return catalog.toRecord(row!)
  }

  /**
   * Backs up tenants with one snapshot and one pg_dump run. Never throws for a tenant's
   * failure: each tenant gets an outcome and a catalog row.
   */
  async exportTenants(tenants: TenantRef[], plan: ExportPlan, job: Job): Promise<ExportOutcome[]> {
    await this.env.requireRunners()
    const target = this.env.target()
    const tools = await this.env.tools()
    const signal = job.abort.signal
    const run = new ExportRun(tenants, plan)

    await catalog.insertRunning(
      this.env.db,
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
      await this.jobs.presence.hold()
    )
    for (const t of tenants) job.catalogIds.add(run.backupId(t))

    // Tenants that cannot be dumped at all.
    const ok: TenantRef[] = []
    // A single backup of a tenant whose schema is missing keeps its public rows (rows-only.ts);
    // in a batch a missing schema is a failure to report.
    const rowsOnly: TenantRef[] = []
    for (const t of tenants) {
      if (!t.schema && plan.kind !== 'batch') rowsOnly.push(t)
      else if (!t.schema) {
        run.fail(t, `The tenant's schema ${t.schemaName} does not exist, so there is nothing to dump. Back this tenant up on its own to keep its public rows (a backup without a schema).`)
      }
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
      if (rowsOnly.length) await exportRowsOnly(this, run, rowsOnly, tools, job)
      if (!ok.length) return this.finishOutcomes(run)
      this.jobs.setPhase(job, 'snapshot')
      job.progress.tenantSlug = ok[0]!.slug
      this.jobs.emit(job, true)
      const started = nowIso()
      let tt = performance.now()
      snap = await SnapshotSession.open(target.pg, this.env.lockWaitMs)
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
        `--lock-wait-timeout=${this.env.lockWaitMs}`,
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
      this.jobs.setPhase(job, 'dumping')
      job.progress.tablesDone = 0
      job.progress.tablesTotal = 0
      this.jobs.emit(job, true)
      dump = runTool(tools.pgDump.path, args, env.env, {
        onStderrLine: (line) => {
          if (/dumping contents of table/.test(line)) {
            job.progress.tablesDone++
            this.jobs.emit(job)
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
          this.jobs.emit(job)
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
        this.jobs.setPhase(job, 'splitting')
        this.jobs.emit(job, true)
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
      this.jobs.setPhase(job, 'verifying')
      this.jobs.emit(job)
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

  /** Writes a tenant's public rows and manifest after its schema part, and closes the file. @internal (export-rows-only.ts) */
  async finishFile(
    run: ExportRun,
    t: TenantRef,
    w: ContainerWriter,
    src: { facts: SchemaFacts; pub: PublicRows; archiveVersion: string | null; common: CommonMeta; schemaMissing?: boolean },
    job: Job,
    sync = true
  ): Promise<void> {
    const { facts, pub, archiveVersion, common } = src
    const backupId = run.backupId(t)
    this.jobs.setPhase(job, 'writing')
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
    const target = this.env.target()
    const manifest: BackupManifest = {
      format: 'nchat-console-tenant-backup',
      formatVersion: FORMAT_VERSION,
      backupId,
      batchId: run.plan.batchId,
      tenant: { id: t.id, slug: t.slug, name: t.name, schema: t.schemaName, schemaAsStored: t.schema },
      versions: {
        console: this.env.opts.consoleVersion,
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
      schemaMissing: src.schemaMissing === true,
      parts: w.parts
    }
    const fin = await w.finish(manifest, { sync })
    job.progress.bytes += fin.size
    run.finished.set(backupId, { ...fin, manifest })
  }

  /** Moves a finished temporary file to its final name (the directory is fsynced by the caller). @internal (export-rows-only.ts) */
  async renameInto(run: ExportRun, t: TenantRef): Promise<void> {
    await rename(run.temp(t), run.dest(t))
    run.renamed(t)
  }

  /** Re-reads the written file: magic, manifest, every part's and the whole file's sha256, and pg_restore --list. */
  /** @internal (export-rows-only.ts) */
  async verifyWritten(
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
      } else if (listOutput === null) await listCheck(b, tools)
      else checkListOutput(listOutput, b)
      return null
    } catch (e) {
      return e instanceof BackupFileError || e instanceof AppError ? e.message : toAppError(e).message
    }
  }

  /** One catalog update for many files. */
  /** @internal (export-rows-only.ts) */
  async recordSucceeded(run: ExportRun, written: WrittenFile[]): Promise<void> {
    const all = written.map((w) => ({ ...w, fin: run.finished.get(w.id)! }))
    // A file that fails its verification is not a backup: it is removed, the row says why.
    for (const r of all.filter((x) => x.err)) {
      await rm(run.dest(r.t), { force: true }).catch(() => {})
      await catalog.markEnded(this.env.db, [r.id], 'failed', `Verification after writing failed: ${r.err}`)
      run.fail(r.t, `Verification after writing failed: ${r.err}`)
    }
    const rows = all.filter((x) => !x.err)
    await catalog.markSucceededMany(
      this.env.db,
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
      await catalog.markEnded(this.env.db, [o.backupId], cancelled ? 'cancelled' : 'failed', o.error ?? 'failed').catch((e) => log.warn('catalog update failed', e))
    }
    return run.results()
  }
}
