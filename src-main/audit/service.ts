import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { once } from 'node:events'
import type { AuditDetail, AuditIndexInfo, AuditIndexResult, AuditExportResult, AuditFilterInput, AuditPage, ParsedInputOf } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import type { ConnectionManager, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import { csvField } from '../insights'
import type { Platform } from '../platform'
import type { SessionService } from '../session'
import { appSource, archiveSource, consoleSource, readAppAuditTable, SOURCE_ORDER, type AppAuditTable, type SourceSql } from './sources'
import type { IndexService } from '../indexes'
import { decodeCursor, encodeCursor, liveSlugs, readPage, selectList, tenantSlugs, toEntry, type RawRow } from './timeline'

/** Rows per query while exporting. */
const EXPORT_CHUNK = 5000
const CSV_HEADER = ['source', 'id', 'created_at', 'tenant_id', 'tenant_slug', 'user_id', 'actor_name', 'actor_email', 'db_role', 'action', 'resource', 'resource_id', 'outcome', 'details']

interface Sources {
  available: Map<string, SourceSql>
  tables: AuditPage['tables']
  notes: string[]
  /** public.tenants exists (slugs of live tenants are joined from it). */
  hasTenants: boolean
}

export class AuditService {
  private exports = new Map<string, AbortController>()
  /** The app table's columns, per layout read (the session re-reads the layout on reconnect). */
  private appTables = new WeakMap<Layout, AppAuditTable | null>()
  private consoleTables = new WeakMap<Layout, { archive: boolean; oplog: boolean }>()

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    private readonly platform: Pick<Platform, 'emit' | 'saveDialog'>,
    /** The console's index facility: the audit's three indexes are its 'audit' area. */
    private readonly consoleIndexes: IndexService
  ) {}

  /** Which sources this database has, and what is missing, in words. */
  async sources(db: Queryable = this.db): Promise<Sources> {
    const layout = await this.session.layout()
    let app = this.appTables.get(layout)
    if (app === undefined) {
      app = await readAppAuditTable(db, layout.auditTable)
      this.appTables.set(layout, app)
    }
    const cached = this.consoleTables.get(layout)
    const r = cached ? { rows: [cached] } : await db.query<{ archive: boolean; oplog: boolean }>(
      `SELECT to_regclass('console.tenant_audit_archive') IS NOT NULL AND has_table_privilege('console.tenant_audit_archive', 'SELECT') AS archive,
              to_regclass('console.operator_log') IS NOT NULL AND has_table_privilege('console.operator_log', 'SELECT') AS oplog`
    )
    const { archive, oplog } = r.rows[0]!
    this.consoleTables.set(layout, { archive, oplog })
    const available = new Map<string, SourceSql>()
    const notes: string[] = []
    if (app) available.set('app', appSource(app))
    else if (layout.auditTable) notes.push(`The app's audit table public.${layout.auditTable} lacks an id, created_at or action column the console can read: app audit entries are unavailable.`)
    else notes.push("This database has no app audit table (tenant_audit_logs or tenant_audit_log): only the console's own records are shown.")
    if (archive) available.set('archive', archiveSource)
    else notes.push("The console's audit archive (migration 0009) is not on this database: apply the console migrations to keep the trail of hard-deleted tenants.")
    if (oplog) available.set('console', consoleSource)
    else notes.push("The console's operator log is not readable here (apply the console migrations, and connect with a console role).")
    return { available, tables: { app: app ? `public.${app.name}` : null, archive, console: oplog }, notes, hasTenants: layout.tenantColumns.has('id') }
  }

  private pick(src: Sources, filter: AuditFilterInput): SourceSql[] {
    const want = new Set(filter.sources ?? SOURCE_ORDER)
    return SOURCE_ORDER.filter((s) => want.has(s) && src.available.has(s)).map((s) => src.available.get(s)!)
  }

  /**
   * A page. A text search scans rows newest first until the page is full: parallel workers
   * would cost more to start than that scan, so it runs in a read-only transaction without them.
   */
  private read(chosen: SourceSql[], filter: AuditFilterInput, cursor: ReturnType<typeof decodeCursor> | null, limit: number, details: number | null, hasTenants: boolean) {
    if (!filter.text) return readPage(this.db, chosen, filter, cursor, limit, details, hasTenants)
    return this.db.withClient(async (c) => {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL max_parallel_workers_per_gather = 0')
      try {
        const rows = await readPage(c, chosen, filter, cursor, limit, details, hasTenants)
        await c.query('COMMIT')
        return rows
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {})
        throw e
      }
    })
  }

  async list(input: ParsedInputOf<'audit:list'>): Promise<AuditPage> {
    const cursor = input.cursor ? decodeCursor(input.cursor) : null
    const filter = input.filter
    if (filter.from && filter.to && filter.from >= filter.to) throw new AppError('INVALID_INPUT', 'The date range ends before it starts.')
    const src = await this.sources()
    const chosen = this.pick(src, filter)
    // One row more than asked: whether a next page exists.
    const rows = await this.read(chosen, filter, cursor, input.limit + 1, 300, src.hasTenants)
    const page = rows.slice(0, input.limit)
    const slugs = liveSlugs(page)
    const last = page[page.length - 1]
    return {
      rows: page.map((r) => toEntry(r, slugs)),
      nextCursor: rows.length > input.limit && last ? encodeCursor({ ts: last.ts, source: last.source, key: last.k }) : null,
      tables: src.tables,
      notes: src.notes
    }
  }

  async get(input: ParsedInputOf<'audit:get'>): Promise<AuditDetail> {
    const src = await this.sources()
    const s = src.available.get(input.source)
    if (!s) throw new AppError('UNSUPPORTED', 'This database has no such audit source.')
    const valid = s.idCast === '::uuid' ? /^[0-9a-f-]{36}$/i.test(input.id) : /^\d{1,19}$/.test(input.id)
    if (!valid) throw new AppError('NOT_FOUND', 'No audit entry has this id.')
    const r = await this.db.query<RawRow & { row: Record<string, unknown> }>(
      `SELECT ${selectList(s, null)}, ${s.row} AS row FROM ${s.from} WHERE ${s.id} = $1${s.idCast}`,
      [input.id]
    )
    const x = r.rows[0]
    if (!x) throw new AppError('NOT_FOUND', 'No audit entry has this id.')
    const slugs = src.hasTenants ? await tenantSlugs(this.db, [x]) : new Map<string, string>()
    return { entry: toEntry(x, slugs), row: x.row, table: s.table }
  }

  /** The app-table indexes the console offers (empty when there is no app audit table). */
  async indexes(): Promise<AuditIndexInfo[]> {
    const t = await this.appTable()
    if (!t) return []
    return (await this.consoleIndexes.list('audit')).map((i) => ({
      name: i.name,
      table: i.table,
      definition: i.definition,
      purpose: i.purpose,
      exists: i.exists,
      canCreate: i.canCreate,
      reason: i.reason
    }))
  }

  async createIndex(name: string): Promise<AuditIndexResult> {
    if (!this.db.target) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    const t = await this.appTable()
    if (!t) throw new AppError('UNSUPPORTED', 'This database has no app audit table to index.')
    if (!(await this.consoleIndexes.specs('audit')).some((s) => s.name === name)) {
      throw new AppError('NOT_FOUND', 'The console offers no index of that name for this database.')
    }
    const r = await this.consoleIndexes.create(name, { logAction: 'audit.create_index' })
    return { name: r.name, created: r.changed, planBefore: r.planBefore ?? '', planAfter: r.planAfter ?? '' }
  }

  private async appTable(): Promise<AppAuditTable | null> {
    const layout = await this.session.layout()
    return readAppAuditTable(this.db, layout.auditTable)
  }

  cancelExport(jobId: string): { cancelled: boolean } {
    const a = this.exports.get(jobId)
    if (!a) return { cancelled: false }
    a.abort()
    return { cancelled: true }
  }

  /**
   * The current filter as CSV, streamed to the file chosen in the save dialog: keyset
   * pages of EXPORT_CHUNK rows, each written before the next is read (memory stays flat).
   * Written to <file>.part and renamed at the end; a cancelled export leaves no file.
   */
  async exportCsv(input: ParsedInputOf<'audit:exportCsv'>): Promise<AuditExportResult> {
    if (!this.platform.saveDialog) throw new AppError('UNSUPPORTED', 'Saving files is not available here.')
    if (this.exports.has(input.jobId)) throw new AppError('CONFLICT', 'This export is already running.')
    const src = await this.sources()
    const chosen = this.pick(src, input.filter)
    const path = await this.platform.saveDialog({
      title: 'Export the audit trail as CSV',
      defaultPath: `nchat-audit-${new Date().toISOString().slice(0, 10)}.csv`,
      filters: [{ name: 'CSV', extensions: ['csv'] }]
    })
    if (!path) return { saved: false, cancelled: false, rows: 0, path: null }
    const abort = new AbortController()
    this.exports.set(input.jobId, abort)
    const part = `${path}.part`
    let rows = 0
    const emit = (state: 'running' | 'done' | 'cancelled' | 'failed') => this.platform.emit('audit:progress', { jobId: input.jobId, rows, state })
    const out = createWriteStream(part, { encoding: 'utf8' })
    const write = async (s: string) => {
      if (!out.write(s)) await once(out, 'drain')
    }
    try {
      await once(out, 'open')
      await write(CSV_HEADER.join(',') + '\r\n')
      let cursor = null as ReturnType<typeof decodeCursor> | null
      while (chosen.length && !abort.signal.aborted) {
        const page = await this.read(chosen, input.filter, cursor, EXPORT_CHUNK, null, src.hasTenants)
        if (!page.length) break
        const slugs = liveSlugs(page)
        let chunk = ''
        for (const r of page) {
          const slug = (r.tenant_id && slugs.get(r.tenant_id)) ?? r.tenant_slug
          const cells = [r.source, r.id, r.ts, r.tenant_id, slug, r.user_id, r.actor_name, r.actor_email, r.db_role, r.action, r.resource, r.resource_id, r.outcome, r.details]
          chunk += cells.map(csvField).join(',') + '\r\n'
        }
        await write(chunk)
        rows += page.length
        emit('running')
        const last = page[page.length - 1]!
        cursor = { ts: last.ts, source: last.source, key: last.k }
        if (page.length < EXPORT_CHUNK) break
      }
      out.end()
      await once(out, 'finish')
      if (abort.signal.aborted) {
        await rm(part, { force: true })
        emit('cancelled')
        return { saved: false, cancelled: true, rows, path: null }
      }
      await rename(part, path)
      emit('done')
      return { saved: true, cancelled: false, rows, path }
    } catch (e) {
      out.destroy()
      await rm(part, { force: true }).catch(() => {})
      emit('failed')
      const code = (e as NodeJS.ErrnoException).code
      if (code && /^E[A-Z]+$/.test(code)) throw new AppError('INVALID_INPUT', `The CSV could not be written there (${code}). Choose another folder.`)
      throw e
    } finally {
      this.exports.delete(input.jobId)
    }
  }
}
