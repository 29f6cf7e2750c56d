import { useState } from 'react'
import { ErrorState } from '../../components/ErrorState'
import { useFixDrift, useReconcile } from './queries'

/** Every tenant's billing fields against Stripe's subscriptions; fix selected rows (admins). */
export function ReconcileCard({ usable, isAdmin }: { usable: boolean; isAdmin: boolean }) {
  const rec = useReconcile()
  const fix = useFixDrift()
  const [picked, setPicked] = useState<Set<string>>(new Set())
  const r = rec.run.data
  const toggle = (id: string) => setPicked((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])))
  return (
    <section className="bl-card" data-testid="reconcile">
      <div className="bl-filters">
        <h2>Reconcile with Stripe</h2>
        <button type="button" className="btn btn-small" disabled={!usable || rec.run.isPending} onClick={() => rec.run.mutate(undefined, { onSuccess: () => setPicked(new Set()) })}>
          {rec.run.isPending ? 'Reconciling…' : 'Reconcile all tenants'}
        </button>
        {rec.run.isPending && (
          <button type="button" className="btn btn-small" onClick={() => rec.cancel.mutate()}>
            Cancel
          </button>
        )}
        {rec.progress && <span className="bl-progress">{rec.progress.done} / {rec.progress.total}</span>}
      </div>
      {!usable && <p className="muted small">Needs the profile’s Stripe key.</p>}
      {rec.run.isError && <ErrorState error={rec.run.error} compact />}
      {r && (
        <>
          <p className="small" data-testid="reconcile-summary">
            {r.checkedTenants} tenants with Stripe ids checked against {r.subscriptions} subscriptions ({r.requests} list requests): {r.drift.length} with drift
            {r.cancelled ? ' (cancelled)' : ''}.
          </p>
          {r.notes.map((n) => (
            <p key={n} className="note small">
              {n}
            </p>
          ))}
          {r.drift.length > 0 && (
            <table className="bl-table bl-drift" data-testid="drift-table">
              <thead>
                <tr>
                  <th aria-label="Select" />
                  <th>Tenant</th>
                  <th>Field</th>
                  <th>Console</th>
                  <th>Stripe</th>
                </tr>
              </thead>
              <tbody>
                {r.drift.flatMap((d) =>
                  d.items.map((i, k) => (
                    <tr key={`${d.tenantId}-${i.field}`}>
                      <td>{k === 0 && <input type="checkbox" aria-label={`Select ${d.slug}`} checked={picked.has(d.tenantId)} onChange={() => toggle(d.tenantId)} />}</td>
                      <td>
                        {k === 0 && (
                          <>
                            {d.slug} <span className="muted small">(ids from {d.idsFrom})</span>
                          </>
                        )}
                      </td>
                      <td>{i.field}</td>
                      <td>{i.console ?? '—'}</td>
                      <td>{i.stripe ?? '—'}</td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          )}
          {r.drift.length > 0 && (
            <div className="bl-filters">
              <button
                type="button"
                className="btn btn-small"
                disabled={!isAdmin || !picked.size || fix.run.isPending}
                title={isAdmin ? undefined : 'Fixing billing fields needs the admin role'}
                onClick={() => fix.run.mutate([...picked])}
              >
                Fix selected from Stripe ({picked.size})
              </button>
              {fix.run.data && (
                <span className="small" data-testid="fix-result">
                  {fix.run.data.fixed} fixed, {fix.run.data.unchanged} unchanged, {fix.run.data.failed.length} failed
                </span>
              )}
              {fix.run.isError && <ErrorState error={fix.run.error} compact />}
            </div>
          )}
        </>
      )}
    </section>
  )
}
