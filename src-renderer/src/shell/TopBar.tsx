import type { SessionInfo } from '../../../src-preload/contract'
import { IconAlert, IconDatabase } from '../components/icons'

const ROLE_LABEL: Record<string, string> = { admin: 'Admin', support: 'Support', none: 'Read only' }

export function TopBar({ session, loading }: { session: SessionInfo | undefined; loading: boolean }) {
  const title = session?.profileName ?? session?.databaseLabel ?? (loading ? '' : 'No database selected')
  const notes = session?.layout?.unsupported ?? []
  return (
    <header className="topbar" data-testid="topbar">
      <div className="topbar-conn">
        <IconDatabase className="topbar-db-icon" />
        <div className="topbar-titles">
          <div className="topbar-title" data-testid="session-title">
            {title}
          </div>
          {session?.profileName && session.databaseLabel && <div className="topbar-sub mono">{session.databaseLabel}</div>}
        </div>
        {session?.environment && (
          <span className="env-badge" data-testid="env-badge">
            {session.environment}
          </span>
        )}
      </div>
      <div className="topbar-facts">
        {notes.length > 0 && (
          <span className="topbar-note" title={notes.join('\n')}>
            <IconAlert width={14} height={14} /> {notes.length} limitation{notes.length === 1 ? '' : 's'}
          </span>
        )}
        {session && !session.connected && session.problem && (
          <span className="conn-state conn-down" title={session.problem}>
            <span className="pill-dot" /> Not connected
          </span>
        )}
        {session?.connected && (
          <span className="conn-state conn-up">
            <span className="pill-dot" /> Connected
          </span>
        )}
        {session?.dbUser && (
          <span className="fact">
            <span className="fact-label">User</span>
            <span className="mono">{session.dbUser}</span>
          </span>
        )}
        {session?.connected && (
          <span className={`role-badge role-${session.role}`} data-testid="role-badge" title="Console role of the connected database role">
            {ROLE_LABEL[session.role] ?? session.role}
          </span>
        )}
        {session?.serverVersion && (
          <span className="fact" data-testid="server-version">
            <span className="fact-label">PostgreSQL</span>
            <span className="mono">{session.serverVersion.split(' ')[0]}</span>
          </span>
        )}
      </div>
    </header>
  )
}
