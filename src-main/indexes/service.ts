import type { IndexArea, IndexAreaStatus, IndexChange, IndexInfo } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import { quoteIdent } from '../core/ident'
import type { ConnectionManager } from '../db/connection'
import type { Layout } from '../db/layout'
import type { SessionService } from '../session'
import { allSpecs, definition, type IndexSpec, type SpecFacts } from './specs'

/** How long a readiness answer is reused before the catalog is asked again. */
const STATUS_TTL_MS = 30_000

const LOG_ACTION = { create: 'indexes.create', drop: 'indexes.drop' } as const

/**
 * The console's indexes on the app's tables: list (present, valid, may this login create
 * it and why not), create (CREATE INDEX CONCURRENTLY in a plain session), drop (DROP INDEX
 * CONCURRENTLY, only names of the registry), each written to console.operator_log.
 * The audit timeline, the directory and the billing failures page use this one facility.
 */
export class IndexService {
  private ready = new Map<IndexArea, { at: number; layout: Layout; status: IndexAreaStatus }>()

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService
  ) {}

  private async facts(): Promise<SpecFacts> {
    const layout = await this.session.layout()
    const r = await this.db.query<{ audit_cols: string[] | null; not_null: string[] | null; trgm: boolean }>(
      `SELECT (SELECT array_agg(a.attname::text) FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped) AS audit_cols,
              (SELECT array_agg(a.attname::text) FROM pg_attribute a WHERE a.attrelid = to_regclass('public.tenants') AND a.attnum > 0
                  AND NOT a.attisdropped AND a.attnotnull) AS not_null,
              EXISTS (SELECT 1 FROM pg_opclass WHERE opcname = 'gin_trgm_ops') AS trgm`,
      [layout.auditTable ? `public.${layout.auditTable}` : null]
    )
    const x = r.rows[0]!
    return { layout, auditColumns: x.audit_cols ? new Set(x.audit_cols) : null, tenantNotNull: new Set(x.not_null ?? []), hasTrigram: x.trgm }
  }

  async specs(area?: IndexArea): Promise<IndexSpec[]> {
    const all = allSpecs(await this.facts())
    return area ? all.filter((s) => s.area === area) : all
  }

  async list(area?: IndexArea): Promise<IndexInfo[]> {
    return this.describe(await this.specs(area))
  }

  private async describe(specs: IndexSpec[]): Promise<IndexInfo[]> {
    if (specs.length === 0) return []
    const tables = [...new Set(specs.map((s) => s.table))]
    const r = await this.db.query<{ name: string; valid: boolean; size: string }>(
      `SELECT c.relname AS name, i.indisvalid AS valid, pg_relation_size(c.oid) AS size
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY($1)`,
      [specs.map((s) => s.name)]
    )
    const have = new Map(r.rows.map((x) => [x.name, x]))
    const own = await this.db.query<{ t: string; owner: boolean; owner_name: string }>(
      `SELECT x.t, pg_has_role(current_user, c.relowner, 'USAGE') AS owner, pg_get_userbyid(c.relowner) AS owner_name
         FROM unnest($1::text[]) x(t) JOIN pg_class c ON c.oid = to_regclass('public.' || quote_ident(x.t))`,
      [tables]
    )
    const owners = new Map(own.rows.map((x) => [x.t, x]))
    return specs.map((s) => {
      const o = owners.get(s.table)
      const h = have.get(s.name)
      const reason = s.unavailable
        ? s.unavailable
        : o?.owner
          ? null
          : `Creating or dropping an index needs the owner of public.${s.table} (${o?.owner_name ?? 'unknown'}); connect as that role, or give the statement to whoever administers the database.`
      return {
        area: s.area,
        name: s.name,
        table: `public.${s.table}`,
        definition: definition(s),
        purpose: s.purpose,
        exists: h?.valid === true,
        invalid: h !== undefined && !h.valid,
        sizeBytes: h ? Number(h.size) : null,
        canCreate: reason === null,
        reason
      }
    })
  }

  /** Whether an area has all its indexes (cached briefly; create and drop reset it). */
  async status(area: IndexArea): Promise<IndexAreaStatus> {
    const layout = await this.session.layout()
    const hit = this.ready.get(area)
    if (hit && hit.layout === layout && Date.now() - hit.at < STATUS_TTL_MS) return hit.status
    // An index this database cannot have (pg_trgm missing) is not asked for; one that only
    // another role may create still is (the hint says who can).
    const specs = (await this.specs(area)).filter((s) => !s.unavailable)
    const infos = await this.describe(specs)
    const missing = infos.filter((i) => !i.exists).map((i) => i.name)
    const status: IndexAreaStatus = {
      area,
      ready: missing.length === 0,
      missing,
      hint: missing.length === 0 ? null : HINTS[area](missing.length)
    }
    this.ready.set(area, { at: Date.now(), layout, status })
    return status
  }

  private async find(name: string): Promise<{ spec: IndexSpec; info: IndexInfo }> {
    const spec = (await this.specs()).find((s) => s.name === name)
    if (!spec) throw new AppError('NOT_FOUND', 'The console offers no index of that name for this database.')
    const info = (await this.describe([spec]))[0]!
    return { spec, info }
  }

  private target() {
    const t = this.db.target
    if (!t) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return t
  }

  private async plan(s: IndexSpec): Promise<string | null> {
    if (!s.probe) return null
    const r = await this.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) ${s.probe.sql}`, s.probe.params)
    return r.rows.map((x) => x['QUERY PLAN']).join('\n')
  }

  private async log(action: keyof typeof LOG_ACTION | 'audit.create_index', s: IndexSpec, params: Record<string, unknown>) {
    const target = this.target()
    await this.db.query(
      `INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, params, outcome)
       VALUES ($1, $2, session_user, $3, $4, 'ok')`,
      [
        target.operator?.name ?? 'operator',
        target.operator?.email ?? '',
        action === 'audit.create_index' ? action : LOG_ACTION[action],
        JSON.stringify({ name: s.name, area: s.area, table: `public.${s.table}`, definition: definition(s), ...params })
      ]
    )
  }

  /**
   * CREATE INDEX CONCURRENTLY (the app keeps writing meanwhile). CONCURRENTLY cannot run
   * in a transaction, so a plain session; a failed build leaves an invalid index of the
   * name, which is dropped before and after.
   */
  async create(name: string, opts: { logAction?: 'audit.create_index' } = {}): Promise<IndexChange> {
    this.target()
    const { spec, info } = await this.find(name)
    if (!info.canCreate) throw new AppError('FORBIDDEN', info.reason ?? 'The connected role may not create this index.')
    const t0 = performance.now()
    const before = await this.plan(spec)
    let changed = false
    if (!info.exists) {
      await this.db.withClient(async (c) => {
        await c.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${quoteIdent(spec.name)}`)
        try {
          await c.query(definition(spec))
        } catch (e) {
          await c.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${quoteIdent(spec.name)}`).catch(() => {})
          throw e
        }
      })
      changed = true
      // The planner needs statistics of an expression index's expression.
      await this.db.query(`ANALYZE public.${quoteIdent(spec.table)}`)
      this.ready.clear()
    }
    const after = await this.plan(spec)
    const durationMs = Math.round(performance.now() - t0)
    await this.log(opts.logAction ?? 'create', spec, { created: changed, durationMs })
    return { name: spec.name, changed, planBefore: before, planAfter: after, durationMs }
  }

  /** DROP INDEX CONCURRENTLY of a console index (only names of the registry, only in public). */
  async drop(name: string): Promise<IndexChange> {
    this.target()
    const { spec, info } = await this.find(name)
    if (info.reason && !spec.unavailable) throw new AppError('FORBIDDEN', info.reason)
    const t0 = performance.now()
    const present = info.exists || info.invalid
    const before = present ? await this.plan(spec) : null
    if (present) {
      await this.db.withClient((c) => c.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${quoteIdent(spec.name)}`))
      this.ready.clear()
    }
    const after = present ? await this.plan(spec) : null
    const durationMs = Math.round(performance.now() - t0)
    await this.log('drop', spec, { dropped: present, durationMs })
    return { name: spec.name, changed: present, planBefore: before, planAfter: after, durationMs }
  }
}

const HINTS: Record<IndexArea, (n: number) => string> = {
  directory: (n) =>
    `Slow mode: ${n} of the directory's indexes ${n === 1 ? 'is' : 'are'} missing, so every page reads the whole tenants table. An admin can create them in Settings → Console indexes.`,
  audit: (n) => `${n} audit index${n === 1 ? ' is' : 'es are'} missing: deep pages and filters of the timeline read the whole audit table. An admin can create them in Settings → Console indexes.`,
  billing: () => 'The webhook failures index is missing: the failures page reads every webhook. An admin can create it in Settings → Console indexes.'
}
