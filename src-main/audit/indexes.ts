/**
 * Indexes the audit timeline needs on the app's audit table. The console never creates
 * them on its own: an admin asks for one (CREATE INDEX CONCURRENTLY, named nchat_console_*,
 * so it is recognisably the console's), and sees the plan of the query it serves before
 * and after. Creating an index needs the table's owner; otherwise the reason is shown.
 */
import type { AuditIndexInfo, AuditIndexResult } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import { quoteIdent } from '../core/ident'
import type { ConnectionManager, ConnectionTarget } from '../db/connection'
import type { AppAuditTable } from './sources'

interface IndexSpec {
  name: string
  columns: string[]
  purpose: string
  /** The query whose plan is shown: a first page under this index's filter. */
  probe: (t: AppAuditTable) => { sql: string; params: unknown[] }
}

function specs(t: AppAuditTable): IndexSpec[] {
  const short = t.name === 'tenant_audit_logs' ? 'audit_logs' : 'audit_log'
  const out: IndexSpec[] = [
    {
      name: `nchat_console_${short}_created_id`,
      columns: ['created_at DESC', 'id DESC'],
      purpose: 'The timeline newest first and every deep page (keyset on created_at, id).',
      probe: (x) => ({ sql: `SELECT id FROM public.${x.name} ORDER BY created_at DESC, id DESC LIMIT 51`, params: [] })
    }
  ]
  if (t.columns.has('tenant_id')) {
    out.push({
      name: `nchat_console_${short}_tenant_created`,
      columns: ['tenant_id', 'created_at DESC', 'id DESC'],
      purpose: "A tenant's history, newest first.",
      probe: (x) => ({
        sql: `SELECT id FROM public.${x.name} WHERE tenant_id = (SELECT tenant_id FROM public.${x.name} ORDER BY created_at DESC LIMIT 1) ORDER BY created_at DESC, id DESC LIMIT 51`,
        params: []
      })
    })
  }
  out.push({
    name: `nchat_console_${short}_action_created`,
    columns: ['action', 'created_at DESC', 'id DESC'],
    purpose: 'Filtering by action (and date range), newest first.',
    probe: (x) => ({
      sql: `SELECT id FROM public.${x.name} WHERE action = (SELECT action FROM public.${x.name} ORDER BY created_at DESC LIMIT 1) AND created_at >= now() - interval '30 days' ORDER BY created_at DESC, id DESC LIMIT 51`,
      params: []
    })
  })
  return out
}

const definition = (t: AppAuditTable, s: IndexSpec) => `CREATE INDEX CONCURRENTLY ${quoteIdent(s.name)} ON public.${quoteIdent(t.name)} (${s.columns.join(', ')})`

export async function listIndexes(db: ConnectionManager, t: AppAuditTable): Promise<AuditIndexInfo[]> {
  const all = specs(t)
  const r = await db.query<{ name: string; valid: boolean }>(
    `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = to_regclass($1) AND c.relname = ANY($2)`,
    [`public.${t.name}`, all.map((s) => s.name)]
  )
  const have = new Map(r.rows.map((x) => [x.name, x.valid]))
  const own = await db.query<{ owner: boolean; owner_name: string }>(
    `SELECT pg_has_role(current_user, c.relowner, 'USAGE') AS owner, pg_get_userbyid(c.relowner) AS owner_name FROM pg_class c WHERE c.oid = to_regclass($1)`,
    [`public.${t.name}`]
  )
  const o = own.rows[0]
  return all.map((s) => ({
    name: s.name,
    table: `public.${t.name}`,
    definition: definition(t, s),
    purpose: s.purpose,
    exists: have.get(s.name) === true,
    canCreate: Boolean(o?.owner),
    reason: o?.owner ? null : `Creating an index needs the owner of public.${t.name} (${o?.owner_name ?? 'unknown'}); connect as that role, or give the statement to whoever administers the database.`
  }))
}

async function plan(db: ConnectionManager, q: { sql: string; params: unknown[] }): Promise<string> {
  const r = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) ${q.sql}`, q.params)
  return r.rows.map((x) => x['QUERY PLAN']).join('\n')
}

export async function createIndex(db: ConnectionManager, target: ConnectionTarget, t: AppAuditTable, name: string): Promise<AuditIndexResult> {
  const s = specs(t).find((x) => x.name === name)
  if (!s) throw new AppError('NOT_FOUND', 'The console offers no index of that name for this database.')
  const info = (await listIndexes(db, t)).find((x) => x.name === name)!
  if (!info.canCreate) throw new AppError('FORBIDDEN', info.reason ?? 'The connected role may not create this index.')
  const before = await plan(db, s.probe(t))
  let created = false
  if (!info.exists) {
    // CONCURRENTLY cannot run in a transaction: a plain session, not db.tx.
    await db.withClient(async (c) => {
      // A failed concurrent build leaves an invalid index of this name: drop it first.
      await c.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${quoteIdent(s.name)}`)
      try {
        await c.query(definition(t, s))
      } catch (e) {
        await c.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${quoteIdent(s.name)}`).catch(() => {})
        throw e
      }
    })
    created = true
    await db.query(`ANALYZE public.${quoteIdent(t.name)}`)
  }
  const after = await plan(db, s.probe(t))
  await db.query(
    `INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, params, outcome)
     VALUES ($1, $2, session_user, 'audit.create_index', $3, 'ok')`,
    [target.operator?.name ?? 'operator', target.operator?.email ?? '', JSON.stringify({ name: s.name, table: `public.${t.name}`, definition: definition(t, s), created })]
  )
  return { name: s.name, created, planBefore: before, planAfter: after }
}
