import { useState, type ReactNode } from 'react'
import { RANGE_MONTHS, type OverviewChart, type RangeMonths } from '../../../../src-preload/contract'
import { call } from '../../api/bridge'

/** Colours by status and plan (CSS variables of the stylesheet, so dark mode follows). */
export const STATUS_COLOR: Record<string, string> = {
  active: 'var(--green)',
  trial: 'var(--blue)',
  suspended: 'var(--amber)',
  cancelled: 'var(--gray)',
  pending: 'var(--violet)'
}
export const PLAN_COLOR: Record<string, string> = {
  free: 'var(--gray)',
  starter: 'var(--teal)',
  pro: 'var(--blue)',
  business: 'var(--indigo)',
  enterprise: 'var(--violet)',
  custom: 'var(--amber)'
}

export function RangeSelector({ value, onChange }: { value: RangeMonths; onChange(v: RangeMonths): void }) {
  return (
    <div className="seg" role="radiogroup" aria-label="Range">
      {RANGE_MONTHS.map((m) => (
        <button key={m} type="button" role="radio" aria-checked={value === m} className={`seg-btn${value === m ? ' on' : ''}`} onClick={() => onChange(m)}>
          {m} months
        </button>
      ))}
    </div>
  )
}

export interface Table {
  header: string[]
  rows: ReactNode[][]
}

/**
 * A chart with its numbers one click away: "Table" shows them, "CSV" saves them through
 * the native save dialog (main writes the file; the renderer never sees a path it chose).
 */
export function ChartCard({
  title,
  subtitle,
  table,
  csv,
  children,
  wide = false,
  testId
}: {
  title: string
  subtitle?: ReactNode
  table: Table
  csv?: { chart: OverviewChart; months: RangeMonths }
  children: ReactNode
  wide?: boolean
  testId?: string
}) {
  const [showTable, setShowTable] = useState(false)
  const [saved, setSaved] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const save = async () => {
    if (!csv) return
    setBusy(true)
    setSaved(null)
    try {
      const r = await call('insights:exportCsv', csv)
      setSaved(r.saved ? `Saved ${r.rows} rows` : null)
    } catch (e) {
      setSaved(e instanceof Error ? e.message : 'Could not save')
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className={`in-card${wide ? ' wide' : ''}`} aria-label={title} data-testid={testId}>
      <header className="in-card-head">
        <div>
          <h2>{title}</h2>
          {subtitle && <div className="muted small">{subtitle}</div>}
        </div>
        <span className="in-spacer" />
        {saved && <span className="muted small">{saved}</span>}
        <button type="button" className="btn btn-small" aria-pressed={showTable} onClick={() => setShowTable((v) => !v)}>
          {showTable ? 'Chart' : 'Table'}
        </button>
        {csv && (
          <button type="button" className="btn btn-small" disabled={busy} onClick={() => void save()}>
            CSV
          </button>
        )}
      </header>
      {showTable ? (
        <div className="in-table-wrap">
          <table className="in-table">
            <thead>
              <tr>
                {table.header.map((h) => (
                  <th key={h}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((r, i) => (
                <tr key={i}>
                  {r.map((c, j) => (
                    <td key={j}>{c}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <div className="in-chart">{children}</div>
      )}
    </section>
  )
}

/** "2026-03" → "Mar 26" for axes. */
export function monthLabel(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number]
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en', { month: 'short', year: '2-digit', timeZone: 'UTC' })
}

export function compact(n: number): string {
  return Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(n)
}
