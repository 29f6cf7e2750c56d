import { randomUUID } from 'node:crypto'
import type { BackupManifest } from './container'
import type { ArchiveInfo } from './pgarchive'
import type { SnapshotSession, TenantRef } from './snapshot'

export interface ExportOutcome {
  tenantId: string
  backupId: string
  ok: boolean
  filePath: string
  error: string | null
}

export interface ExportPlan {
  kind: 'export' | 'batch' | 'safety'
  batchId: string | null
  /** The final file name of a tenant's backup. */
  destFor: (t: TenantRef) => string
}

/** A file renamed to its final name, waiting for the catalog; `err` is its verification failure. */
export interface WrittenFile {
  t: TenantRef
  id: string
  err: string | null
}

/** What writing a file established: its checksums and manifest. */
export interface FinishedFile {
  sha256: string
  size: number
  manifestSha256: string
  manifest: BackupManifest
}

/**
 * The state of one export (one snapshot, one pg_dump run): for each tenant its backup id,
 * temporary and final file, and outcome. Every tenant ends with exactly one outcome.
 */
export class ExportRun {
  private readonly ids: Map<string, string>
  private readonly dests: Map<string, string>
  private readonly temps = new Map<string, string>()
  private readonly outcomes = new Map<string, ExportOutcome>()
  /** Files under their final name, in the order they got it. */
  readonly written: WrittenFile[] = []
  /** Background work per batch file (write, fsync, rename, verify). */
  readonly pending: Promise<void>[] = []
  /** Finished files by backup id, until they are recorded. */
  readonly finished = new Map<string, FinishedFile>()

  constructor(
    readonly tenants: TenantRef[],
    readonly plan: ExportPlan
  ) {
    this.ids = new Map(tenants.map((t) => [t.id, randomUUID()]))
    this.dests = new Map(tenants.map((t) => [t.id, plan.destFor(t)]))
  }

  backupId(t: TenantRef): string {
    return this.ids.get(t.id)!
  }
  dest(t: TenantRef): string {
    return this.dests.get(t.id)!
  }
  temp(t: TenantRef): string {
    return this.temps.get(t.id)!
  }
  setTemp(t: TenantRef, path: string): void {
    this.temps.set(t.id, path)
  }
  /** The file was renamed to its final name: no temporary file to remove any more. */
  renamed(t: TenantRef): void {
    this.temps.delete(t.id)
  }
  /** Temporary files still on disk (removed when the run ends). */
  tempFiles(): string[] {
    return [...this.temps.values()]
  }

  hasOutcome(t: TenantRef): boolean {
    return this.outcomes.has(t.id)
  }
  fail(t: TenantRef, error: string): void {
    this.outcomes.set(t.id, { tenantId: t.id, backupId: this.backupId(t), ok: false, filePath: this.dest(t), error })
  }
  succeed(t: TenantRef): void {
    this.outcomes.set(t.id, { tenantId: t.id, backupId: this.backupId(t), ok: true, filePath: this.dest(t), error: null })
  }
  failures(): ExportOutcome[] {
    return [...this.outcomes.values()].filter((o) => !o.ok)
  }
  /** Every tenant's outcome, in the order given. */
  results(): ExportOutcome[] {
    return this.tenants.map((t) => this.outcomes.get(t.id) ?? { tenantId: t.id, backupId: this.backupId(t), ok: false, filePath: this.dest(t), error: 'not run' })
  }
}

/** Facts shared by every file of one export run (one snapshot, one pg_dump). */
export interface CommonMeta {
  startedAt: string
  /** Null for a backup without a schema (pg_dump did not run). */
  pgDump: string | null
  server: string
  serverVersionNum: number
  dbRole: string
  snapshotId: string
  takenAt: string
}

/** The public rows of a run's tenants, read from its snapshot. */
export type PublicRows = Awaited<ReturnType<SnapshotSession['publicRows']>>

/** A batch archive being followed while pg_dump writes it (see followBatch). */
export interface BatchFollow {
  /** Resolves when pg_dump has exited and the whole archive was read. */
  done: Promise<ArchiveInfo>
  /** pg_restore --list of the archive's table of contents. */
  listed: Promise<string>
  /** Tenants whose file was scheduled. */
  scheduled: Set<string>
  stop(): void
  close(): void
}
