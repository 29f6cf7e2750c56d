/**
 * What a backup's schema archive would run, checked before anything runs: a tenant
 * backup may only create and fill objects of its own schema.
 *
 * A file can have a correct manifest and correct checksums and still be hostile (built by
 * hand, or altered and re-wrapped): its pg_dump archive could hold a function in public,
 * a trigger, grant or comment on public.tenants, or another tenant's schema. pg_restore
 * would write all of that as SQL, and the restore would run it. So the archive's table of
 * contents is read here (pgarchive.readArchiveToc) and every entry is checked:
 *
 *  - the session-setting entries (ENCODING, STDSTRINGS, SEARCHPATH) must hold exactly the
 *    one statement pg_dump writes for them;
 *  - the SCHEMA entry must be the tenant's schema (the DATABASE entries pg_dump always
 *    records are passed over: pg_restore writes them only with --create, never used here);
 *  - an entry with a namespace must be in the tenant's schema and of a kind a schema dump
 *    holds; a namespace-less entry may only be a comment, grant or security label;
 *  - every statement of an entry's SQL must be one pg_dump writes for an object
 *    (CREATE, ALTER, COMMENT, GRANT, REVOKE, SECURITY LABEL, REFRESH MATERIALIZED VIEW,
 *    SELECT pg_catalog.setval, COPY ... FROM stdin for data) and the object it acts on
 *    (the first qualified name, or `SCHEMA x`) must be in the tenant's schema, as must
 *    what a foreign key references and the function a trigger executes (or pg_catalog);
 *    a rule's text may name nothing outside the schema.
 *
 * pg_dump qualifies every name it writes (it runs with an empty search_path), so an
 * honest archive always passes. What a function BODY does is not read (it is opaque text
 * until called); see docs/reliability.md for what that leaves.
 */
import { AppError } from '../core/errors'
import type { OpenedBackup } from './container'
import { ArchiveFormatError, readArchiveToc, type TocEntry } from './pgarchive'

/** Kinds of entries a dump of one schema holds, for objects inside that schema. */
const SCHEMA_KINDS = new Set([
  'TABLE',
  'TABLE DATA',
  'TABLE ATTACH',
  'SEQUENCE',
  'SEQUENCE SET',
  'SEQUENCE OWNED BY',
  'DEFAULT',
  'CONSTRAINT',
  'CHECK CONSTRAINT',
  'FK CONSTRAINT',
  'INDEX',
  'INDEX ATTACH',
  'TRIGGER',
  'FUNCTION',
  'PROCEDURE',
  'AGGREGATE',
  'VIEW',
  'MATERIALIZED VIEW',
  'MATERIALIZED VIEW DATA',
  'TYPE',
  'SHELL TYPE',
  'DOMAIN',
  'RULE',
  'POLICY',
  'ROW SECURITY',
  'COMMENT',
  'ACL',
  'SECURITY LABEL',
  'DEFAULT ACL',
  'COLLATION',
  'CONVERSION',
  'OPERATOR',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'STATISTICS',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER',
  'TEXT SEARCH TEMPLATE'
])

/** Namespace-less entries allowed when their statements act on the tenant's schema. */
const LOOSE_KINDS = new Set(['COMMENT', 'ACL', 'SECURITY LABEL'])

/** The one statement pg_dump writes for each session-setting entry. */
const SETTINGS: Record<string, RegExp> = {
  ENCODING: /^SET client_encoding = '[A-Za-z0-9_]+';\s*$/,
  STDSTRINGS: /^SET standard_conforming_strings = '(on|off)';\s*$/,
  SEARCHPATH: /^SELECT pg_catalog\.set_config\('search_path', '', false\);\s*$/
}

type Tok = { k: 'id'; v: string } | { k: 'str'; v: string } | { k: 'p'; v: string }

/**
 * Splits SQL into statements of tokens: identifiers (unquoted ones lower-cased, quoted ones
 * as written), string literals (their value), punctuation. Comments and dollar-quoted
 * bodies are dropped (a body is opaque text to PostgreSQL until it is called).
 */
export function sqlStatements(sql: string): Tok[][] {
  const out: Tok[][] = []
  let cur: Tok[] = []
  let i = 0
  const n = sql.length
  const isStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c)
  const isPart = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c)
  while (i < n) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === '-' && sql[i + 1] === '-') {
      const e = sql.indexOf('\n', i)
      i = e < 0 ? n : e + 1
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1
      i += 2
      while (i < n && depth) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++
          i += 2
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--
          i += 2
        } else i++
      }
    } else if (c === "'") {
      // E'...' takes backslash escapes: the identifier token just before was the prefix.
      const prev = cur.at(-1)
      const escapes = prev?.k === 'id' && prev.v === 'e' && /[eE]/.test(sql[i - 1] ?? '')
      if (escapes) cur.pop()
      let v = ''
      i++
      while (i < n) {
        const d = sql[i]!
        if (escapes && d === '\\') {
          v += sql[i + 1] ?? ''
          i += 2
        } else if (d === "'" && sql[i + 1] === "'") {
          v += "'"
          i += 2
        } else if (d === "'") {
          i++
          break
        } else {
          v += d
          i++
        }
      }
      cur.push({ k: 'str', v })
    } else if (c === '"') {
      let v = ''
      i++
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') {
          v += '"'
          i += 2
        } else if (sql[i] === '"') {
          i++
          break
        } else v += sql[i++]
      }
      cur.push({ k: 'id', v })
    } else if (c === '$' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64))![0]
      const e = sql.indexOf(tag, i + tag.length)
      i = e < 0 ? n : e + tag.length
      cur.push({ k: 'str', v: '' })
    } else if (isStart(c)) {
      let j = i + 1
      while (j < n && isPart(sql[j]!)) j++
      cur.push({ k: 'id', v: sql.slice(i, j).toLowerCase() })
      i = j
    } else if (c === ';') {
      if (cur.length) out.push(cur)
      cur = []
      i++
    } else {
      cur.push({ k: 'p', v: c })
      i++
    }
  }
  if (cur.length) out.push(cur)
  return out
}

/** Splits a name written inside a string literal ('tenant_x.users_id_seq', '"Odd"."x"'). */
function nameInLiteral(s: string): string[] {
  const stmt = sqlStatements(s)[0] ?? []
  return stmt.filter((t) => t.k === 'id').map((t) => t.v)
}

interface Ref {
  schema: string
  name: string
  at: number
}

/** Qualified names (schema.name[.more]) of a statement, with the token index of each. */
function qualifiedNames(st: Tok[]): Ref[] {
  const out: Ref[] = []
  for (let i = 0; i + 2 < st.length; i++) {
    const a = st[i]!
    const dot = st[i + 1]!
    const b = st[i + 2]!
    if (a.k !== 'id' || dot.k !== 'p' || dot.v !== '.') continue
    if (i > 0 && st[i - 1]!.k === 'p' && st[i - 1]!.v === '.') continue // the middle of a.b.c
    if (b.k === 'id' || (b.k === 'p' && /[+\-*/<>=~!@#%^&|`?]/.test(b.v))) {
      out.push({ schema: a.v, name: b.v, at: i })
      i += 2
    }
  }
  return out
}

const VERBS = new Set(['create', 'alter', 'comment', 'grant', 'revoke', 'security', 'refresh'])

/** Why one statement of an entry is out of scope, or null. */
function statementProblem(st: Tok[], schema: string, kind: 'defn' | 'copy', desc: string): string | null {
  const word = (i: number) => (st[i]?.k === 'id' ? st[i]!.v : null)
  const verb = word(0)
  const refs = qualifiedNames(st)
  const outside = (r: Ref) => r.schema !== schema
  if (kind === 'copy') {
    if (verb !== 'copy' || !refs[0] || refs[0].at !== 1 || outside(refs[0])) return 'a COPY into another schema'
    if (!st.some((t, i) => t.k === 'id' && t.v === 'from' && word(i + 1) === 'stdin')) return 'a COPY that does not read its data block'
    return null
  }
  if (verb === 'select') {
    // SEQUENCE SET: SELECT pg_catalog.setval('schema.seq', n, bool)
    const lit = st[5]
    if (word(1) === 'pg_catalog' && word(3) === 'setval' && lit?.k === 'str') {
      const parts = nameInLiteral(lit.v)
      if (parts.length === 2 && parts[0] === schema) return null
      return `setval on ${lit.v}`
    }
    return 'a SELECT'
  }
  if (!verb || !VERBS.has(verb)) return `a ${verb ? verb.toUpperCase() : 'statement'} statement`
  // The object acted on: the first qualified name, or SCHEMA x, whichever comes first.
  const schemaAt = st.findIndex((t, i) => t.k === 'id' && t.v === 'schema' && st[i + 1]?.k === 'id' && !(st[i + 2]?.k === 'p' && st[i + 2]!.v === '.'))
  const first = refs[0]
  if (schemaAt >= 0 && (!first || schemaAt < first.at)) {
    const named = (st[schemaAt + 1] as { v: string }).v
    if (named !== schema) return `a statement on schema ${named}`
  } else if (!first) {
    return 'a statement on no object of the schema'
  } else if (outside(first)) {
    return `a statement on ${first.schema}.${first.name}`
  }
  for (const r of refs) {
    const before = word(r.at - 1)
    const before2 = word(r.at - 2)
    if (before === 'references' && outside(r)) return `a foreign key to ${r.schema}.${r.name}`
    if ((before === 'function' || before === 'procedure') && before2 === 'execute' && outside(r) && r.schema !== 'pg_catalog') {
      return `a trigger that runs ${r.schema}.${r.name}`
    }
    if (desc === 'RULE' && outside(r) && r.schema !== 'pg_catalog') return `a rule that acts on ${r.schema}.${r.name}`
  }
  return null
}

function label(e: TocEntry): string {
  const desc = e.desc ?? 'entry'
  const on = LOOSE_KINDS.has(desc) ? /^([A-Z][A-Z ]*?) (.+)$/.exec(e.tag ?? '') : null
  if (e.namespace && on) return `${desc} on ${on[1]} ${e.namespace}.${on[2]}`
  if (e.namespace) return `${desc} ${e.namespace}.${e.tag ?? ''}`
  if (LOOSE_KINDS.has(desc)) return `${desc} on ${e.tag ?? ''}`
  return `${desc} ${e.tag ?? ''}`.trim()
}

/** What is wrong with one entry, or null. */
function entryProblem(e: TocEntry, schema: string): string | null {
  const desc = e.desc ?? ''
  const defn = e.defn ?? ''
  // pg_dump always records the database (and its comment, grants, settings); pg_restore
  // writes those only with --create, which the console never passes.
  if (!e.namespace && (desc === 'DATABASE' || desc === 'DATABASE PROPERTIES' || (LOOSE_KINDS.has(desc) && (e.tag ?? '').startsWith('DATABASE ')))) return null
  if (SETTINGS[desc]) {
    if (e.namespace || !(SETTINGS[desc]!.test(defn) || defn === '')) return `${desc} (unexpected statement)`
    return null
  }
  if (desc === 'SCHEMA') {
    if (e.tag !== schema) return `SCHEMA ${e.tag ?? ''}`
  } else if (e.namespace) {
    if (e.namespace !== schema) return label(e)
    if (!SCHEMA_KINDS.has(desc)) return `${label(e)} (a kind of object a tenant schema dump does not hold)`
  } else if (!LOOSE_KINDS.has(desc)) {
    return label(e)
  }
  for (const st of sqlStatements(defn)) {
    const why = statementProblem(st, schema, 'defn', desc)
    if (why) return `${label(e)} (${why})`
  }
  for (const st of sqlStatements(e.copyStmt ?? '')) {
    const why = statementProblem(st, schema, 'copy', desc)
    if (why) return `${label(e)} (${why})`
  }
  return null
}

/** The out-of-scope objects of an archive (empty when it only touches `schema`). */
export function archiveScopeProblems(entries: TocEntry[], schema: string): string[] {
  const out: string[] = []
  for (const e of entries) {
    const p = entryProblem(e, schema)
    if (p) out.push(p)
  }
  return out
}

/**
 * Refuses (INVALID_INPUT, nothing run) a backup whose schema archive holds anything
 * outside the tenant's own schema, naming the objects.
 */
export function checkBackupScope(b: OpenedBackup): void {
  // A backup without a schema has no archive: nothing of it runs as SQL.
  if (b.manifest.schemaMissing === true) return
  const schema = b.manifest.tenant.schemaAsStored ?? b.manifest.tenant.schema
  const p = b.part('schema.dump')
  let entries: TocEntry[]
  try {
    entries = readArchiveToc(b.path, { start: p.offset, length: p.length }).entries
  } catch (e) {
    if (e instanceof ArchiveFormatError) {
      const unsupported = /not supported/.test(e.message)
      throw new AppError(unsupported ? 'UNSUPPORTED' : 'INVALID_INPUT', `Nothing was changed: the backup's schema archive cannot be checked: ${e.message}`)
    }
    throw e
  }
  const problems = archiveScopeProblems(entries, schema)
  if (!problems.length) return
  const shown = problems.slice(0, 8).join('; ')
  const more = problems.length > 8 ? `; and ${problems.length - 8} more` : ''
  throw new AppError(
    'INVALID_INPUT',
    `Nothing was changed: the backup of ${b.manifest.tenant.slug} holds objects outside its schema ${schema}: ${shown}${more}. A backup written by the console holds only its tenant's schema, so this file was altered or made elsewhere; do not restore it. Use another backup of this tenant.`
  )
}
