import { useState } from 'react'
import type { IncidentRestored, IncidentStarted, IncidentSummary } from '../../../../src-preload/contract'
import { Pill } from '../../components/Pill'
import { formatDateTime, formatInt } from '../../lib/format'
import { ConfirmFooter, Dialog, ErrorNote, Warnings } from '../lifecycle/Dialog'
import { useIncidentPreview, useIncidentRestore, useIncidentStart } from './ops-queries'

/**
 * Incident mode, the guide's "schema isolation failure" runbook: suspend every live tenant
 * at once (a dry-run count first, then a typed phrase), and later reactivate exactly those.
 */
export function IncidentPanel({ role, onStarted }: { role: string; onStarted(): void }) {
  const preview = useIncidentPreview(role !== 'none')
  const [starting, setStarting] = useState(false)
  const [restoring, setRestoring] = useState<IncidentSummary | null>(null)
  const [started, setStarted] = useState<IncidentStarted | null>(null)
  const [restored, setRestored] = useState<IncidentRestored | null>(null)
  const isAdmin = role === 'admin'
  const open = preview.data?.open ?? null
  const latest = preview.data?.latest ?? null
  return (
    <section className={`hl-section hl-incident${open ? ' hl-incident-open' : ''}`} aria-label="Incident mode" data-testid="incident">
      <header className="hl-section-head">
        <h2>Incident mode</h2>
        {open ? <Pill tone="red">open since {formatDateTime(open.openedAt)}</Pill> : <span className="muted small">for a suspected isolation failure (“tenant seeing data from another tenant”)</span>}
        <span className="hl-spacer" />
        {open ? (
          <button type="button" className="btn" disabled={!isAdmin} title={isAdmin ? undefined : 'Needs the admin role.'} onClick={() => setRestoring(open)}>
            Reactivate those…
          </button>
        ) : (
          <button
            type="button"
            className="btn lc-danger-outline"
            disabled={!isAdmin || !preview.data}
            title={isAdmin ? undefined : 'Incident mode needs the admin role.'}
            onClick={() => {
              void preview.refetch()
              setStarted(null)
              setStarting(true)
            }}
          >
            Start incident mode…
          </button>
        )}
      </header>
      {open ? (
        <p className="small" data-testid="incident-open">
          {formatInt(open.tenantsSuspended)} tenants were suspended by {open.openedBy} with the reason <b>security_incident</b>
          {open.note ? ` (“${open.note}”)` : ''}; {formatInt(open.pending)} still to reactivate. “Reactivate those” reactivates exactly these tenants; one changed since is reported and left as it is.
        </p>
      ) : latest ? (
        <p className="muted small">
          Last incident {formatDateTime(latest.openedAt)}, closed {latest.closedAt ? formatDateTime(latest.closedAt) : ''} by {latest.closedBy}: {formatInt(latest.outcomes.reactivated)} reactivated,{' '}
          {formatInt(latest.outcomes.changed + latest.outcomes.gone + latest.outcomes.refused)} reported.
        </p>
      ) : (
        <p className="muted small">
          Suspends every active and trial tenant in one audited transaction (reason security_incident), records exactly which, evicts the app’s tenant cache for all of them, then opens the
          audit at the policy and search_path findings.
        </p>
      )}
      {started && (
        <div className="hl-ok small" role="status" data-testid="incident-started">
          Suspended {formatInt(started.suspended)} tenants; {formatInt(started.evictedKeys)} cache keys evicted.
          {started.skipped.length > 0 && ` Not suspended: ${started.skipped.map((s) => s.slug).join(', ')}.`}
          <Warnings warnings={started.warnings} />
        </div>
      )}
      {restored && (
        <div className="small" role="status" data-testid="incident-restored">
          <div className="hl-ok">
            Reactivated {formatInt(restored.reactivated)} tenants; {formatInt(restored.evictedKeys)} cache keys evicted.
          </div>
          {restored.reported.length > 0 && (
            <ul className="hl-reported">
              {restored.reported.map((r) => (
                <li key={r.tenantId}>
                  <span className="mono">{r.slug}</span> ({r.outcome}): {r.detail}
                </li>
              ))}
            </ul>
          )}
          <Warnings warnings={restored.warnings} />
        </div>
      )}
      {starting && (
        <StartDialog
          onClose={() => setStarting(false)}
          onDone={(r) => {
            setStarting(false)
            setStarted(r)
            setRestored(null)
            onStarted()
          }}
          preview={preview}
        />
      )}
      {restoring && (
        <RestoreDialog
          incident={restoring}
          onClose={() => setRestoring(null)}
          onDone={(r) => {
            setRestoring(null)
            setRestored(r)
            setStarted(null)
          }}
        />
      )}
    </section>
  )
}

function StartDialog({ onClose, onDone, preview }: { onClose(): void; onDone(r: IncidentStarted): void; preview: ReturnType<typeof useIncidentPreview> }) {
  const start = useIncidentStart()
  const [typed, setTyped] = useState('')
  const [note, setNote] = useState('')
  const p = preview.data
  const phrase = p?.confirmPhrase ?? ''
  return (
    <Dialog
      title="Start incident mode"
      onClose={onClose}
      testId="incident-dialog"
      footer={
        <ConfirmFooter
          cancel="Keep everything running"
          onCancel={onClose}
          confirm={`Suspend ${formatInt(p?.toSuspend ?? 0)} tenants`}
          busy="Suspending…"
          pending={start.isPending}
          disabled={!p || preview.isFetching || typed !== phrase || p.toSuspend === 0}
          danger
          onConfirm={() => start.mutate({ confirmPhrase: typed, note: note.trim() || undefined }, { onSuccess: onDone })}
          testId="incident-confirm"
        />
      }
    >
      {!p || preview.isFetching ? (
        <p className="muted">Counting the live tenants…</p>
      ) : (
        <>
          <p data-testid="incident-count">
            Dry run: <b>{formatInt(p.toSuspend)}</b> live tenants would be suspended ({Object.entries(p.byStatus).map(([s, n]) => `${formatInt(n)} ${s}`).join(', ') || 'none'}), all in one
            transaction with the reason <b>security_incident</b>. Every user of those tenants loses access until you reactivate them.
          </p>
          {p.skipped.length > 0 && (
            <p className="muted small">
              Not suspended (the suspend rules refuse them): {p.skipped.map((s) => s.slug).join(', ')}.
            </p>
          )}
          <label className="lc-field">
            <span>Note (what was seen, ticket)</span>
            <textarea rows={2} maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} aria-label="Incident note" />
          </label>
          <label className="lc-field">
            <span>
              Type <b className="mono">{phrase}</b> to confirm
            </span>
            <input type="text" value={typed} onChange={(e) => setTyped(e.target.value)} aria-label="Confirmation phrase" autoComplete="off" spellCheck={false} data-autofocus />
          </label>
        </>
      )}
      <ErrorNote error={start.error} />
    </Dialog>
  )
}

function RestoreDialog({ incident, onClose, onDone }: { incident: IncidentSummary; onClose(): void; onDone(r: IncidentRestored): void }) {
  const restore = useIncidentRestore()
  return (
    <Dialog
      title="Reactivate the incident’s tenants"
      onClose={onClose}
      testId="incident-restore-dialog"
      footer={
        <ConfirmFooter
          cancel="Keep them suspended"
          onCancel={onClose}
          confirm={`Reactivate ${formatInt(incident.pending)} tenants`}
          busy="Reactivating…"
          pending={restore.isPending}
          disabled={false}
          onConfirm={() => restore.mutate(incident.id, { onSuccess: onDone })}
          testId="incident-restore-confirm"
        />
      }
    >
      <p>
        Reactivates the {formatInt(incident.pending)} tenants this incident suspended, each back to the status it had (a trial stays a trial). A tenant reactivated, suspended again for
        another reason, cancelled or deleted since is reported and left as it is. Tenants suspended before or after the incident are not touched.
      </p>
      <ErrorNote error={restore.error} />
    </Dialog>
  )
}
