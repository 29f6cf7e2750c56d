import type { AclEntry, SchemaShape } from './catalog'

/**
 * Parity check: compares the shape of a new tenant schema, read back from the
 * catalog after the clone ran, with the template's shape. Both are normalized
 * (schema name taken out of definitions); any difference fails the creation.
 *
 * ACL differences that the console introduces on purpose are ignored: grants to the
 * console's own group roles, and the template owner's grant when the console had to
 * create the schema under its admin group (see service.createTenant).
 */

const CONSOLE_ROLES = new Set(['nchat_console_support', 'nchat_console_admin'])

function normAcl(acl: AclEntry[], ownerAliases: Set<string>): string[] {
  return [
    ...new Set(
      acl
        .filter((a) => !CONSOLE_ROLES.has(a.grantee))
        .map((a) => `${ownerAliases.has(a.grantee) ? '<owner>' : a.grantee}:${a.priv}:${a.grantable ? 'g' : ''}`)
    )
  ].sort()
}

const VARCHAR_LIST = /\(ARRAY\[((?:'(?:[^']|'')*'::character varying(?:, )?)+)\]\)::text\[\]/g
const VARCHAR_ITEM = /'(?:[^']|'')*'::character varying/g

/**
 * PostgreSQL renders `varchar_col IN ('a', 'b')` as `(ARRAY['a'::character varying, ...])::text[]`
 * when it was written so (the app's templates), but the same constraint re-created from that
 * text reads back as `ARRAY[('a'::character varying)::text, ...]`: one meaning, two texts.
 * Both come out in the second form here.
 */
export function normalizeExpr(def: string): string {
  return def.replace(VARCHAR_LIST, (_m, items: string) => `ARRAY[${items.match(VARCHAR_ITEM)!.map((x) => `(${x})::text`).join(', ')}]`)
}

/** A comparable projection of a normalized shape. */
function project(shape: SchemaShape, ownerAliases: Set<string>): Map<string, string> {
  const m = new Map<string, string>()
  const put = (k: string, v: unknown) => m.set(k, JSON.stringify(v))
  put('schema.comment', shape.comment)
  put('schema.acl', normAcl(shape.acl, ownerAliases))
  put('schema.extensions', shape.extensions)
  put('schema.otherClasses', shape.otherClasses)
  for (const t of shape.types) {
    const { acl, ...rest } = t
    put(`type ${t.name}`, { ...rest, acl: normAcl(acl, ownerAliases) })
  }
  for (const f of shape.functions) {
    const { acl, ...rest } = f
    put(`function ${f.name}(${f.args})`, { ...rest, acl: normAcl(acl, ownerAliases) })
  }
  for (const s of shape.sequences) {
    const { acl, ...rest } = s
    put(`sequence ${s.name}`, { ...rest, acl: normAcl(acl, ownerAliases) })
  }
  for (const r of shape.relations) {
    const { columns, constraints, indexes, triggers, policies, acl, ...rest } = r
    put(`relation ${r.name}`, { ...rest, acl: normAcl(acl, ownerAliases) })
    put(`relation ${r.name} column order`, columns.map((c) => c.name))
    for (const c of columns) {
      const { acl: cacl, ...crest } = c
      put(`column ${r.name}.${c.name}`, { ...crest, acl: normAcl(cacl, ownerAliases) })
    }
    for (const c of constraints) put(`constraint ${r.name}.${c.name}`, { ...c, def: normalizeExpr(c.def) })
    for (const i of indexes) put(`index ${r.name}.${i.name}`, i)
    for (const g of triggers) put(`trigger ${r.name}.${g.name}`, g)
    for (const p of policies) put(`policy ${r.name}.${p.name}`, { ...p, qual: p.qual && normalizeExpr(p.qual), check: p.check && normalizeExpr(p.check) })
  }
  return m
}

export interface ParityResult {
  ok: boolean
  /** Human-readable differences, e.g. "missing in new schema: index messages.messages_user_idx". */
  differences: string[]
  objectsCompared: number
}

export function compareShapes(
  template: SchemaShape,
  target: SchemaShape,
  opts: { targetOwnerAliases?: string[] } = {}
): ParityResult {
  const a = project(template, new Set())
  const b = project(target, new Set(opts.targetOwnerAliases ?? []))
  const differences: string[] = []
  for (const [k, v] of a) {
    if (!b.has(k)) differences.push(`missing in new schema: ${k}`)
    else if (b.get(k) !== v) differences.push(`differs: ${k}`)
  }
  for (const k of b.keys()) if (!a.has(k)) differences.push(`extra in new schema: ${k}`)
  return { ok: differences.length === 0, differences, objectsCompared: a.size }
}
