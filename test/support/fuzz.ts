import fc from 'fast-check'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import type pg from 'pg'
import { z } from 'zod'
import { ERROR_CODES, checkSlug } from '../../src-preload/contract'

/**
 * Building blocks of the contract-wide fuzz test (test/integration/contract-fuzz.test.ts):
 * arbitraries derived from a channel's zod schema (through its JSON Schema), hostile
 * strings, malformed variants of an input, the checks every answer must pass, and a
 * fingerprint of the database.
 */

// ------------------------------------------------------------------ hostile values

/** A file that exists only if an injected `COPY ... TO PROGRAM` ran. */
export const PWNED_MARKER = resolve(tmpdir(), `nchat-fuzz-pwned-${process.pid}`)

/** SQL and identifier attacks, odd unicode, NUL bytes, paths: each goes into every free-text field. */
export const HOSTILE_STRINGS: readonly string[] = [
  `'; DROP TABLE public.tenants; --`,
  `' OR '1'='1`,
  `" OR ""="`,
  `') OR 1=1 --`,
  `1; SELECT pg_sleep(30); --`,
  `$$; DROP SCHEMA nchat CASCADE; $$`,
  `'; COPY (SELECT 1) TO PROGRAM 'touch ${PWNED_MARKER}'; --`,
  `%' UNION SELECT usename, passwd FROM pg_shadow --`,
  `'||(SELECT current_setting('data_directory'))||'`,
  `E'\\x00'`,
  `\\`,
  `%_%`,
  `tenant_acme"; DROP SCHEMA "nchat`,
  `pg_catalog`,
  `information_schema`,
  `pg_toast.x`,
  `public.tenants`,
  `console.operator_log`,
  `"nchat"`,
  `a".b`,
  `Tenant_Upper`,
  'x'.repeat(64) + '_',
  'a\u0000b',
  '\u0000',
  '\u202Eevil\u202C',
  '\u200B\uFEFF',
  '\uD800',
  'x\uDFFFy',
  '😀👩‍👩‍👧',
  'e\u0301 İ ß ǅ Ω',
  '\r\n\t\u000b',
  '%00%27%22',
  '${7*7} {{7*7}} <%= 7*7 %>',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/etc/shadow',
  'file:///etc/passwd',
  '~/.ssh/id_rsa',
  '\\\\server\\share',
  'redis://:hunter2@127.0.0.1:1/0',
  'postgresql://postgres:x@127.0.0.1:1/postgres',
  ' ',
  'A'.repeat(5000) + '\'"'
]

/** Values of the wrong type, boundaries and oddities for any position. */
export const ODD_VALUES: readonly unknown[] = [
  null,
  undefined,
  0,
  -0,
  -1,
  0.5,
  -2147483649,
  2 ** 53 + 1,
  1e308,
  -1e308,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  12345678901234567890n,
  true,
  false,
  '',
  'SELECT 1',
  [],
  [null],
  {},
  { $gt: '' },
  new Date(Number.NaN),
  new Map([['a', 1]]),
  new Set([1]),
  new Uint8Array([0, 1, 2]),
  /x/g
]

/** Keys a hostile caller adds: prototype keys and plausible privilege flags. */
export const EXTRA_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'then', 'isAdmin', 'role', 'sql', "x'; DROP TABLE t; --"]

/** Free text never forms a valid tenant slug, so no fuzzed request can create a tenant. */
function notASlug(s: string): string {
  return checkSlug(s).ok ? `${s}\u0000` : s
}

export function hostileString(maxLength = 10_000, minLength = 0): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
      // two attacks joined by a NUL byte: text PostgreSQL itself refuses
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...HOSTILE_STRINGS), fc.constantFrom(...HOSTILE_STRINGS)).map(([a, b]) => `${a}\u0000${b}`) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) }
    )
    .map((s) => {
      let out = s.slice(0, maxLength)
      if (out.trim().length < minLength) out = (out + 'x'.repeat(minLength)).slice(0, Math.max(minLength, maxLength))
      return notASlug(out)
    })
}

// ------------------------------------------------------------------ schema -> arbitrary

type JsonSchema = {
  type?: string
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  const?: unknown
  enum?: unknown[]
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  propertyNames?: JsonSchema
}

export interface ShapeOptions {
  /** Values for uuid fields (random ones, or real ids mixed in). */
  uuid: fc.Arbitrary<string>
  /** Values for properties of this name, wherever they appear (instead of the schema's). */
  hints?: Record<string, fc.Arbitrary<unknown>>
}

/** The channel's input schema as JSON Schema (input side: defaults make keys optional). */
export function inputJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
}

/**
 * Inputs shaped like the schema: right keys and types, enums and patterns respected,
 * numbers at and inside their bounds, and every free-text field a hostile string.
 * Most pass validation and reach the handler; some fail on trimming or length rules.
 */
export function shapedInput(s: JsonSchema, o: ShapeOptions): fc.Arbitrary<unknown> {
  const alts = s.anyOf ?? s.oneOf
  if (alts) return fc.oneof(...alts.map((a) => shapedInput(a, o)))
  if ('const' in s) return fc.constant(s.const)
  if (s.enum) return fc.constantFrom(...s.enum)
  switch (s.type) {
    case 'string': {
      if (s.format === 'uuid') return o.uuid
      const max = s.maxLength ?? 10_000
      const min = s.minLength ?? 0
      if (s.pattern) {
        const re = new RegExp(s.pattern)
        return fc.stringMatching(re).filter((v) => v.length <= max && v.length >= min)
      }
      return hostileString(max, min)
    }
    case 'integer':
    case 'number': {
      const min = s.minimum ?? -(2 ** 31)
      const max = s.maximum ?? 2 ** 31
      const inner = s.type === 'integer' ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true })
      return fc.oneof(fc.constantFrom(min, max), inner)
    }
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      const minLength = s.minItems ?? 0
      const items = fc.array(s.items ? shapedInput(s.items, o) : fc.anything(), { minLength, maxLength: Math.max(minLength, Math.min(s.maxItems ?? 8, 8)) })
      // Often empty when allowed: a filter of unknown values would stop the request before the database.
      return minLength === 0 ? fc.oneof(fc.constant([]), items) : items
    }
    case 'object': {
      if (s.properties && Object.keys(s.properties).length > 0) {
        const props = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, o.hints?.[k] ?? shapedInput(v, o)]))
        return fc.record(props, { requiredKeys: s.required ?? [], noNullPrototype: true })
      }
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        const key = s.propertyNames?.pattern ? fc.stringMatching(new RegExp(s.propertyNames.pattern)) : hostileString(40)
        return fc.dictionary(key, shapedInput(s.additionalProperties, o), { maxKeys: 4, noNullPrototype: true })
      }
      return fc.constant({})
    }
    default:
      return fc.anything()
  }
}

// ------------------------------------------------------------------ malformed variants

type Path = (string | number)[]

function leafPaths(v: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v as Record<string, unknown>)
    if (path.length > 0) out.push(path)
    for (const [k, x] of entries) leafPaths(x, [...path, k], out)
  } else if (path.length > 0) out.push(path)
  return out
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value
  const copy = structuredClone(root) as Record<string | number, unknown>
  let cur = copy
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>
  cur[path[path.length - 1]!] = value
  return copy
}

function deleteAt(root: unknown, path: Path): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>
  let cur = copy
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>
  const last = path[path.length - 1]!
  if (Array.isArray(cur)) cur.splice(Number(last), 1)
  else delete cur[last]
  return copy
}

/** Nested arrays/objects `depth` levels deep. */
export function deeplyNested(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 'bottom'
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v }
  return v
}

/** An object with an own "__proto__" key (what JSON.parse and structured clone can deliver). */
function withProtoKey(v: unknown): unknown {
  const base = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as object) : {}
  const o = JSON.parse(JSON.stringify({ ...base }, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))) as Record<string, unknown>
  return Object.assign(JSON.parse('{"__proto__": {"isAdmin": true, "polluted": "yes"}}') as object, o)
}

const oddValue = fc.constantFrom(...ODD_VALUES)
const hugeValue = fc.oneof(
  fc.constantFrom(100_001, 300_000).map((n) => 'x'.repeat(n)),
  fc.constantFrom(1_000, 20_000).map((d) => deeplyNested(d, 'array')),
  fc.constantFrom(1_000, 20_000).map((d) => deeplyNested(d, 'object')),
  fc.constant(Array.from({ length: 70_000 }, () => 0)),
  fc.constant(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])))
)

/** A malformed or boundary-breaking variant of a well-shaped input. */
export function malformedFrom(valid: unknown): fc.Arbitrary<unknown> {
  const paths = leafPaths(valid)
  const variants: fc.Arbitrary<unknown>[] = [
    // wrong type at the top
    oddValue,
    fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }),
    hugeValue,
    // extra keys, prototype keys
    fc.tuple(fc.constantFrom(...EXTRA_KEYS), fc.oneof(oddValue, hostileString(100))).map(([k, x]) => {
      const o = valid !== null && typeof valid === 'object' && !Array.isArray(valid) ? { ...(valid as object) } : {}
      Object.defineProperty(o, k, { value: x, enumerable: true, configurable: true, writable: true })
      return o
    }),
    fc.constant(withProtoKey(valid))
  ]
  if (paths.length > 0) {
    const path = fc.constantFrom(...paths)
    variants.push(
      path.map((p) => deleteAt(valid, p)), // missing key
      fc.tuple(path, oddValue).map(([p, x]) => setAt(valid, p, x)), // wrong type, negative and huge numbers
      fc.tuple(path, hostileString()).map(([p, x]) => setAt(valid, p, x)), // SQL and unicode where a pattern or number was expected
      fc.tuple(path, hugeValue).map(([p, x]) => setAt(valid, p, x)) // huge and deeply nested
    )
  }
  return fc.oneof(...variants)
}

// ------------------------------------------------------------------ forged senders

export const TRUSTED_ORIGIN = 'file:///app/out/renderer/'
export const TRUSTED_URL = `${TRUSTED_ORIGIN}index.html`

export const forgedSender: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    'about:blank',
    'https://evil.example/index.html',
    'http://127.0.0.1:5173/index.html',
    'file:///tmp/evil.html',
    'file:///app/out/renderer.evil/index.html',
    'file:///app/out/renderer',
    'FILE:///app/out/renderer/index.html',
    'data:text/html,<script>1</script>',
    'javascript:alert(1)',
    'devtools://devtools/bundled/inspector.html',
    'chrome-extension://abc/index.html',
    '\u0000file:///app/out/renderer/index.html'
  ),
  fc.webUrl(),
  fc.string({ unit: 'binary', maxLength: 60 })
)

// ------------------------------------------------------------------ answer checks

/** Text typical of a PostgreSQL error passed through, of a stack trace, or of a machine path. */
const LEAK_PATTERNS: { what: string; re: RegExp }[] = [
  { what: 'SQL error text', re: /syntax error at or near|relation "|column "|violates|duplicate key value|invalid input syntax|invalid byte sequence|current transaction is aborted|permission denied for|does not exist|unterminated quoted|null value in column/i },
  { what: 'SQL text', re: /\b(SELECT|INSERT INTO|UPDATE \S+ SET|DELETE FROM|CREATE (TABLE|SCHEMA|ROLE)|DROP (TABLE|SCHEMA)|ALTER (TABLE|ROLE)|COPY \S+ (FROM|TO))\b/ },
  { what: 'a stack trace', re: /\n\s+at |\bat \S+ \([^()\n]{0,300}:\d+:\d+\)|\.(ts|js|mjs|cjs):\d+(:\d+)?\b|node:internal|Error: [^\n]{0,300}\n/ },
  { what: 'a machine path', re: /(^|[\s"'(=:])\/(tmp|work|home|root|var|usr|opt|etc|proc|dev|srv|mnt|run)\/|node_modules|[A-Za-z]:\\\\|\/\.s\.PGSQL/ }
]

/** Every string the caller sent (keys and values), longest first: a message may quote them back. */
export function callerStrings(input: unknown): string[] {
  const out = new Set<string>()
  const add = (s: string): void => {
    out.add(s)
    out.add(s.trim())
    out.add(s.toLowerCase())
  }
  const walk = (v: unknown, depth: number): void => {
    if (depth > 50) return
    if (typeof v === 'string') add(v)
    else if (v instanceof Map) {
      for (const [k, x] of v) {
        walk(k, depth + 1)
        walk(x, depth + 1)
      }
    } else if (v instanceof Set) {
      for (const x of v) walk(x, depth + 1)
    } else if (v !== null && typeof v === 'object') {
      const arr = Array.isArray(v)
      for (const k of Object.keys(v)) {
        if (!arr) add(k)
        walk((v as Record<string, unknown>)[k], depth + 1)
      }
    }
  }
  walk(input, 0)
  return [...out].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length)
}

export interface AnswerContext {
  input: unknown
  /** Passwords, URLs with credentials: must never appear. */
  secrets: string[]
  /** Machine paths of this test run (checkout, temp folders) that must not appear. */
  machinePaths: string[]
}

/** Problems with one answer: the envelope, and leaks in any message. Empty when fine. */
export function answerProblems(answer: unknown, ctx: AnswerContext): string[] {
  const problems: string[] = []
  if (answer === null || typeof answer !== 'object') return [`not an envelope: ${String(answer)}`]
  const a = answer as Record<string, unknown>
  try {
    structuredClone(answer)
  } catch (e) {
    problems.push(`answer cannot cross IPC: ${(e as Error).message}`)
  }
  const messages: string[] = []
  if (a.ok === true) {
    if (Object.keys(a).sort().join() !== 'data,ok') problems.push(`ok envelope has keys ${Object.keys(a).join()}`)
    collectMessages(a.data, messages)
  } else if (a.ok === false) {
    if (Object.keys(a).sort().join() !== 'error,ok') problems.push(`error envelope has keys ${Object.keys(a).join()}`)
    const err = a.error as Record<string, unknown> | undefined
    if (!err || typeof err !== 'object') return [...problems, 'error envelope without error']
    const keys = Object.keys(err).sort().join()
    if (keys !== 'code,message' && keys !== 'code,details,message') problems.push(`error has keys ${keys}`)
    if (!(ERROR_CODES as readonly unknown[]).includes(err.code)) problems.push(`unknown error code ${String(err.code)}`)
    if (typeof err.message !== 'string' || err.message.trim().length === 0) problems.push('empty error message')
    else if (err.message.length > 2_000) problems.push(`error message of ${err.message.length} characters`)
    if (typeof err.message === 'string') messages.push(err.message)
    if (err.details !== undefined) {
      try {
        if (JSON.stringify(JSON.parse(JSON.stringify(err.details))) !== JSON.stringify(err.details)) problems.push('details are not JSON-safe')
      } catch {
        problems.push('details are not JSON-safe')
      }
      collectMessages(err.details, messages)
    }
  } else problems.push(`envelope without ok: ${JSON.stringify(a).slice(0, 200)}`)

  const quoted = callerStrings(ctx.input)
  for (const original of messages) {
    let m = original.slice(0, 20_000)
    for (const q of quoted) m = m.split(q).join('«input»')
    m = unquoteClipped(m, quoted)
    for (const { what, re } of LEAK_PATTERNS) {
      const hit = re.exec(m)
      if (hit) problems.push(`${what} in a message ("${hit[0]}"): ${original.slice(0, 300)}`)
    }
    for (const s of ctx.secrets) if (s && m.includes(s)) problems.push(`a secret in a message: ${original.slice(0, 300)}`)
    for (const p of ctx.machinePaths) if (p && m.includes(p)) problems.push(`a machine path in a message: ${original.slice(0, 300)}`)
  }
  return problems
}

/** A quoted caller string cut short ("SELECT * FR…"): the cut part counts as quoted too. */
function unquoteClipped(m: string, quoted: string[]): string {
  let at = m.indexOf('…')
  while (at > 0) {
    let best = 0
    for (const q of quoted) {
      for (let k = Math.min(q.length - 1, at); k >= 3 && k > best; k--) {
        if (m.slice(at - k, at) === q.slice(0, k)) {
          best = k
          break
        }
      }
    }
    if (best > 0) m = `${m.slice(0, at - best)}«input»${m.slice(at + 1)}`
    at = m.indexOf('…', at - best + 1)
  }
  return m
}

/** Strings a person reads in a success answer: message-like fields, at any depth. */
function collectMessages(v: unknown, out: string[], key = '', depth = 0): void {
  if (depth > 20) return
  if (typeof v === 'string') {
    if (/^(message|problem|error|detail|reason|warnings?|notes?|hint)$/i.test(key)) out.push(v)
  } else if (Array.isArray(v)) {
    for (const x of v) collectMessages(x, out, key, depth + 1)
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) collectMessages(x, out, k, depth + 1)
  }
}

// ------------------------------------------------------------------ database fingerprint

export interface DbFingerprint {
  /** schema.table -> md5 of all rows in a stable order */
  tables: Map<string, string>
  /** schemas and relations (kind) */
  catalog: string
  /** highest console.operator_log id */
  auditMax: number
}

/** The audit table: rows may be appended (documented), never changed. */
export const AUDIT_TABLE = 'console.operator_log'

/** `auditUpTo`: hash only the audit rows up to this id (the last one of the earlier fingerprint). */
export async function fingerprint(c: pg.Client, auditUpTo?: number): Promise<DbFingerprint> {
  const rels = await c.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
      ORDER BY 1, 2`
  )
  const catalog = await c.query<{ s: string }>(
    `SELECT string_agg(n.nspname || '.' || coalesce(c.relname, '') || ':' || coalesce(c.relkind::text, ''), ',' ORDER BY n.nspname, c.relname) AS s
       FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`
  )
  const auditMax = await c.query<{ m: string | null }>(`SELECT max(id)::text AS m FROM console.operator_log`)
  const max = Number(auditMax.rows[0]?.m ?? 0)
  const tables = new Map<string, string>()
  for (const r of rels.rows) {
    const q = `"${r.schema.replace(/"/g, '""')}"."${r.name.replace(/"/g, '""')}"`
    const key = `${r.schema}.${r.name}`
    const where = key === AUDIT_TABLE ? ` WHERE t.id <= ${Math.trunc(auditUpTo ?? max)}` : ''
    const h = await c.query<{ h: string }>(`SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS h FROM ${q} t${where}`)
    tables.set(key, h.rows[0]!.h)
  }
  return { tables, catalog: catalog.rows[0]?.s ?? '', auditMax: max }
}

/** What changed between two fingerprints, apart from rows appended to the audit table. */
export function fingerprintChanges(before: DbFingerprint, after: DbFingerprint): string[] {
  const out: string[] = []
  if (before.catalog !== after.catalog) out.push('schemas or relations were created or dropped')
  for (const [k, h] of before.tables) {
    if (!after.tables.has(k)) out.push(`${k} is gone`)
    else if (after.tables.get(k) !== h) out.push(k === AUDIT_TABLE ? `${k}: existing rows changed` : `${k} changed`)
  }
  for (const k of after.tables.keys()) if (!before.tables.has(k)) out.push(`${k} appeared`)
  return out
}
