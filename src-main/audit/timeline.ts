/**
 * One page of the audit timeline with keyset pagination (no OFFSET).
 *
 * Order: created_at desc, source asc ('app' < 'archive' < 'console'), k desc. The cursor
 * is the last row's (created_at to the microsecond, source, k). Each source is asked for
 * the rows strictly after the cursor in that order, newest first, through its
 * (created_at, id) index, with LIMIT n; the merged top n is the page. Once one source has
 * filled n rows, the others only read down to its n-th row's created_at. New rows arrive
 * above the cursor, so a reader paging down never sees a row twice and never skips one.
 */
import type { AuditEntry, AuditFilterInput, AuditSource } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import type { Queryable } from '../db/connection'
import type { SourceSql } from './sources'

export interface Cursor {
  ts: string
  source: AuditSource
  key: string
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.source, c.key]), 'utf8').toString('base64url')
}

export function decodeCursor(s: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      typeof v[0] === 'string' &&
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(v[0]) &&
      (v[1] === 'app' || v[1] === 'archive' || v[1] === 'console') &&
      typeof v[2] === 'string' &&
      /^[0-9a-f-]{1,40}$/.test(v[2])
    ) {
      return { ts: v[0], source: v[1], key: v[2] }
    }
  } catch {
    // fall through
  }
  throw new AppError('INVALID_INPUT', 'The page cursor is not valid. Start again from the first page.')
}

export interface RawRow {
  source: AuditSource
  id: string
  k: string
  ts: string
  tenant_id: string | null
  tenant_slug: string | null
  user_id: string | null
  actor_name: string | null
  actor_email: string | null
  db_role: string | null
  action: string
  resource: string | null
  resource_id: string | null
  outcome: string | null
  details: string
  /** From the join on public.tenants (readPage). */
  live_slug?: string | null
  tenant_live?: boolean
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A LIKE pattern that matches the text literally, anywhere. */
export const containsPattern = (s: string) => `%${s.replace(/[\\%_]/g, (m) => `\\${m}`)}%`

/** The WHERE conditions of a filter on one source (parameters appended to `params`). */
export function filterConditions(s: SourceSql, f: AuditFilterInput, params: unknown[]): string[] {
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const where: string[] = []
  if (f.tenantId) where.push(s.tenant === 'NULL::uuid' ? 'false' : `${s.tenant} = ${p(f.tenantId)}::uuid`)
  if (f.action) where.push(`${s.action} = ${p(f.action)}`)
  if (f.resource) where.push(`${s.resource} = ${p(f.resource)}`)
  if (f.from) where.push(`${s.created} >= ${p(f.from)}::timestamptz`)
  if (f.to) where.push(`${s.created} < ${p(f.to)}::timestamptz`)
  if (f.text) where.push(`${s.details} ILIKE ${p(containsPattern(f.text))}`)
  if (f.actor) {
    const a = f.actor
    if (UUID_RE.test(a)) {
      where.push(s.userColumn ? (s.userColumn.uuid ? `${s.userColumn.expr} = ${p(a)}::uuid` : `${s.userColumn.expr} = ${p(a.toLowerCase())}`) : 'false')
    } else {
      const like = p(containsPattern(a))
      const exact = p(a)
      where.push(`(${s.actorName} ILIKE ${like} OR ${s.actorEmail} ILIKE ${like} OR ${s.dbRole} = ${exact})`)
    }
  }
  return where
}

/** The select list every source answers (same names and types). */
export function selectList(s: SourceSql, detailsLimit: number | null): string {
  const details = detailsLimit ? `left(${s.details}, ${detailsLimit})` : s.details
  return `'${s.source}'::text AS source, ${s.id}::text AS id, ${s.key} AS k,
    to_char(${s.created} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts,
    ${s.tenant} AS tenant_id, ${s.tenantSlug} AS tenant_slug, ${s.userId} AS user_id,
    ${s.actorName} AS actor_name, ${s.actorEmail} AS actor_email, ${s.dbRole} AS db_role,
    ${s.action} AS action, ${s.resource} AS resource, ${s.resourceId} AS resource_id,
    ${s.outcome} AS outcome, ${details} AS details`
}

const RANK: Record<AuditSource, number> = { app: 0, archive: 1, console: 2 }

/** Timeline order: is row a before row b? */
export function before(a: { ts: string; source: AuditSource; k: string }, b: { ts: string; source: AuditSource; k: string }): boolean {
  if (a.ts !== b.ts) return a.ts > b.ts
  if (a.source !== b.source) return RANK[a.source] < RANK[b.source]
  return a.k > b.k
}

/**
 * The next `limit` rows after `cursor` over the given sources. The first source (the app's
 * table, the largest) is read alone; the n-th row it returns bounds the others, which are
 * read together in a second statement with that bound as a value, so the planner sees a
 * narrow time range (a bound it cannot see makes it scan a whole table for a rare text).
 * Each source is a CTE with its own ORDER BY ... LIMIT through its (created_at, id) index;
 * tenant slugs, and whether the tenant still exists, are joined from public.tenants.
 */
export async function readPage(
  db: Queryable,
  sources: SourceSql[],
  filter: AuditFilterInput,
  cursor: Cursor | null,
  limit: number,
  detailsLimit: number | null,
  joinTenants: boolean
): Promise<RawRow[]> {
  if (!sources.length) return []
  const [first, ...rest] = sources as [SourceSql, ...SourceSql[]]
  const head = await readGroup(db, [first], filter, cursor, limit, detailsLimit, joinTenants, null)
  if (!rest.length) return head
  const bound = head.length >= limit ? head[limit - 1]!.ts : null
  const tail = await readGroup(db, rest, filter, cursor, limit, detailsLimit, joinTenants, bound)
  return head
    .concat(tail)
    .sort((a, b) => (before(a, b) ? -1 : 1))
    .slice(0, limit)
}

/** One statement over some sources: each a CTE with its keyset LIMIT, merged in timeline order. */
async function readGroup(
  db: Queryable,
  sources: SourceSql[],
  filter: AuditFilterInput,
  cursor: Cursor | null,
  limit: number,
  detailsLimit: number | null,
  joinTenants: boolean,
  bound: string | null
): Promise<RawRow[]> {
  const params: unknown[] = []
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const n = p(limit)
  const ctes = sources.map((s, i) => {
    const where = filterConditions(s, filter, params)
    if (cursor) {
      const ts = p(cursor.ts)
      const r = RANK[s.source] - RANK[cursor.source]
      if (r < 0) where.push(`${s.created} < ${ts}::timestamptz`)
      else if (r > 0) where.push(`${s.created} <= ${ts}::timestamptz`)
      else where.push(`${s.created} <= ${ts}::timestamptz AND (${s.created}, ${s.id}) < (${ts}::timestamptz, ${p(cursor.key)}${s.idCast})`)
    }
    // Rows older than the n-th row of the first source cannot make this page.
    if (bound) where.push(`${s.created} >= ${p(bound)}::timestamptz`)
    return `s${i} AS (SELECT ${selectList(s, detailsLimit)} FROM ${s.from}
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${s.created} DESC, ${s.id} DESC LIMIT ${n})`
  })
  const union = sources.map((_, i) => `SELECT * FROM s${i}`).join(' UNION ALL ')
  const tenants = joinTenants
    ? `t.slug::text AS live_slug, (t.id IS NOT NULL) AS tenant_live FROM (${union}) u LEFT JOIN public.tenants t ON t.id = u.tenant_id`
    : `NULL::text AS live_slug, false AS tenant_live FROM (${union}) u`
  const sql = `WITH ${ctes.join(',\n')}
    SELECT u.*, ${tenants}
     ORDER BY u.ts COLLATE "C" DESC, u.source COLLATE "C", u.k COLLATE "C" DESC LIMIT ${n}`
  return (await db.query<RawRow>(sql, params)).rows
}

/** The slugs of a page's tenants that still exist, from the rows' own join. */
export function liveSlugs(rows: RawRow[]): Map<string, string> {
  return new Map(rows.filter((r) => r.tenant_live && r.tenant_id).map((r) => [r.tenant_id!, r.live_slug ?? '']))
}

const oneLine = (s: string) => (s.length > 160 ? `${s.slice(0, 157)}…` : s).replace(/\s+/g, ' ')

export function toEntry(r: RawRow, slugs: Map<string, string>): AuditEntry {
  const known = r.tenant_id ? slugs.get(r.tenant_id) : undefined
  return {
    source: r.source,
    id: r.id,
    createdAt: r.ts,
    tenantId: r.tenant_id,
    tenantSlug: known ?? r.tenant_slug,
    tenantExists: r.tenant_id ? known !== undefined : false,
    userId: r.user_id,
    actorName: r.actor_name,
    actorEmail: r.actor_email,
    dbRole: r.db_role,
    action: r.action,
    resource: r.resource,
    resourceId: r.resource_id,
    outcome: r.outcome,
    summary: oneLine(r.details ?? '')
  }
}

/** Slugs of the tenants that still exist, for the rows of a page. */
export async function tenantSlugs(db: Queryable, rows: RawRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.map((r) => r.tenant_id).filter((x): x is string => Boolean(x)))]
  if (!ids.length) return new Map()
  const r = await db.query<{ id: string; slug: string }>(`SELECT id::text, slug::text FROM public.tenants WHERE id = ANY($1::uuid[])`, [ids])
  return new Map(r.rows.map((x) => [x.id, x.slug]))
}
