/**
 * What every part of backups shares: the connection, the session facts, the native
 * platform, the options, and the checks each entry point starts with (a database is
 * selected, the catalog exists, the pg_dump/pg_restore tools are found).
 */
import { AppError } from '../core/errors'
import type { ConnectionManager, ConnectionTarget } from '../db/connection'
import type { Platform } from '../platform/platform'
import type { SessionService } from '../session'
import { findPgTools, serverMajor, type PgTools } from './tools'

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

export class BackupEnv {
  readonly lockWaitMs: number
  private toolsCache: { key: string; tools: PgTools } | null = null

  constructor(
    readonly db: ConnectionManager,
    readonly session: SessionService,
    readonly platform: Platform,
    readonly opts: BackupOptions
  ) {
    this.lockWaitMs = opts.lockWaitMs ?? 15_000
  }

  target(): ConnectionTarget {
    const t = this.db.target
    if (!t) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return t
  }

  /** The catalog must exist; `runners` says whether it has migration 0008's runner columns. */
  async requireCatalog(): Promise<{ runners: boolean }> {
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
  async requireRunners(): Promise<void> {
    if (!(await this.requireCatalog()).runners) {
      throw new AppError(
        'NOT_CONFIGURED',
        "This database's backup catalog is older than this console (console migration 0008 is not applied). Listing, verifying and restoring work; to back up, have the database owner apply the console migrations (npm run db:migrate, or Apply migrations in the connection's profile)."
      )
    }
  }

  async tools(): Promise<PgTools> {
    const t = this.target()
    const facts = await this.session.get()
    const key = `${this.db.gen}|${t.pgBinDir ?? ''}|${facts.serverVersionNum}`
    if (this.toolsCache?.key === key) return this.toolsCache.tools
    const tools = await findPgTools({ profileBinDir: t.pgBinDir, serverMajor: serverMajor(facts.serverVersionNum), serverVersion: facts.serverVersion })
    this.toolsCache = { key, tools }
    return tools
  }

  /** What restore.ts needs of the console. */
  restoreDeps(tools: PgTools) {
    return { target: this.target(), tools, lockWaitMs: this.lockWaitMs, session: this.session }
  }
}
