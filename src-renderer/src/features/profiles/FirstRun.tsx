import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { SessionInfo } from '../../../../src-preload/contract'
import { IconAlert, IconDatabase } from '../../components/icons'
import { ProfileForm } from './ProfileForm'
import { sessionKeys } from '../../shell/session'
import { ProfileNotices, ProfilesScreen } from './ProfilesScreen'
import { useOpenDemo, useProfilesState } from './queries'
import './profiles.css'

/**
 * True when no database is selected: the first-run choice (no profile yet), the profile
 * picker (profiles, none open), or "opening the last connection" at start-up.
 */
export function useNeedsFirstRun(session: SessionInfo | undefined): boolean {
  const q = useProfilesState()
  const qc = useQueryClient()
  // Main has a connection the session query has not seen yet (an event raced the page load).
  const stale = Boolean(session && !session.databaseLabel && q.data?.activeId && !q.data.restoring)
  useEffect(() => {
    if (stale) void qc.invalidateQueries({ queryKey: sessionKeys.all })
  }, [stale, qc])
  if (!session || session.databaseLabel || session.connected) return false
  if (!q.data || q.data.envOverride || stale) return false
  return true
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
        {q.data?.restoring ? (
          <div className="fr-restoring" role="status" data-testid="restoring">
            <span className="spinner" /> Opening the last connection…
          </div>
        ) : q.data && q.data.profiles.length > 0 ? (
          // Profiles exist but none is open (start-up failed, or disconnected): pick one.
          <ProfilesScreen />
        ) : connecting ? (
          <ProfileForm profile={null} onDone={() => setConnecting(false)} onCancel={() => setConnecting(false)} />
        ) : (
          <>
            {q.data && <ProfileNotices state={q.data} />}
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
