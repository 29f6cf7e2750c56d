/**
 * Command-line flags derived from a channel's zod input schema (zod 4), so a channel
 * added to the contract gets its flags without new CLI code.
 *
 * Field `tenantId` becomes `--tenant-id`; a nested object's fields become dotted flags
 * (`--fields.host`); an array is a repeatable flag or a comma list (`--status a,b`; the
 * singular of a plural name is accepted too: `--status` for `statuses`); a `true`
 * literal or a boolean is a switch (`--deep`, `--deep=false`); records and anything
 * else take JSON. `--input JSON` gives the whole object (flags override its fields).
 * Nothing here checks values beyond their JSON type: the registry validates them with
 * the very same schema, exactly as for the app.
 */
import type { z } from 'zod'
import { AppError } from '../core/errors'

export type FlagKind = 'string' | 'number' | 'boolean' | 'enum' | 'array' | 'json'

export interface FlagSpec {
  /** Dotted path in the input object, e.g. ['fields', 'host']. */
  path: string[]
  /** The flag without dashes, e.g. 'fields.host'. */
  name: string
  kind: FlagKind
  /** For arrays: the element's kind. */
  element?: Exclude<FlagKind, 'array'>
  /** Allowed values (enums and literals). */
  values?: string[]
  required: boolean
  defaultValue?: unknown
  description?: string
}

type Def = { type: string; [k: string]: unknown }
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def

export const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

interface Leaf {
  kind: Exclude<FlagKind, 'array'>
  values?: string[]
}

/** Unwraps optional/default/nullable/readonly, noting whether the field may be left out. */
function unwrap(s: z.ZodType): { schema: z.ZodType; optional: boolean; defaultValue?: unknown } {
  let cur = s
  let optional = false
  let defaultValue: unknown
  for (;;) {
    const d = defOf(cur)
    if (d.type === 'optional' || d.type === 'nullable' || d.type === 'readonly' || d.type === 'nonoptional') {
      if (d.type === 'optional') optional = true
      cur = d.innerType as z.ZodType
    } else if (d.type === 'default' || d.type === 'prefault' || d.type === 'catch') {
      optional = true
      if (d.type === 'default') {
        const v = d.defaultValue
        defaultValue = typeof v === 'function' ? (v as () => unknown)() : v
      }
      cur = d.innerType as z.ZodType
    } else if (d.type === 'pipe') {
      cur = d.in as z.ZodType
    } else return { schema: cur, optional, defaultValue }
  }
}

function leaf(s: z.ZodType): Leaf {
  const d = defOf(s)
  switch (d.type) {
    case 'string':
      return { kind: 'string' }
    case 'number':
    case 'int':
    case 'bigint':
      return { kind: 'number' }
    case 'boolean':
      return { kind: 'boolean' }
    case 'enum':
      return { kind: 'enum', values: Object.values(d.entries as Record<string, string>).map(String) }
    case 'literal': {
      const vals = d.values as unknown[]
      if (vals.length === 1 && vals[0] === true) return { kind: 'boolean' }
      return { kind: 'enum', values: vals.map(String) }
    }
    case 'union': {
      // A union of leaves (e.g. a uuid or the literal 'demo'): a string with the literals listed.
      const parts = (d.options as z.ZodType[]).map((o) => leaf(unwrap(o).schema))
      if (parts.every((p) => p.kind === 'string' || p.kind === 'enum')) {
        const lits = parts.flatMap((p) => p.values ?? [])
        return parts.some((p) => p.kind === 'string') ? { kind: 'string', values: lits.length ? lits : undefined } : { kind: 'enum', values: lits }
      }
      return { kind: 'json' }
    }
    default:
      return { kind: 'json' }
  }
}

/** Object shapes of a schema: one for a strict object, several for a union of objects. */
function shapes(s: z.ZodType): Record<string, z.ZodType>[] | null {
  const { schema } = unwrap(s)
  const d = defOf(schema)
  if (d.type === 'object') return [d.shape as Record<string, z.ZodType>]
  if (d.type === 'union') {
    const all = (d.options as z.ZodType[]).map(shapes)
    if (all.every((x): x is Record<string, z.ZodType>[] => x !== null)) return all.flat()
  }
  return null
}

function collect(s: z.ZodType, prefix: string[], required: boolean, out: Map<string, FlagSpec>): void {
  const objs = shapes(s)
  if (!objs) return
  const inUnion = objs.length > 1
  for (const shape of objs) {
    for (const [key, field] of Object.entries(shape)) {
      const path = [...prefix, key]
      const name = path.map(kebab).join('.')
      const u = unwrap(field)
      const req = required && !u.optional && !inUnion
      const d = defOf(u.schema)
      if (d.type === 'object') {
        collect(u.schema, path, req, out)
        continue
      }
      let spec: FlagSpec
      if (d.type === 'array') {
        const el = leaf(unwrap(d.element as z.ZodType).schema)
        spec = { path, name, kind: 'array', element: el.kind, values: el.values, required: req }
      } else {
        const l = leaf(u.schema)
        spec = { path, name, kind: l.kind, values: l.values, required: req }
      }
      if (u.defaultValue !== undefined && typeof u.defaultValue !== 'object') spec.defaultValue = u.defaultValue
      const prev = out.get(name)
      if (prev) {
        // The same field in several union members: merge what they allow.
        if (prev.values && spec.values) prev.values = [...new Set([...prev.values, ...spec.values])]
        prev.required = prev.required && spec.required
      } else out.set(name, spec)
    }
  }
}

/** The flags of an input schema, in schema order. */
export function flagsOf(schema: z.ZodType): FlagSpec[] {
  const out = new Map<string, FlagSpec>()
  collect(schema, [], true, out)
  return [...out.values()]
}

/** "string", "number", "one of: a, b", "list of string (repeat or comma-separated)". */
export function describeType(f: FlagSpec): string {
  const base = (k: FlagKind, values?: string[]) =>
    k === 'enum' ? `one of: ${(values ?? []).join(', ')}` : k === 'boolean' ? 'switch' : k === 'json' ? 'JSON' : values?.length ? `${k} (or: ${values.join(', ')})` : k
  if (f.kind === 'array') return `list of ${base(f.element ?? 'string', f.values)} (repeat the flag or separate with commas)`
  return base(f.kind, f.values)
}

function convert(kind: Exclude<FlagKind, 'array'>, raw: string, flag: string): unknown {
  switch (kind) {
    case 'number': {
      const n = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(n)) throw new AppError('INVALID_INPUT', `--${flag} takes a number; got "${raw.slice(0, 40)}".`)
      return n
    }
    case 'boolean':
      if (/^(true|yes|1)$/i.test(raw)) return true
      if (/^(false|no|0)$/i.test(raw)) return false
      throw new AppError('INVALID_INPUT', `--${flag} is a switch: give it alone, or --${flag}=false.`)
    case 'json':
      try {
        return JSON.parse(raw)
      } catch {
        throw new AppError('INVALID_INPUT', `--${flag} takes JSON (e.g. '{"key": 1}').`)
      }
    default:
      return raw
  }
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj
  for (const k of path.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null || Array.isArray(cur[k])) cur[k] = {}
    cur = cur[k] as Record<string, unknown>
  }
  cur[path[path.length - 1]!] = value
}

export interface ParsedArgs {
  /** Flag name (without dashes) -> the values given, in order; a bare switch gives 'true'. */
  flags: Map<string, string[]>
  positionals: string[]
}

/**
 * Splits argv into flags and positionals. `--name value`, `--name=value`; a flag whose
 * next word is another flag (or nothing) is a switch. `switches` names flags that never
 * take a value (so `--deep FILE` does not swallow FILE).
 */
export function splitArgs(argv: string[], switches: Set<string>): ParsedArgs {
  const flags = new Map<string, string[]>()
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=')
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2)
      let value: string
      if (eq > 0) value = a.slice(eq + 1)
      else if (switches.has(name) || i + 1 >= argv.length || argv[i + 1]!.startsWith('--')) value = 'true'
      else value = argv[++i]!
      flags.set(name, [...(flags.get(name) ?? []), value])
    } else if (a === '-h') flags.set('help', ['true'])
    else positionals.push(a)
  }
  return { flags, positionals }
}

/** Finds the spec a flag name refers to (exact, camelCase spelling, or singular of a plural list). */
export function specFor(specs: FlagSpec[], name: string): FlagSpec | undefined {
  const norm = name.split('.').map(kebab).join('.')
  return specs.find((s) => s.name === norm) ?? specs.find((s) => s.kind === 'array' && (s.name === `${norm}s` || s.name === `${norm}es`))
}

/**
 * Builds the input object from the flags a channel's schema knows. Flags not handled
 * here (global ones) must be removed by the caller first; any left over is refused.
 */
export function buildInput(specs: FlagSpec[], flags: Map<string, string[]>, base: Record<string, unknown> = {}): Record<string, unknown> {
  const input: Record<string, unknown> = structuredClone(base)
  for (const [name, values] of flags) {
    const spec = specFor(specs, name)
    if (!spec) {
      throw new AppError('INVALID_INPUT', `Unknown flag --${name}. See --help for the flags of this command.`)
    }
    if (spec.kind === 'array') {
      const items = values.flatMap((v) => (spec.element === 'json' ? [v] : v.split(',').map((x) => x.trim()).filter(Boolean)))
      setPath(input, spec.path, items.map((x) => convert(spec.element ?? 'string', x, spec.name)))
    } else {
      if (values.length > 1) throw new AppError('INVALID_INPUT', `--${spec.name} was given ${values.length} times; give it once.`)
      setPath(input, spec.path, convert(spec.kind === 'enum' ? 'string' : spec.kind, values[0]!, spec.name))
    }
  }
  return input
}
