/** Formatting helpers shared by every screen: numbers, byte sizes, dates. */

const intFmt = new Intl.NumberFormat('en-US')

export function formatInt(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : intFmt.format(n)
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']

/** 1024-based sizes, as PostgreSQL's pg_size_pretty reports them. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—'
  if (n < 1024) return `${n} B`
  let v = n
  let i = 0
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024
    i++
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[i]}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const pad = (n: number) => String(n).padStart(2, '0')

function toDate(iso: string | null | undefined): Date | null {
  if (!iso) return null
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? null : d
}

/** "12 Mar 2025" (UTC). */
export function formatDate(iso: string | null | undefined): string {
  const d = toDate(iso)
  return d ? `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}` : '—'
}

/** "12 Mar 2025, 14:05 UTC". */
export function formatDateTime(iso: string | null | undefined): string {
  const d = toDate(iso)
  return d ? `${formatDate(iso)}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC` : '—'
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })

/** "in 3 days", "2 months ago". */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  const d = toDate(iso)
  if (!d) return ''
  const sec = (d.getTime() - now) / 1000
  const abs = Math.abs(sec)
  const steps: [number, Intl.RelativeTimeFormatUnit][] = [
    [60, 'second'],
    [3600, 'minute'],
    [86400, 'hour'],
    [86400 * 30, 'day'],
    [86400 * 365, 'month'],
    [Infinity, 'year']
  ]
  const div: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400, month: 86400 * 30, year: 86400 * 365 }
  for (const [limit, unit] of steps) {
    if (abs < limit) return rtf.format(Math.round(sec / div[unit]!), unit)
  }
  return ''
}

/** Cents to "$15.00". */
export function formatCents(cents: number | null | undefined, currency = 'USD'): string {
  if (cents === null || cents === undefined) return '—'
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100)
}

/** camelCase key to "Sentence case words". */
export function humanizeKey(key: string): string {
  const spaced = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}

export function capitalize(s: string | null | undefined): string {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : '—'
}
