/**
 * The export of tenants whose schema is missing (single backups only): their public rows
 * alone, read in a snapshot of their own, with `schemaMissing: true` in the manifest
 * (rows-only.ts says why and how such a file is verified and restored). The file steps
 * (write the public part and manifest, rename, verify, record) are the exporter's.
 */
import { randomUUID } from 'node:crypto'
import { open } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { BackupEnv } from './env'
import { ContainerWriter } from './container'
import type { CommonMeta, ExportRun, PublicRows } from './export-run'
import { fsMessage, fsyncDir } from './files'
import type { Job, JobRunner } from './jobs'
import { SnapshotSession, type SchemaFacts, type TenantRef } from './snapshot'
import type { PgTools } from './tools'

const nowIso = () => new Date().toISOString()

/** What this needs of the exporter (export.ts). */
export interface FileSteps {
  env: BackupEnv
  jobs: JobRunner
  finishFile(
    run: ExportRun,
    t: TenantRef,
    w: ContainerWriter,
    src: { facts: SchemaFacts; pub: PublicRows; archiveVersion: string | null; common: CommonMeta; schemaMissing?: boolean },
    job: Job
  ): Promise<void>
  renameInto(run: ExportRun, t: TenantRef): Promise<void>
  verifyWritten(run: ExportRun, t: TenantRef, tools: PgTools, listOutput: string | null): Promise<string | null>
  recordSucceeded(run: ExportRun, written: { t: TenantRef; id: string; err: string | null }[]): Promise<void>
}

export async function exportRowsOnly(ex: FileSteps, run: ExportRun, tenants: TenantRef[], tools: PgTools, job: Job): Promise<void> {
  ex.jobs.setPhase(job, 'snapshot')
  job.progress.tenantSlug = tenants[0]!.slug
  ex.jobs.emit(job, true)
  const startedAt = nowIso()
  const snap = await SnapshotSession.open(ex.env.target().pg, ex.env.lockWaitMs)
  let pub: PublicRows
  let common: CommonMeta
  try {
    await snap.checkReadable([])
    const present = await snap.existingSchemas(tenants.map((t) => t.schemaName))
    for (const t of tenants) if (present.includes(t.schemaName) || present.includes(t.schemaName.toLowerCase())) run.fail(t, `The tenant's schema ${t.schemaName} exists now (it was created while the backup started): back the tenant up again.`)
    pub = await snap.publicRows(tenants.map((t) => t.id))
    common = { startedAt, pgDump: null, server: snap.serverVersion, serverVersionNum: snap.serverVersionNum, dbRole: snap.dbRole, snapshotId: snap.snapshotId, takenAt: snap.takenAt }
    await snap.close()
  } catch (e) {
    await snap.abort()
    throw e
  }
  for (const t of tenants.filter((x) => !run.hasOutcome(x))) {
    const dest = run.dest(t)
    const tmp = join(dirname(dest), `.${basename(dest)}.${randomUUID().slice(0, 8)}.partial`)
    let fh: Awaited<ReturnType<typeof open>>
    try {
      fh = await open(tmp, 'wx', 0o600)
    } catch (e) {
      run.fail(t, fsMessage(e, dirname(dest)))
      continue
    }
    run.setTemp(t, tmp)
    try {
      const w = new ContainerWriter(fh)
      await w.writeHeader()
      await ex.finishFile(run, t, w, { facts: { tables: [], sequences: [] }, pub, archiveVersion: null, common, schemaMissing: true }, job)
    } finally {
      await fh.close()
    }
    await ex.renameInto(run, t)
    await fsyncDir(dirname(dest))
    await ex.recordSucceeded(run, [{ t, id: run.backupId(t), err: await ex.verifyWritten(run, t, tools, null) }])
  }
}
