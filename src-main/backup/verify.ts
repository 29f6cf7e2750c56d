/**
 * Verification: a catalog entry's file checked quickly (checksums and pg_restore --list)
 * or deeply (also restored into a scratch schema in a rolled-back transaction), and the
 * pg_restore --list checks the export uses on every file it writes.
 */
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import type { VerifyResult } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import * as catalog from './catalog'
import { checkBackupScope } from './archive-scope'
import { BackupFileError, isRowsOnly, partStream, verifyParts, type OpenedBackup } from './container'
import { backupFileRefusal, openChosenBackup } from './file-check'
import type { BackupEnv } from './env'
import { SCHEMA_PART } from './parts'
import type { Job, JobRunner } from './jobs'
import { describeToolFailure, runTool } from './pgproc'
import { restoreBackup } from './restore'
import { checkRowsOnlyFile } from './rows-only'
import type { PgTools } from './tools'

export class Verifier {
  constructor(
    private readonly env: BackupEnv,
    private readonly jobs: JobRunner
  ) {}

  async verify(backupId: string, deep: boolean): Promise<VerifyResult> {
    await this.env.requireCatalog()
    const row = await catalog.getRow(this.env.db, backupId)
    if (!row) throw new AppError('NOT_FOUND', 'That backup is not in the catalog.')
    if (row.status !== 'succeeded') throw new AppError('CONFLICT', `That backup ${row.status === 'running' ? 'is still running' : `${row.status}`}; there is no file to verify.`)
    const level = deep ? 'deep' : 'quick'
    try {
      // A deep verification restores the whole tenant: a job with progress and a cancel.
      const r = deep
        ? await this.jobs.runJob(
            'verify',
            { tenantSlug: row.tenant_slug },
            (job) => this.verifyFile(row.file_path, { deep, expectedSha256: row.sha256, job }),
            'The deep verification was cancelled; nothing was recorded.'
          )
        : await this.verifyFile(row.file_path, { deep, expectedSha256: row.sha256 })
      await catalog.markVerified(this.env.db, backupId, level, null)
      return { backupId, ok: true, level, message: r.message, tables: r.tables }
    } catch (e) {
      const msg = e instanceof BackupFileError ? e.message : toAppError(e).message
      if (e instanceof AppError && (e.code === 'DB_UNAVAILABLE' || e.code === 'FORBIDDEN' || e.code === 'TOOL_MISSING' || e.code === 'CANCELLED')) throw e
      await catalog.markVerified(this.env.db, backupId, level, msg)
      return { backupId, ok: false, level, message: msg, tables: [] }
    }
  }

  /** Quick: checksums + pg_restore --list. Deep: also restores into a scratch schema in a rolled-back transaction. */
  async verifyFile(path: string, opts: { deep: boolean; expectedSha256?: string | null; job?: Job }): Promise<{ message: string; tables: VerifyResult['tables'] }> {
    const tools = await this.env.tools()
    const b = await openChosenBackup(path)
    try {
      await verifyParts(b, opts.expectedSha256)
      await listCheck(b, tools)
    } catch (e) {
      throw e instanceof BackupFileError ? backupFileRefusal(e) : e
    }
    checkBackupScope(b)
    if (isRowsOnly(b)) return this.verifyRowsOnly(b, opts)
    const quickTables = b.manifest.schemaTables.map((t) => ({ table: t.table, expected: t.rows, found: null }))
    if (!opts.deep) return { message: `Checksums match and pg_restore reads all ${b.manifest.schemaTables.length} tables.`, tables: quickTables }
    const job = opts.job
    const r = await restoreBackup(this.env.restoreDeps(tools), b, { mode: 'scratch', signal: job?.abort.signal, onProgress: job && ((p) => this.jobs.showRestoreProgress(job, p)) })
    return {
      message: `Restored into a scratch schema: ${r.tables} tables and ${r.rows} rows match the manifest; the scratch schema was dropped.`,
      tables: r.counts
    }
  }

  /** A backup without a schema (rows-only.ts): its public rows, read (quick) or also inserted into scratch tables (deep). */
  private async verifyRowsOnly(b: OpenedBackup, opts: { deep: boolean; job?: Job }): Promise<{ message: string; tables: VerifyResult['tables'] }> {
    const m = b.manifest
    const total = m.publicTables.reduce((n, t) => n + t.rows, 0)
    const none = `This backup holds no schema: the tenant's schema ${m.tenant.schema} was missing when it was backed up.`
    if (!opts.deep) {
      return {
        message: `${none} Checksums match, and its ${total} public rows in ${m.publicTables.length} tables match the manifest.`,
        tables: m.publicTables.map((t) => ({ table: `public.${t.table}`, expected: t.rows, found: null }))
      }
    }
    const job = opts.job
    const r = await restoreBackup(this.env.restoreDeps(await this.env.tools()), b, { mode: 'scratch', signal: job?.abort.signal, onProgress: job && ((p) => this.jobs.showRestoreProgress(job, p)) })
    return { message: `${none} Its ${r.rows} public rows were restored into scratch tables and match the manifest; nothing was kept.`, tables: r.counts }
  }
}

/** `pg_restore --list` must read the archive and show every table of the manifest, with its data. */
export async function listCheck(b: OpenedBackup, tools: PgTools): Promise<void> {
    // A backup without a schema has no archive: its public rows are what there is to read.
    if (isRowsOnly(b)) {
      await checkRowsOnlyFile(b)
      return
    }
    const archVer = b.manifest.versions.pgDump ?? ''
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

export interface ListRun {
  feed(b: Buffer): void
  end(): void
  /** pg_restore --list output; rejects (BackupFileError) when it cannot read the archive. */
  done: Promise<string>
}

/** Starts `pg_restore --list` reading an archive from stdin (it may stop reading once it has the TOC). */
export function startList(tools: PgTools): ListRun {
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
export function checkListOutput(out: string, b: OpenedBackup): void {
  new ListIndex(out).check(b.manifest.tenant.schemaAsStored ?? b.manifest.tenant.schema, b.manifest.schemaTables.map((t) => t.table))
}

/**
 * `pg_restore --list` output, indexed once: for every TABLE and TABLE DATA line, each
 * space-ended prefix of "<schema> <table> <owner>", so a check is a set lookup even on a
 * batch listing of thousands of lines (names may hold spaces; the prefixes cover that).
 */
export class ListIndex {
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
