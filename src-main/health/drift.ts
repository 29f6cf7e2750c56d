/**
 * Schema drift: how each tenant schema differs from the template, found with a few
 * catalog queries per chunk of schemas (never one query per tenant). Every table gets a
 * fingerprint per aspect (columns, indexes, constraints, triggers, policies and row
 * security); a tenant's table differs where a fingerprint differs from the template's.
 * Tenants whose differences are the same are reported together.
 */
import { qualify, quoteIdent } from '../core/ident'
import type { Queryable } from '../db/connection'

export const ASPECTS = ['columns', 'indexes', 'constraints', 'triggers', 'policies'] as const
export type Aspect = (typeof ASPECTS)[number]

export interface TableFingerprint {
  schema: string
  table: string
  columns: string
  indexes: string
  constraints: string
  triggers: string
  policies: string
}

/**
 * One row per table of the given schemas. Names of the schema itself are stripped from
 * definitions (a tenant's foreign key points at its own schema, the template's at the
 * template), so equal structures give equal fingerprints.
 */
export async function fingerprints(db: Queryable, schemas: string[]): Promise<TableFingerprint[]> {
  const r = await db.query<TableFingerprint>(
    `SELECT n.nspname AS schema, c.relname AS table,
            coalesce((SELECT md5(string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ',' ORDER BY a.attname))
                        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS columns,
            coalesce((SELECT md5(string_agg(d, ',' ORDER BY d)) FROM (
                        SELECT CASE WHEN i.indisunique THEN 'unique ' ELSE '' END || substring(pg_get_indexdef(i.indexrelid) FROM ' USING .*$') AS d
                          FROM pg_index i WHERE i.indrelid = c.oid) x), '') AS indexes,
            coalesce((SELECT md5(string_agg(d, ',' ORDER BY d)) FROM (
                        SELECT k.contype::text || ' ' || replace(pg_get_constraintdef(k.oid), quote_ident(n.nspname) || '.', '') AS d
                          FROM pg_constraint k WHERE k.conrelid = c.oid) x), '') AS constraints,
            -- A trigger function in the table's own schema (copied with the tenant) counts by name only.
            coalesce((SELECT md5(string_agg(t.tgname || ' ' || t.tgtype::text || ' ' ||
                                   CASE WHEN f.pronamespace = c.relnamespace THEN '' ELSE f.pronamespace::regnamespace::text || '.' END || f.proname, ',' ORDER BY t.tgname))
                        FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '') AS triggers,
            CASE WHEN c.relrowsecurity THEN 'rls ' ELSE '' END ||
            coalesce((SELECT md5(string_agg(p.polname || ' ' || p.polcmd::text || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), ',' ORDER BY p.polname))
                        FROM pg_policy p WHERE p.polrelid = c.oid), '') AS policies
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')`,
    [schemas]
  )
  return r.rows
}

export interface SchemaDiff {
  missingTables: string[]
  extraTables: string[]
  /** table → the aspects that differ, with the tenant's fingerprint (so equal diffs group). */
  changed: { table: string; aspect: Aspect; fingerprint: string }[]
}

export function diffSchema(template: Map<string, TableFingerprint>, tenant: Map<string, TableFingerprint>): SchemaDiff {
  const missingTables = [...template.keys()].filter((t) => !tenant.has(t)).sort()
  const extraTables = [...tenant.keys()].filter((t) => !template.has(t)).sort()
  const changed: SchemaDiff['changed'] = []
  for (const [table, tpl] of [...template].sort(([a], [b]) => a.localeCompare(b))) {
    const mine = tenant.get(table)
    if (!mine) continue
    for (const aspect of ASPECTS) if (mine[aspect] !== tpl[aspect]) changed.push({ table, aspect, fingerprint: mine[aspect] })
  }
  return { missingTables, extraTables, changed }
}

export const diffIsEmpty = (d: SchemaDiff): boolean => !d.missingTables.length && !d.extraTables.length && !d.changed.length

/** A key equal for tenants whose differences are the same. */
export const diffKey = (d: SchemaDiff): string =>
  JSON.stringify([d.missingTables, d.extraTables, d.changed.map((c) => [c.table, c.aspect, c.fingerprint])])

/** The template's definitions of one table's objects, to say what differs and to write the fix. */
export interface TableObjects {
  columns: Map<string, string>
  indexes: Map<string, string>
  constraints: Map<string, string>
  triggers: Map<string, string>
  policies: Map<string, string>
  rls: boolean
}

export async function tableObjects(db: Queryable, schema: string, table: string): Promise<TableObjects> {
  const rel = qualify(schema, table)
  const q = async (sql: string) => new Map((await db.query<{ k: string; v: string }>(sql, [rel])).rows.map((r) => [r.k, r.v]))
  const [columns, indexes, constraints, triggers, policies, rls] = await Promise.all([
    q(`SELECT a.attname AS k, format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END AS v
         FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`),
    q(`SELECT (SELECT relname FROM pg_class WHERE oid = i.indexrelid) AS k, pg_get_indexdef(i.indexrelid) AS v FROM pg_index i
        WHERE i.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`),
    q(`SELECT k.conname AS k, pg_get_constraintdef(k.oid) AS v FROM pg_constraint k WHERE k.conrelid = $1::regclass`),
    q(`SELECT t.tgname AS k, pg_get_triggerdef(t.oid) AS v FROM pg_trigger t WHERE t.tgrelid = $1::regclass AND NOT t.tgisinternal`),
    q(`SELECT p.polname AS k,
              'AS ' || CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END ||
              ' FOR ' || CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END ||
              ' TO ' || coalesce((SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', ') FROM unnest(p.polroles) r), 'PUBLIC') ||
              coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '') ||
              coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '') AS v
         FROM pg_policy p WHERE p.polrelid = $1::regclass`),
    db.query<{ rls: boolean }>(`SELECT relrowsecurity AS rls FROM pg_class WHERE oid = $1::regclass`, [rel])
  ])
  return { columns, indexes, constraints, triggers, policies, rls: Boolean(rls.rows[0]?.rls) }
}

/**
 * Rewrites a definition of the template's object for a tenant schema: the table it is on
 * (`ON nchat.t`) and, for foreign keys, the table it references. Functions a trigger or a
 * policy calls stay where they are (LIKE copies no functions).
 */
function retarget(def: string, from: string, to: string): string {
  let out = def
  for (const word of ['ON', 'REFERENCES']) {
    for (const name of new Set([from, quoteIdent(from)])) out = out.split(` ${word} ${name}.`).join(` ${word} ${quoteIdent(to)}.`)
  }
  return out
}

export interface DriftExplanation {
  detail: string[]
  /** SQL for one tenant schema; null when nothing can be fixed automatically. */
  fix: (schema: string) => string | null
}

/**
 * What differs, in words, and the fix: read from the template and one tenant of the group.
 * Only what is missing is added back; what the tenant has extra is reported, never dropped.
 */
export async function explainDrift(db: Queryable, templateSchema: string, sampleSchema: string, d: SchemaDiff): Promise<DriftExplanation> {
  const detail: string[] = []
  const fixes: ((schema: string) => string)[] = []
  for (const t of d.missingTables) {
    detail.push(`table ${t} is missing`)
    fixes.push((s) => `CREATE TABLE ${qualify(s, t)} (LIKE ${qualify(templateSchema, t)} INCLUDING ALL);`)
  }
  if (d.extraTables.length) detail.push(`tables not in the template: ${d.extraTables.join(', ')}`)
  const byTable = new Map<string, Aspect[]>()
  for (const c of d.changed) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c.aspect])
  for (const [table, aspects] of byTable) {
    const [tpl, mine] = await Promise.all([tableObjects(db, templateSchema, table), tableObjects(db, sampleSchema, table)])
    const missing = (aspect: Exclude<Aspect, 'columns'> | 'columns') => [...tpl[aspect].keys()].filter((k) => !mine[aspect].has(k)).sort()
    const extra = (aspect: Exclude<Aspect, 'columns'> | 'columns') => [...mine[aspect].keys()].filter((k) => !tpl[aspect].has(k)).sort()
    const changedDefs = (aspect: Aspect) => [...tpl[aspect].keys()].filter((k) => mine[aspect].has(k) && mine[aspect].get(k) !== retarget(tpl[aspect].get(k)!, templateSchema, sampleSchema)).sort()
    for (const aspect of aspects) {
      const m = missing(aspect)
      const x = extra(aspect)
      const words: string[] = []
      if (m.length) words.push(`missing ${m.join(', ')}`)
      if (x.length) words.push(`extra ${x.join(', ')}`)
      if (aspect === 'columns') {
        const typed = changedDefs('columns')
        if (typed.length) words.push(`different type or nullability: ${typed.join(', ')}`)
        for (const col of m) fixes.push((s) => `ALTER TABLE ${qualify(s, table)} ADD COLUMN ${quoteIdent(col)} ${tpl.columns.get(col)!.replace(/ NOT NULL$/, '')};`)
      }
      if (aspect === 'indexes') for (const i of m) fixes.push((s) => `${retarget(tpl.indexes.get(i)!, templateSchema, s)};`)
      if (aspect === 'constraints') for (const k of m) fixes.push((s) => `ALTER TABLE ${qualify(s, table)} ADD CONSTRAINT ${quoteIdent(k)} ${retarget(tpl.constraints.get(k)!, templateSchema, s)};`)
      if (aspect === 'triggers') for (const g of m) fixes.push((s) => `${retarget(tpl.triggers.get(g)!, templateSchema, s)};`)
      if (aspect === 'policies') {
        if (tpl.rls && !mine.rls) {
          words.push('row-level security is off (on in the template)')
          fixes.push((s) => `ALTER TABLE ${qualify(s, table)} ENABLE ROW LEVEL SECURITY;`)
        }
        for (const p of m) fixes.push((s) => `CREATE POLICY ${quoteIdent(p)} ON ${qualify(s, table)} ${retarget(tpl.policies.get(p)!, templateSchema, s)};`)
      }
      if (!words.length) words.push('definitions differ')
      detail.push(`${table}: ${aspect} ${words.join('; ')}`)
    }
  }
  return { detail, fix: (s) => (fixes.length ? fixes.map((f) => f(s)).join('\n') : null) }
}
