import { AppError } from '../core/errors'
import { quoteIdent } from '../core/ident'
import type { Queryable } from '../db/connection'
import { findUsersTable, type UsersTable } from './owner'
import { fingerprint, readShape, type AclEntry, type SchemaShape, type ShapeRelation } from './catalog'

/**
 * Clones a template schema at full fidelity from the catalog (not from the console's
 * own DDL), so it works on the real app's template: types, functions, sequences,
 * tables (columns, identity with its own sequence, generated columns, defaults,
 * collations), primary/unique/check/exclusion/foreign-key constraints re-pointed inside
 * the new schema, indexes, views, triggers, row-level security and policies, replica
 * identity, comments and grants.
 *
 * The DDL is generated once per template state and cached, keyed by a catalog
 * fingerprint; the target schema is a placeholder filled in per clone.
 */

/** Marks where the target schema goes. NUL can never occur in PostgreSQL text. */
const T = '\u0000T\u0000'

export interface ClonePlan {
  template: string
  fingerprint: string
  shape: SchemaShape
  /** Statements with the target placeholder. */
  statements: string[]
  /** The template's users table, for the owner insert (owner.ts). */
  users: UsersTable | null
}

function lit(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'"
}

/** A normalized shape: definitions with the schema's own name taken out. */
export function stripSchema(shape: SchemaShape): SchemaShape {
  const qs = shape.qs
  const out: SchemaShape = JSON.parse(JSON.stringify(shape))
  for (const f of out.functions) {
    if (f.def) {
      const head = new RegExp(`^CREATE OR REPLACE (FUNCTION|PROCEDURE) ${escapeRe(qs)}\\.${escapeRe(f.qn)}\\(`)
      f.def = f.def.replace(head, `CREATE OR REPLACE $1 ${T}.${f.qn}(`)
    }
  }
  for (const r of out.relations) {
    const q = `${qs}.${r.qn}`
    for (const i of r.indexes) i.def = replaceOnce(i.def, ` ON ${q} `, ` ON ${T}.${r.qn} `, ` ON ONLY ${q} `, ` ON ONLY ${T}.${r.qn} `)
    for (const g of r.triggers) g.def = replaceOnce(g.def, ` ON ${q} `, ` ON ${T}.${r.qn} `)
  }
  return out
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function replaceOnce(s: string, from: string, to: string, from2?: string, to2?: string): string {
  const a = s.indexOf(from)
  const b = from2 ? s.indexOf(from2) : -1
  if (b >= 0 && (a < 0 || b < a)) return s.slice(0, b) + to2 + s.slice(b + from2!.length)
  if (a >= 0) return s.slice(0, a) + to + s.slice(a + from.length)
  return s
}

/** What the cloner cannot reproduce faithfully; creation is refused when not empty. */
export function unsupportedFeatures(shape: SchemaShape): string[] {
  const out: string[] = []
  if (shape.extensions.length) out.push(`extensions installed in the template schema (${shape.extensions.join(', ')})`)
  if (shape.otherClasses.length) out.push(`objects of kinds the cloner does not copy (${shape.otherClasses.join(', ')})`)
  for (const t of shape.types) if (!['e', 'd', 'c'].includes(t.kind)) out.push(`type ${t.name} (only enum, domain and composite types are cloned)`)
  for (const f of shape.functions) if (!f.def) out.push(`aggregate or window function ${f.name}`)
  for (const r of shape.relations) {
    if (r.partitioned) out.push(`partitioned table ${r.name}`)
    if (r.inherits) out.push(`inheritance on table ${r.name}`)
    if (r.kind === 'f') out.push(`foreign table ${r.name}`)
    if (r.rules > 0) out.push(`rules on ${r.name}`)
    for (const g of r.triggers) if (g.constraint) out.push(`constraint trigger ${g.name} on ${r.name}`)
    for (const c of r.constraints) if (!c.local) out.push(`inherited constraint ${c.name} on ${r.name}`)
  }
  for (const s of shape.sequences) if (s.ownedBy && !s.ownedBy.sameSchema) out.push(`sequence ${s.name} owned by a table in another schema`)
  return out
}

function grants(kind: string, target: string, acl: AclEntry[], defaultsForPublic: boolean): string[] {
  const out: string[] = []
  const others = acl.filter((a) => a.grantee !== '<owner>')
  if (defaultsForPublic) {
    // Functions and types grant EXECUTE/USAGE to PUBLIC by default; mirror a revoke.
    const pub = others.some((a) => a.grantee === 'PUBLIC')
    if (!pub) out.push(`REVOKE ALL ON ${kind} ${target} FROM PUBLIC`)
  }
  for (const a of others) {
    if (defaultsForPublic && a.grantee === 'PUBLIC') continue
    out.push(`GRANT ${a.priv} ON ${kind} ${target} TO ${a.grantee === 'PUBLIC' ? 'PUBLIC' : a.grantee}${a.grantable ? ' WITH GRANT OPTION' : ''}`)
  }
  return out
}

function seqOptions(s: { inc: string; min: string; max: string; start: string; cache: string; cycle: boolean }): string {
  return `INCREMENT BY ${s.inc} MINVALUE ${s.min} MAXVALUE ${s.max} START WITH ${s.start} CACHE ${s.cache} ${s.cycle ? 'CYCLE' : 'NO CYCLE'}`
}

function policyCmd(c: string): string {
  return { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' }[c] ?? 'ALL'
}

/** Generates the clone DDL (with the target placeholder) from a normalized shape. */
export function generateStatements(n: SchemaShape): string[] {
  const s: string[] = []
  const relTarget = (r: { qn: string }) => `${T}.${r.qn}`
  const comment = (what: string, text: string | null) => {
    if (text !== null && text !== undefined) s.push(`COMMENT ON ${what} IS ${lit(text)}`)
  }

  if (n.comment !== null) comment(`SCHEMA ${T}`, n.comment)
  s.push(...grants('SCHEMA', T, n.acl, false))

  // Types: enums and composites first, domains after (a domain's base may be an enum).
  for (const t of n.types.filter((x) => x.kind === 'e')) {
    s.push(`CREATE TYPE ${T}.${t.qn} AS ENUM (${(t.labels ?? []).map(lit).join(', ')})`)
  }
  for (const t of n.types.filter((x) => x.kind === 'c')) {
    s.push(`CREATE TYPE ${T}.${t.qn} AS (${(t.attrs ?? []).map((a) => `${a.qn} ${a.type}`).join(', ')})`)
  }
  for (const t of n.types.filter((x) => x.kind === 'd')) {
    s.push(
      `CREATE DOMAIN ${T}.${t.qn} AS ${t.base}${t.collation ? ` COLLATE ${t.collation}` : ''}${t.default !== null ? ` DEFAULT ${t.default}` : ''}${t.notNull ? ' NOT NULL' : ''}`
    )
    for (const c of t.checks ?? []) s.push(`ALTER DOMAIN ${T}.${t.qn} ADD CONSTRAINT ${c.qn} ${c.def}`)
  }
  for (const t of n.types) {
    comment(`TYPE ${T}.${t.qn}`, t.comment)
    s.push(...grants('TYPE', `${T}.${t.qn}`, t.acl, true))
  }

  // Functions (bodies are not checked at creation: they may name tables created below).
  for (const f of n.functions) {
    if (!f.def) continue
    s.push(f.def.trimEnd())
    const sig = `${f.kind === 'p' ? 'PROCEDURE' : 'FUNCTION'} ${T}.${f.qn}(${f.args})`
    comment(sig, f.comment)
    s.push(...grants(f.kind === 'p' ? 'PROCEDURE' : 'FUNCTION', `${T}.${f.qn}(${f.args})`, f.acl, true))
  }

  // Free-standing sequences (identity sequences come with their column).
  for (const q of n.sequences.filter((x) => !x.identity)) {
    s.push(`CREATE SEQUENCE ${T}.${q.qn} AS ${q.type} ${seqOptions(q)}`)
  }

  // Tables in foreign-key order, with their keys, checks and foreign keys inline (one
  // statement per table is much cheaper than one ALTER TABLE per constraint). What
  // cannot be inline (NOT VALID constraints, foreign keys in a cycle) follows as ALTER.
  const tables = orderTables(n.relations.filter((r) => r.kind === 'r'))
  const created = new Set<string>()
  const later: string[] = []
  for (const r of tables) {
    const cols = r.columns.map((c) => {
      let d = `${c.qn} ${c.type}`
      if (c.collation) d += ` COLLATE ${c.collation}`
      if (c.generated !== null) d += ` GENERATED ALWAYS AS (${c.generated}) STORED`
      if (c.identity === 'a' || c.identity === 'd') {
        const seq = n.sequences.find((q) => q.identity && q.ownedBy?.table === r.name && q.ownedBy?.column === c.name)
        const opts = seq ? ` (SEQUENCE NAME ${T}.${seq.qn} ${seqOptions(seq)})` : ''
        d += ` GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${opts}`
      }
      if (c.default !== null) d += ` DEFAULT ${c.default}`
      if (c.notNull) d += ' NOT NULL'
      return d
    })
    const inline: string[] = []
    for (const type of ['p', 'u', 'x', 'c', 'f']) {
      for (const c of r.constraints.filter((x) => x.type === type)) {
        const notValid = / NOT VALID$/.test(c.def)
        const ref = type === 'f' ? fkTarget(c.def) : null
        const ready = type !== 'f' || ref === r.name || (ref !== null && created.has(ref))
        if (!notValid && ready) inline.push(`CONSTRAINT ${c.qn} ${c.def}`)
        else later.push(`ALTER TABLE ${relTarget(r)} ADD CONSTRAINT ${c.qn} ${c.def}`)
      }
    }
    const opts = r.options && r.options.length ? ` WITH (${r.options.join(', ')})` : ''
    s.push(`CREATE ${r.persistence === 'u' ? 'UNLOGGED ' : ''}TABLE ${relTarget(r)} (${[...cols, ...inline].join(', ')})${opts}`)
    created.add(r.name)
  }
  for (const q of n.sequences.filter((x) => !x.identity && x.ownedBy)) {
    const owner = tables.find((t) => t.name === q.ownedBy!.table)
    const col = owner?.columns.find((c) => c.name === q.ownedBy!.column)
    if (owner && col) s.push(`ALTER SEQUENCE ${T}.${q.qn} OWNED BY ${T}.${owner.qn}.${col.qn}`)
  }
  // Keys before the foreign keys that need them.
  s.push(...later.filter((x) => !/ FOREIGN KEY /.test(x)), ...later.filter((x) => / FOREIGN KEY /.test(x)))
  for (const r of tables) {
    for (const i of r.indexes.filter((x) => !x.constraint)) s.push(i.def)
    for (const i of r.indexes.filter((x) => x.clustered)) s.push(`ALTER TABLE ${relTarget(r)} CLUSTER ON ${i.qn}`)
    if (r.replident === 'f') s.push(`ALTER TABLE ${relTarget(r)} REPLICA IDENTITY FULL`)
    if (r.replident === 'n') s.push(`ALTER TABLE ${relTarget(r)} REPLICA IDENTITY NOTHING`)
  }

  // Views in creation order (the catalog returns them by name; dependencies resolve
  // because views only reference tables or earlier views in practice).
  for (const v of orderViews(n.relations.filter((r) => r.kind === 'v' || r.kind === 'm'))) {
    const opts = v.options && v.options.length ? ` WITH (${v.options.join(', ')})` : ''
    if (v.kind === 'v') s.push(`CREATE VIEW ${relTarget(v)}${opts} AS ${v.viewDef!.trim().replace(/;$/, '')}`)
    else s.push(`CREATE MATERIALIZED VIEW ${relTarget(v)}${opts} AS ${v.viewDef!.trim().replace(/;$/, '')} WITH NO DATA`)
  }

  for (const r of tables) {
    for (const g of r.triggers) {
      s.push(g.def)
      if (g.enabled === 'D') s.push(`ALTER TABLE ${relTarget(r)} DISABLE TRIGGER ${g.qn}`)
      if (g.enabled === 'R') s.push(`ALTER TABLE ${relTarget(r)} ENABLE REPLICA TRIGGER ${g.qn}`)
      if (g.enabled === 'A') s.push(`ALTER TABLE ${relTarget(r)} ENABLE ALWAYS TRIGGER ${g.qn}`)
    }
    if (r.rls) s.push(`ALTER TABLE ${relTarget(r)} ENABLE ROW LEVEL SECURITY`)
    if (r.forceRls) s.push(`ALTER TABLE ${relTarget(r)} FORCE ROW LEVEL SECURITY`)
    for (const p of r.policies) {
      let d = `CREATE POLICY ${p.qn} ON ${relTarget(r)} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${policyCmd(p.cmd)} TO ${p.roles.join(', ')}`
      if (p.qual !== null) d += ` USING (${p.qual})`
      if (p.check !== null) d += ` WITH CHECK (${p.check})`
      s.push(d)
    }
  }

  // Comments and grants on relations and their parts.
  for (const r of n.relations) {
    const kw = r.kind === 'v' ? 'VIEW' : r.kind === 'm' ? 'MATERIALIZED VIEW' : 'TABLE'
    comment(`${kw} ${relTarget(r)}`, r.comment)
    for (const c of r.columns) {
      comment(`COLUMN ${relTarget(r)}.${c.qn}`, c.comment)
      for (const a of c.acl.filter((x) => x.grantee !== '<owner>')) {
        s.push(`GRANT ${a.priv} (${c.qn}) ON TABLE ${relTarget(r)} TO ${a.grantee}${a.grantable ? ' WITH GRANT OPTION' : ''}`)
      }
    }
    for (const c of r.constraints) comment(`CONSTRAINT ${c.qn} ON ${relTarget(r)}`, c.comment)
    for (const i of r.indexes) if (!i.constraint) comment(`INDEX ${T}.${i.qn}`, i.comment)
    for (const g of r.triggers) comment(`TRIGGER ${g.qn} ON ${relTarget(r)}`, g.comment)
    for (const p of r.policies) comment(`POLICY ${p.qn} ON ${relTarget(r)}`, p.comment)
    s.push(...grants('TABLE', relTarget(r), r.acl, false))
  }
  for (const q of n.sequences) {
    comment(`SEQUENCE ${T}.${q.qn}`, q.comment)
    s.push(...grants('SEQUENCE', `${T}.${q.qn}`, q.acl, false))
  }
  return s
}

/** The table a foreign key definition references, when it is in the same schema (unqualified). */
function fkTarget(def: string): string | null {
  const m = / REFERENCES ((?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))\(/.exec(def)
  if (!m) return null
  const name = m[1]!
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name
}

/** Referenced tables first; tables in a cycle keep catalog order (their keys go in as ALTER). */
function orderTables(tables: ShapeRelation[]): ShapeRelation[] {
  const byName = new Map(tables.map((t) => [t.name, t]))
  const out: ShapeRelation[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (t: ShapeRelation) => {
    if (state.get(t.name)) return
    state.set(t.name, 'visiting')
    for (const c of t.constraints) {
      if (c.type !== 'f') continue
      const ref = fkTarget(c.def)
      const dep = ref && ref !== t.name ? byName.get(ref) : undefined
      if (dep && !state.get(dep.name)) visit(dep)
    }
    state.set(t.name, 'done')
    out.push(t)
  }
  tables.forEach(visit)
  return out
}

function orderViews(views: ShapeRelation[]): ShapeRelation[] {
  // A view whose definition mentions another view's name goes after it.
  const out: ShapeRelation[] = []
  const left = [...views]
  let guard = 0
  while (left.length && guard++ < 1000) {
    const i = left.findIndex((v) => !left.some((o) => o !== v && new RegExp(`\\b${escapeRe(o.name)}\\b`).test(v.viewDef ?? '')))
    out.push(...left.splice(i >= 0 ? i : 0, 1))
  }
  return out
}

export function renderStatements(statements: string[], targetSchema: string): string {
  const q = quoteIdent(targetSchema)
  return statements.map((x) => x.split(T).join(q)).join(';\n') + ';'
}

/**
 * Creates `target` and runs the plan in it, in one round trip. Must run inside the
 * caller's transaction: names inside the template resolve to the new schema because
 * search_path is the new schema only while the DDL runs.
 */
export async function executePlan(db: Queryable, plan: ClonePlan, target: string): Promise<void> {
  const q = quoteIdent(target)
  // One round trip; the two settings go back to the session's values at the end.
  await db.query(
    `CREATE SCHEMA ${q};\nSET LOCAL search_path TO ${q}, pg_temp;\nSET LOCAL check_function_bodies = off;\n` +
      renderStatements(plan.statements, target) +
      `\nSET LOCAL search_path TO DEFAULT;\nSET LOCAL check_function_bodies TO DEFAULT;`
  )
}

/**
 * Per-connection cache of clone plans, keyed by template name + catalog fingerprint.
 * A changed template (any ALTER, COMMENT, GRANT, new object) changes the fingerprint,
 * so the next clone regenerates the DDL.
 */
export class ClonePlanCache {
  private plans = new Map<string, ClonePlan>()

  clear(): void {
    this.plans.clear()
  }

  /** Returns the plan for the template's current state. `db` must be inside a transaction. */
  async plan(db: Queryable, template: string): Promise<{ plan: ClonePlan; cached: boolean }> {
    const fp = await fingerprint(db, template)
    if (!fp) throw new AppError('NOT_CONFIGURED', `The template schema "${template}" does not exist on this database. Check the connection profile's template schema.`)
    const vis = await db.query<{ ok: boolean }>(`SELECT has_schema_privilege($1, 'USAGE') AS ok`, [template])
    if (!vis.rows[0]?.ok) {
      // Without USAGE the template is left out of search_path and every reference in it
      // would come out schema-qualified, i.e. the clone would point at the template.
      throw new AppError(
        'NOT_CONFIGURED',
        `The connected role cannot use the template schema "${template}". Grant it with: GRANT USAGE ON SCHEMA ${quoteIdent(template)} TO nchat_console_support;`
      )
    }
    const hit = this.plans.get(template)
    if (hit && hit.fingerprint === fp) return { plan: hit, cached: true }
    const shape = await readShape(db, template)
    if (!shape) throw new AppError('NOT_CONFIGURED', `The template schema "${template}" does not exist on this database.`)
    const missing = unsupportedFeatures(shape)
    if (missing.length) {
      throw new AppError(
        'UNSUPPORTED',
        `The template schema "${template}" uses features the console cannot clone faithfully: ${missing.slice(0, 5).join('; ')}.`
      )
    }
    if (!shape.relations.some((r) => r.kind === 'r')) {
      throw new AppError('NOT_CONFIGURED', `The template schema "${template}" has no tables to clone.`)
    }
    const normalized = stripSchema(shape)
    const plan: ClonePlan = {
      template,
      fingerprint: fp,
      shape: normalized,
      statements: generateStatements(normalized),
      users: findUsersTable(normalized)
    }
    this.plans.set(template, plan)
    return { plan, cached: false }
  }
}
