import { useState, type CSSProperties } from 'react'
import { DEMO_PROFILE_ID, ENVIRONMENT_COLORS, type ProfileView, type ProfilesState } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { IconAlert, IconDatabase } from '../../components/icons'
import { ProfileForm } from './ProfileForm'
import { useActivateProfile, useDeleteProfile, useDisconnect, useOpenDemo, useProfilesState, useResetDemo, useSetAsideDamaged } from './queries'
import './profiles.css'

function envName(p: ProfileView): string {
  return p.environment === 'custom' ? p.environmentLabel || 'custom' : p.environment
}

/** Problems with the profiles file or the last start-up, with what to do. */
export function ProfileNotices({ state }: { state: ProfilesState }) {
  const setAside = useSetAsideDamaged()
  return (
    <>
      {state.fileProblem && (
        <div className="pf-notice pf-notice-danger" role="alert" data-testid="profiles-file-problem">
          <IconAlert width={16} height={16} />
          <div>
            <div>{state.fileProblem}</div>
            <button type="button" className="btn btn-small" onClick={() => setAside.mutate()} disabled={setAside.isPending}>
              Move the file aside and start over
            </button>
          </div>
        </div>
      )}
      {state.startupProblem && (
        <div className="pf-notice" role="status">
          <IconAlert width={16} height={16} />
          <div>{state.startupProblem}</div>
        </div>
      )}
      {state.envOverride && (
        <div className="pf-notice" role="status">
          <IconAlert width={16} height={16} />
          <div>NCHAT_DATABASE_URL is set: the console uses that database at start-up instead of a profile.</div>
        </div>
      )}
    </>
  )
}

export function DemoCard({ state }: { state: ProfilesState }) {
  const open = useOpenDemo()
  const reset = useResetDemo()
  const active = state.activeId === DEMO_PROFILE_ID
  const busy = open.isPending || reset.isPending || state.demo.state === 'starting'
  const err = open.error ?? reset.error
  return (
    <div className={`pf-card${active ? ' pf-active' : ''}`} style={{ '--pf-env': ENVIRONMENT_COLORS.demo } as CSSProperties} data-testid="demo-card">
      <div className="pf-card-main">
        <div className="pf-card-title">
          Demo database <span className="pf-env-tag">demo</span>
          {active && <span className="pf-active-tag">Connected</span>}
        </div>
        <div className="muted small">
          An embedded PostgreSQL in your user-data folder with a generated fleet. {state.demo.state === 'absent' ? 'Created on first open.' : `Status: ${state.demo.state}.`}
        </div>
        {(err || state.demo.problem) && (
          <div className="pf-error" role="alert">
            <IconAlert width={14} height={14} /> {err instanceof Error ? err.message : state.demo.problem}
          </div>
        )}
        {busy && <div className="muted small">Starting the demo database… the first start creates it and generates the fleet (about half a minute).</div>}
      </div>
      <div className="pf-card-actions">
        {!active && (
          <button type="button" className="btn btn-small" onClick={() => open.mutate()} disabled={busy}>
            Open demo
          </button>
        )}
        {state.demo.state !== 'absent' && (
          <button
            type="button"
            className="btn btn-small"
            disabled={busy}
            onClick={() => {
              if (window.confirm('Reset the demo? Its database is deleted and a new demo fleet is generated.')) reset.mutate()
            }}
          >
            Reset demo
          </button>
        )}
      </div>
    </div>
  )
}

function ProfileCard({ p, active, onEdit }: { p: ProfileView; active: boolean; onEdit: () => void }) {
  const activate = useActivateProfile()
  const del = useDeleteProfile()
  const disconnect = useDisconnect()
  const err = activate.error ?? del.error ?? disconnect.error
  return (
    <div className={`pf-card${active ? ' pf-active' : ''}`} style={{ '--pf-env': p.color } as CSSProperties} data-testid={`profile-${p.name}`}>
      <div className="pf-card-main">
        <div className="pf-card-title">
          {p.name} <span className="pf-env-tag">{envName(p)}</span>
          {active && <span className="pf-active-tag">Connected</span>}
        </div>
        <div className="mono small muted">
          {p.user}@{p.host}:{p.port}/{p.database} · SSL {p.sslMode}
        </div>
        <div className="small muted">
          {p.operatorName} &lt;{p.operatorEmail}&gt; · password {p.secrets.password ? 'in keychain' : 'none'}
          {p.secrets.stripeKey ? ' · Stripe key in keychain' : ''}
          {p.redisUrl ? ' · Redis' : ''}
          {p.baseDomain ? ` · app at ${p.baseDomain}` : ''}
        </div>
        {err && (
          <div className="pf-error" role="alert" data-error-code={(err as { code?: string }).code}>
            <IconAlert width={14} height={14} /> {err.message}
          </div>
        )}
      </div>
      <div className="pf-card-actions">
        {active ? (
          <button type="button" className="btn btn-small" onClick={() => disconnect.mutate()} disabled={disconnect.isPending}>
            Disconnect
          </button>
        ) : (
          <button type="button" className="btn btn-small btn-primary" onClick={() => activate.mutate(p.id)} disabled={activate.isPending}>
            {activate.isPending ? 'Connecting…' : 'Connect'}
          </button>
        )}
        <button type="button" className="btn btn-small" onClick={onEdit}>
          Edit
        </button>
        <button
          type="button"
          className="btn btn-small"
          disabled={del.isPending}
          onClick={() => {
            if (window.confirm(`Delete the profile "${p.name}"? Its saved secrets are removed from the keychain.`)) del.mutate(p.id)
          }}
        >
          Delete
        </button>
      </div>
    </div>
  )
}

/** Connections: saved profiles, the demo, and the editor. */
export function ProfilesScreen() {
  const q = useProfilesState()
  const [editing, setEditing] = useState<string | 'new' | null>(null)
  if (q.isPending) return <div className="pf-page muted">Loading profiles…</div>
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />
  const state = q.data
  const editProfile = editing && editing !== 'new' ? (state.profiles.find((p) => p.id === editing) ?? null) : null
  return (
    <div className="pf-page">
      <div className="page-head">
        <h1>Connections</h1>
        {!editing && (
          <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} disabled={Boolean(state.fileProblem)}>
            New profile
          </button>
        )}
      </div>
      <ProfileNotices state={state} />
      {editing ? (
        <ProfileForm key={editing} profile={editProfile} onDone={() => setEditing(null)} onCancel={() => setEditing(null)} />
      ) : (
        <div className="pf-list">
          {state.profiles.length === 0 && (
            <div className="pf-empty muted">
              <IconDatabase width={18} height={18} /> No saved profiles yet.
            </div>
          )}
          {state.profiles.map((p) => (
            <ProfileCard key={p.id} p={p} active={state.activeId === p.id} onEdit={() => setEditing(p.id)} />
          ))}
          <DemoCard state={state} />
        </div>
      )}
    </div>
  )
}
