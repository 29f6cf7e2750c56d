/**
 * The backup's snapshot: one REPEATABLE READ, READ ONLY transaction on a dedicated
 * connection exports its snapshot (pg_export_snapshot) for pg_dump --snapshot, and
 * reads, in that same snapshot, the tenants' public rows, the tables and row counts of
 * each schema, and sequence values. The transaction stays open until pg_dump ends.
 */
import pg from 'pg'
import { AppError } from '../core/errors'
import type { Queryable } from '../db/connection'
import { quoteIdent, qualify } from '../core/ident'
import type { TableCount } from './container'

/** Public tables that hold a tenant's rows, and the column that names the tenant. */
export const PUBLIC_TABLES: { table: string; key: string }[] = [
  { table: 'tenants', key: 'id' },
  { table: 'tenant_settings', key: 'tenant_id' },
  { table: 'tenant_usage', key: 'tenant_id' },
  { table: 'tenant_invitations', key: 'tenant_id' },
  { table: 'tenant_audit_logs', key: 'tenant_id' },
  { table: 'tenant_audit_log', key: 'tenant_id' },
  { table: 'stripe_webhooks', key: 'tenant_id' },
  { table: 'tenant_domains', key: 'tenant_id' }
]

export interface SchemaFacts {
  tables: TableCount[]
  sequences: { name: string; lastValue: string | null; isCalled: boolean }[]
}

export interface TenantRef {
  id: string
  slug: string
  name: string | null
  /** public.tenants.schema_name as stored (may have upper case). */
  schemaName: string
  /** The schema as PostgreSQL has it, or null when missing. */
  schema: string | null
}

export class SnapshotSession {
  snapshotId = ''
  takenAt = ''
  serverVersion = ''
  serverVersionNum = 0
  dbRole = ''
  private constructor(private readonly client: pg.Client) {}

  static async open(cfg: pg.PoolConfig, lockTimeoutMs: number): Promise<SnapshotSession> {
    const client = new pg.Client({ ...cfg, application_name: 'nchat-console-backup', statement_timeout: 0 } as pg.ClientConfig)
    client.on('error', () => {})
    await client.connect()
    const s = new SnapshotSession(client)
    try {
      // One round trip: begin, bound lock waits, no idle timeout, RLS off (rows hidden by a
      // policy must fail the backup, never silently vanish from it), export the snapshot.
      const results = (await client.query(
        `BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
         SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))};
         SET LOCAL idle_in_transaction_session_timeout = 0;
         SET LOCAL row_security = off;
         SELECT pg_export_snapshot() AS id, clock_timestamp() AS at, current_setting('server_version') AS ver,
                current_setting('server_version_num') AS vnum, current_user AS usr`
      )) as unknown as pg.QueryResult<{ id: string; at: Date; ver: string; vnum: string; usr: string }>[]
      const r = results[results.length - 1]!
      const x = r.rows[0]!
      s.snapshotId = x.id
      s.takenAt = x.at.toISOString()
      s.serverVersion = x.ver
      s.serverVersionNum = Number(x.vnum)
      s.dbRole = x.usr
      return s
    } catch (e) {
      await client.end().catch(() => {})
      throw e
    }
  }

  /** Refuses early, in words, when the role cannot read a schema (pg_dump would fail later). */
  async checkReadable(schemas: string[]): Promise<void> {
    // One pass over pg_class (joined to the few namespaces), not one scan per schema.
    const r = await this.client.query<{ nspname: string; usage: boolean; unreadable: string[] | null }>(
      `SELECT n.nspname, has_schema_privilege(n.oid, 'USAGE') AS usage,
              (array_agg(c.relname::text ORDER BY c.relname) FILTER (WHERE NOT has_table_privilege(c.oid, 'SELECT')))[1:3] AS unreadable
         FROM pg_namespace n
         LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r','p','S','v','m')
        WHERE n.nspname = ANY($1)
        GROUP BY n.oid, n.nspname`,
      [schemas]
    )
    for (const x of r.rows) x.unreadable ??= []
    const bad = r.rows.filter((x) => !x.usage || x.unreadable!.length)
    if (bad.length) {
      const b = bad[0]!
      throw new AppError(
        'FORBIDDEN',
        `The connected role cannot read tenant schema ${b.nspname}${b.usage ? ` (no SELECT on ${b.unreadable!.join(', ')})` : ' (no USAGE on the schema)'}. ` +
          `Backups need USAGE on each tenant schema and SELECT on its tables and sequences; for the console support role these grants come from the tenant lifecycle migration (0004), which is not applied to this database or predates this schema.`,
        { schemas: bad.map((x) => x.nspname).slice(0, 20) }
      )
    }
    await this.checkRowSecurity(schemas)
  }

  private async checkRowSecurity(schemas: string[]): Promise<void> {
    const why = await rowSecurityBlock(this.client, schemas)
    if (why) throw new AppError('FORBIDDEN', why.message, { tables: why.tables })
  }

  /** Which of these schemas exist (by the name as stored or lower-cased, as the app created them unquoted). */
  async existingSchemas(names: string[]): Promise<string[]> {
    const r = await this.client.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) OR nspname = ANY(SELECT lower(x) FROM unnest($1::text[]) x)`,
      [names]
    )
    return r.rows.map((x) => x.nspname)
  }

  /** Tables (with row counts) and sequences of each schema, in the snapshot. */
  async schemaFacts(schemas: string[]): Promise<Map<string, SchemaFacts>> {
    const out = new Map<string, SchemaFacts>(schemas.map((s) => [s, { tables: [], sequences: [] }]))
    const rels = await this.client.query<{ nspname: string; relname: string; relkind: string }>(
      `SELECT n.nspname, c.relname, c.relkind::text AS relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relkind IN ('r','S') ORDER BY n.nspname, c.relname`,
      [schemas]
    )
    const tables = rels.rows.filter((r) => r.relkind === 'r')
    const seqs = rels.rows.filter((r) => r.relkind === 'S')
    for (let i = 0; i < tables.length; i += 500) {
      const part = tables.slice(i, i + 500)
      const sql = part
        .map((t, j) => `SELECT ${j} AS i, count(*)::bigint AS n FROM ${qualify(t.nspname, t.relname)}`)
        .join(' UNION ALL ')
      const r = await this.client.query<{ i: number; n: number }>(sql)
      for (const row of r.rows) {
        const t = part[row.i]!
        out.get(t.nspname)!.tables.push({ table: t.relname, rows: Number(row.n) })
      }
    }
    for (let i = 0; i < seqs.length; i += 500) {
      const part = seqs.slice(i, i + 500)
      const sql = part
        .map((s, j) => `SELECT ${j} AS i, last_value::text AS v, is_called AS c FROM ${qualify(s.nspname, s.relname)}`)
        .join(' UNION ALL ')
      const r = await this.client.query<{ i: number; v: string; c: boolean }>(sql)
      for (const row of r.rows) {
        const s = part[row.i]!
        out.get(s.nspname)!.sequences.push({ name: s.relname, lastValue: row.v, isCalled: row.c })
      }
    }
    for (const f of out.values()) {
      f.tables.sort((a, b) => a.table.localeCompare(b.table))
      f.sequences.sort((a, b) => a.name.localeCompare(b.name))
    }
    return out
  }

  /** The public tables that exist here and hold tenant rows. */
  async publicTables(): Promise<{ table: string; key: string }[]> {
    const r = await this.client.query<{ table_name: string; column_name: string }>(
      `SELECT c.relname AS table_name, a.attname AS column_name FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r','p') AND c.relname = ANY($1)`,
      [PUBLIC_TABLES.map((t) => t.table)]
    )
    const have = new Set(r.rows.map((x) => `${x.table_name}.${x.column_name}`))
    return PUBLIC_TABLES.filter((t) => have.has(`${t.table}.${t.key}`))
  }

  /** Each tenant's public rows as `table<TAB>json` lines (row_to_json keeps full precision as text). */
  async publicRows(tenantIds: string[]): Promise<{ tables: string[]; rows: Map<string, Map<string, string[]>> }> {
    const tables = await this.publicTables()
    const rows = new Map<string, Map<string, string[]>>(tenantIds.map((id) => [id, new Map(tables.map((t) => [t.table, []]))]))
    for (const t of tables) {
      const r = await this.client.query<{ k: string; j: string }>(
        `SELECT x.${quoteIdent(t.key)}::text AS k, row_to_json(x)::text AS j FROM public.${quoteIdent(t.table)} x
          WHERE x.${quoteIdent(t.key)} = ANY($1::uuid[]) ORDER BY 1, 2`,
        [tenantIds]
      )
      for (const row of r.rows) rows.get(row.k)?.get(t.table)?.push(row.j)
    }
    return { tables: tables.map((t) => t.table), rows }
  }

  /** Ends the session at once (a running query is abandoned; the transaction dies with it). */
  async abort(): Promise<void> {
    const c = this.client as unknown as { connection?: { stream?: { destroy(): void } } }
    c.connection?.stream?.destroy()
    await this.client.end().catch(() => {})
  }

  async close(): Promise<void> {
    await this.client.query('COMMIT').catch(() => {})
    await this.client.end().catch(() => {})
  }
}

/**
 * A backup reads with row security off, so a table whose rows a policy would filter for
 * this role is an error, not a silently partial backup (pg_dump does the same). Roles
 * that bypass row security (superuser, BYPASSRLS) and tables the role owns (without
 * FORCE) are fine. Returns why this login cannot back up the public tenancy tables (and
 * the given tenant schemas), or null.
 */
export async function rowSecurityBlock(db: Queryable, schemas: string[] = []): Promise<{ message: string; tables: string[] } | null> {
  const me = await db.query<{ bypass: boolean; usr: string }>(`SELECT rolsuper OR rolbypassrls AS bypass, rolname AS usr FROM pg_roles WHERE rolname = current_user`)
  if (me.rows[0]?.bypass) return null
  const r = await db.query<{ t: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity
        AND (n.nspname = ANY($1) OR (n.nspname = 'public' AND c.relname = ANY($2)))
        AND NOT (pg_has_role(c.relowner, 'USAGE') AND NOT c.relforcerowsecurity)
      ORDER BY n.nspname = 'public' DESC, 1`,
    [schemas, PUBLIC_TABLES.map((t) => t.table)]
  )
  if (!r.rows.length) return null
  const who = me.rows[0]?.usr ?? 'the connected role'
  const names = r.rows.map((x) => x.t)
  const message =
    `The connected role ${who} cannot back up tables with row-level security (${names.slice(0, 4).join(', ')}${names.length > 4 ? `, and ${names.length - 4} more` : ''}): ` +
    `their policies would hide rows from it, and a backup must hold every row. Use a login with BYPASSRLS for backups ` +
    `(a superuser runs: ALTER ROLE ${quoteIdent(who)} BYPASSRLS).`
  return { message, tables: names.slice(0, 20) }
}

/** Looks tenants up with their schema as PostgreSQL stores it. */
export async function resolveTenants(
  db: { query: pg.Pool['query'] } | pg.ClientBase,
  ids: string[] | 'all'
): Promise<TenantRef[]> {
  const r = await (db as pg.ClientBase).query<{ id: string; slug: string; name: string | null; schema_name: string; nspname: string | null }>(
    `SELECT t.id::text AS id, t.slug, t.name, t.schema_name,
            (SELECT n.nspname FROM pg_namespace n WHERE n.nspname = t.schema_name OR n.nspname = lower(t.schema_name)
              ORDER BY (n.nspname = t.schema_name) DESC LIMIT 1) AS nspname
       FROM public.tenants t
      WHERE $1::uuid[] IS NULL OR t.id = ANY($1::uuid[])
      ORDER BY t.slug`,
    [ids === 'all' ? null : ids]
  )
  const byId = new Map(r.rows.map((x) => [x.id, x]))
  const ordered = ids === 'all' ? r.rows : ids.map((id) => byId.get(id)).filter((x): x is (typeof r.rows)[number] => Boolean(x))
  return ordered.map((x) => ({ id: x.id, slug: x.slug, name: x.name, schemaName: x.schema_name, schema: x.nspname }))
}
