import { IconSearch, IconX } from '../../components/icons'

function ChipGroup({
  label,
  options,
  value,
  onChange,
  loading
}: {
  label: string
  options: string[]
  value: string[]
  onChange(next: string[]): void
  loading: boolean
}) {
  return (
    <div className="chip-group" role="group" aria-label={label}>
      <span className="chip-group-label">{label}</span>
      {loading && <span className="skel skel-chip" />}
      {options.map((o) => {
        const on = value.includes(o)
        return (
          <button
            key={o}
            type="button"
            className={`chip${on ? ' on' : ''}`}
            aria-pressed={on}
            onClick={() => onChange(on ? value.filter((v) => v !== o) : [...value, o])}
          >
            {o}
          </button>
        )
      })}
    </div>
  )
}

export interface ToolbarProps {
  search: string
  onSearch(v: string): void
  statuses: string[]
  onStatuses(v: string[]): void
  plans: string[]
  onPlans(v: string[]): void
  statusOptions: string[]
  planOptions: string[]
  facetsLoading: boolean
  /** "No verified backup in the last N hours"; null: off. */
  staleHours: number | null
  onStaleHours(v: number | null): void
  filtered: boolean
  onClear(): void
}

export function Toolbar(p: ToolbarProps) {
  return (
    <div className="toolbar">
      <label className="search">
        <IconSearch className="search-icon" />
        <input
          type="search"
          placeholder="Search name, slug, email or domain"
          aria-label="Search tenants"
          value={p.search}
          maxLength={200}
          spellCheck={false}
          onChange={(e) => p.onSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && p.search) {
              e.stopPropagation()
              p.onSearch('')
            }
          }}
        />
        {p.search && (
          <button type="button" className="search-clear" aria-label="Clear search" onClick={() => p.onSearch('')}>
            <IconX width={14} height={14} />
          </button>
        )}
      </label>
      <ChipGroup label="Status" options={p.statusOptions} value={p.statuses} onChange={p.onStatuses} loading={p.facetsLoading} />
      <ChipGroup label="Plan" options={p.planOptions} value={p.plans} onChange={p.onPlans} loading={p.facetsLoading} />
      <label className="chip-group" title="Tenants whose newest verified backup is older than this, or who have none">
        <span className="chip-group-label">No verified backup in</span>
        <input
          type="number"
          className="hours-input"
          aria-label="No verified backup in the last N hours"
          data-testid="stale-backup-hours"
          min={1}
          max={87600}
          placeholder="—"
          value={p.staleHours ?? ''}
          onChange={(e) => {
            const n = Number.parseInt(e.target.value, 10)
            p.onStaleHours(Number.isInteger(n) && n >= 1 && n <= 87600 ? n : null)
          }}
          style={{ width: 64 }}
        />
        <span className="chip-group-label">hours</span>
      </label>
      {p.filtered && (
        <button type="button" className="btn-link" onClick={p.onClear}>
          Clear filters
        </button>
      )}
    </div>
  )
}
