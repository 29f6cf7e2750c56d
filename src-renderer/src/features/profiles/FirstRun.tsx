import { useState } from 'react'
import type { SessionInfo } from '../../../../src-preload/contract'
import { IconAlert, IconDatabase } from '../../components/icons'
import { ProfileForm } from './ProfileForm'
import { ProfileNotices } from './ProfilesScreen'
import { useOpenDemo, useProfilesState } from './queries'
import './profiles.css'

/** True when nothing is configured yet: no database selected and no saved profile. */
export function useNeedsFirstRun(session: SessionInfo | undefined): boolean {
  const q = useProfilesState()
  if (!session || session.databaseLabel || session.connected) return false
  if (!q.data) return false
  return q.data.profiles.length === 0 && !q.data.envOverride
}

/** The first screen of a new installation: connect to a database, or open the demo. */
export function FirstRun() {
  const q = useProfilesState()
  const demo = useOpenDemo()
  const [connecting, setConnecting] = useState(false)
  return (
    <div className="fr" data-testid="first-run">
      <div className="fr-inner">
        <div className="fr-brand">
          <span className="nav-logo">n</span> nChat Console
        </div>
        {q.data && <ProfileNotices state={q.data} />}
        {connecting ? (
          <ProfileForm profile={null} onDone={() => setConnecting(false)} onCancel={() => setConnecting(false)} />
        ) : (
          <>
            <h1 className="fr-title">Welcome. Which database do you want to manage?</h1>
            <div className="fr-choices">
              <button type="button" className="fr-choice" onClick={() => setConnecting(true)} disabled={demo.isPending}>
                <IconDatabase width={26} height={26} />
                <span className="fr-choice-title">Connect to a database</span>
                <span className="fr-choice-text">
                  Add a connection profile for a multi-tenant nself-chat PostgreSQL deployment (production, staging, a region…). Test it before saving;
                  the password goes to your system keychain.
                </span>
              </button>
              <button type="button" className="fr-choice" onClick={() => demo.mutate()} disabled={demo.isPending} data-testid="open-demo">
                <span className="fr-demo-icon">▶</span>
                <span className="fr-choice-title">{demo.isPending ? 'Starting the demo…' : 'Open the demo'}</span>
                <span className="fr-choice-text">
                  {demo.isPending
                    ? 'Creating an embedded PostgreSQL database and generating a demo fleet. The first start takes about half a minute.'
                    : 'Explore the console on an embedded PostgreSQL with a generated fleet of tenants. Nothing to install; it stays on this computer.'}
                </span>
              </button>
            </div>
            {demo.error && (
              <div className="pf-error" role="alert">
                <IconAlert width={14} height={14} /> {demo.error.message}
              </div>
            )}
          </>
        )}
      </div>
    </div>
  )
}
