/**
 * Backups without a schema. A tenant row can outlive its schema (dropped by hand, a failed
 * creation, data-model.md section 4). Such a tenant could never be hard deleted: the
 * delete needs a fresh verified backup, and pg_dump has no schema to dump. So a single
 * backup of it (never a batch: there a missing schema is a finding to report) holds its
 * public rows alone, and its manifest says `schemaMissing: true` (docs/backup-format.md).
 *
 *  - quick verification: checksums, then the public rows against the manifest (counts per
 *    table, exactly one tenants row with the manifest's id, every other row keyed to it);
 *  - deep verification: those rows inserted into temporary copies of the public tables
 *    (their columns, defaults, NOT NULLs and CHECKs) in a transaction that is rolled
 *    back, counted and compared;
 *  - restore into the same tenant: the public rows only, and only while the tenant still
 *    has no schema; a restore as a copy is refused (a copy would be a tenant whose schema
 *    does not exist).
 */
import type pg from 'pg'
import { AppError } from '../core/errors'
import { quoteIdent } from '../core/ident'
import { readPart, type BackupManifest, type OpenedBackup } from './container'
import { PUBLIC_PART } from './parts'
import { PUBLIC_TABLES } from './snapshot'

/** Why a backup without a schema cannot become a copy: said before anything is touched. */
export function rowsOnlyCopyRefusal(m: BackupManifest): AppError {
  return new AppError(
    'UNSUPPORTED',
    `Nothing was changed: this backup of ${m.tenant.slug} holds no schema (the tenant's schema ${m.tenant.schema} was already missing when it was backed up), only its public rows. ` +
      'A copy would be a tenant whose schema does not exist, which the app cannot open. Restore it into the same tenant to bring its rows back, or create a new tenant.'
  )
}

/** What a restore of rows only says it did. */
export function rowsOnlyRestoreNote(m: BackupManifest): string {
  return `This backup holds no schema (the tenant's schema ${m.tenant.schema} was missing when it was backed up): only its public rows were restored, and the tenant still has no schema.`
}

/** The public part as lines per table. */
export function groupPublic(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    if (!line) continue
    const tab = line.indexOf('\t')
    if (tab <= 0) throw new AppError('INVALID_INPUT', "Nothing was changed: the backup's public rows are malformed.")
    const t = line.slice(0, tab)
    const list = out.get(t) ?? []
    list.push(line.slice(tab + 1))
    out.set(t, list)
  }
  return out
}

const keyOf = new Map(PUBLIC_TABLES.map((t) => [t.table, t.key]))

/**
 * The public rows of a backup without a schema, checked against its manifest: the counts
 * per table, one tenants row with the manifest's id, slug and schema, every other row of
 * that tenant. Throws INVALID_INPUT with what is wrong.
 */
export async function checkRowsOnlyFile(b: OpenedBackup): Promise<Map<string, string[]>> {
  const m = b.manifest
  const bad = (why: string) => new AppError('INVALID_INPUT', `The backup (without a schema) is not consistent: ${why}.`)
  const pub = groupPublic((await readPart(b, PUBLIC_PART)).toString('utf8'))
  const listed = new Set(m.publicTables.map((t) => t.table))
  for (const t of m.publicTables) {
    const n = pub.get(t.table)?.length ?? 0
    if (n !== t.rows) throw bad(`it holds ${n} ${t.table} row(s), its manifest says ${t.rows}`)
  }
  for (const table of pub.keys()) if (!listed.has(table)) throw bad(`it holds ${table} rows its manifest does not list`)
  const tenants = pub.get('tenants') ?? []
  if (tenants.length !== 1) throw bad(`it holds ${tenants.length} tenants rows, not one`)
  const row = parse(tenants[0]!, bad)
  if (row.id !== m.tenant.id || row.slug !== m.tenant.slug || row.schema_name !== m.tenant.schema) {
    throw bad("its tenants row is not the tenant its manifest names")
  }
  for (const [table, lines] of pub) {
    if (table === 'tenants') continue
    const key = keyOf.get(table)
    if (!key) throw bad(`it holds rows of ${table}, which is not a tenancy table`)
    for (const l of lines) if (parse(l, bad)[key] !== m.tenant.id) throw bad(`a ${table} row belongs to another tenant`)
  }
  return pub
}

function parse(line: string, bad: (why: string) => AppError): Record<string, unknown> {
  try {
    const x = JSON.parse(line) as unknown
    if (x && typeof x === 'object' && !Array.isArray(x)) return x as Record<string, unknown>
  } catch {
    // reported below
  }
  throw bad('a public row is not a JSON object')
}

/**
 * Deep verification of a backup without a schema, inside the caller's transaction (which
 * the caller rolls back): each table's rows go into a temporary table shaped like the
 * public table, then are counted and compared with the manifest.
 */
export async function rowsIntoScratch(
  c: pg.ClientBase,
  m: BackupManifest,
  pub: Map<string, string[]>
): Promise<{ counts: { table: string; expected: number; found: number | null }[]; rows: number }> {
  const counts: { table: string; expected: number; found: number | null }[] = []
  const bad: string[] = []
  let rows = 0
  for (const [i, t] of m.publicTables.entries()) {
    const exists = (await c.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`public.${quoteIdent(t.table)}`])).rows[0]!.ok
    if (!exists) {
      counts.push({ table: `public.${t.table}`, expected: t.rows, found: null })
      if (t.rows) bad.push(`public.${t.table} (this database has no such table)`)
      continue
    }
    const scratch = quoteIdent(`nchat_verify_rows_${i}`)
    await c.query(`CREATE TEMP TABLE ${scratch} (LIKE public.${quoteIdent(t.table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) ON COMMIT DROP`)
    const lines = pub.get(t.table) ?? []
    for (let j = 0; j < lines.length; j += 1000) {
      await c.query(`INSERT INTO ${scratch} SELECT r.* FROM jsonb_array_elements($1::jsonb) e, LATERAL jsonb_populate_record(NULL::${scratch}, e) r`, [
        `[${lines.slice(j, j + 1000).join(',')}]`
      ])
    }
    const key = t.table === 'tenants' ? 'id' : keyOf.get(t.table)!
    const r = await c.query<{ n: number; mine: number }>(
      `SELECT count(*)::bigint AS n, count(*) FILTER (WHERE ${quoteIdent(key)}::text = $1)::bigint AS mine FROM ${scratch}`,
      [m.tenant.id]
    )
    const found = Number(r.rows[0]!.n)
    counts.push({ table: `public.${t.table}`, expected: t.rows, found })
    rows += found
    if (found !== t.rows) bad.push(`public.${t.table} (${found} rows, expected ${t.rows})`)
    else if (Number(r.rows[0]!.mine) !== found) bad.push(`public.${t.table} (rows of another tenant)`)
  }
  if (bad.length) throw new AppError('INTERNAL', `The backup's public rows do not restore as its manifest says: ${bad.slice(0, 5).join(', ')}.`)
  return { counts, rows }
}
