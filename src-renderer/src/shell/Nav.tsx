import type { ConsoleRole } from '../../../src-preload/contract'
import type { ScreenDef } from '../app/screens'

const RANK: Record<ConsoleRole, number> = { none: 0, support: 1, admin: 2 }

export function Nav({ screens, current, role, onSelect }: { screens: ScreenDef[]; current: string; role: ConsoleRole; onSelect: (id: string) => void }) {
  const visible = screens.filter((s) => !s.minRole || RANK[role] >= RANK[s.minRole])
  return (
    <nav className="nav" aria-label="Main">
      <div className="nav-brand">
        <span className="nav-logo" aria-hidden="true">
          n
        </span>
        <span>
          nChat <b>Console</b>
        </span>
      </div>
      <ul className="nav-list">
        {visible.map((s, i) => {
          const heading = s.section && s.section !== visible[i - 1]?.section ? s.section : null
          return (
            <li key={s.id}>
              {heading && <div className="nav-section">{heading}</div>}
              <a
                href={`#/${s.id}`}
                className={`nav-item${s.id === current ? ' active' : ''}`}
                aria-current={s.id === current ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault()
                  onSelect(s.id)
                }}
              >
                {s.icon}
                <span>{s.label}</span>
              </a>
            </li>
          )
        })}
      </ul>
    </nav>
  )
}
