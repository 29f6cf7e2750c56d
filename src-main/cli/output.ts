/** Human output of the CLI: tables for lists, aligned key/value lines for objects. */

const MAX_CELL = 48

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-'
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

function clip(s: string, max = MAX_CELL): string {
  const one = s.replace(/\s+/g, ' ')
  return one.length > max ? `${one.slice(0, max - 1)}…` : one
}

const isScalar = (v: unknown) => v === null || v === undefined || ['string', 'number', 'boolean'].includes(typeof v)

/** A plain-text table; columns are the scalar fields of the rows (or those given). */
export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (!rows.length) return '(none)'
  const cols = columns ?? Object.keys(rows[0]!).filter((k) => rows.every((r) => isScalar(r[k])))
  const cells = rows.map((r) => cols.map((c) => clip(cell(r[c]))))
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)))
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')
}

function isRowList(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))
}

/** Renders any channel's data for a person. */
export function render(data: unknown): string {
  if (data === null || data === undefined) return '(nothing)'
  if (isScalar(data)) return cell(data)
  if (Array.isArray(data)) return isRowList(data) ? table(data) : data.length ? data.map(cell).join('\n') : '(none)'
  const o = data as Record<string, unknown>
  // A page of rows (tenants list): the table and where it is in the whole.
  if (isRowList(o.rows) && typeof o.total === 'number') {
    const offset = Number(o.offset ?? 0)
    const shown = (o.rows as unknown[]).length
    return `${table(o.rows)}\n${shown ? `${offset + 1}–${offset + shown}` : 'none'} of ${o.total}`
  }
  if (Array.isArray(o.rows) && o.rows.length === 0 && typeof o.total === 'number') return `(none) — 0 of ${o.total}`
  const keys = Object.keys(o)
  const width = Math.max(...keys.map((k) => k.length))
  const out: string[] = []
  const subtables: string[] = []
  for (const k of keys) {
    const v = o[k]
    if (isRowList(v)) subtables.push(`\n${k}:\n${table(v)}`)
    else out.push(`${k.padEnd(width)}  ${isScalar(v) ? cell(v) : clip(cell(v), 200)}`)
  }
  return [...out, ...subtables].join('\n')
}
