import { useState } from 'react'
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { FAILURE_SOURCES, REQUIRED_EVENTS, type FailureRow, type FailureSource, type InputOf } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { formatDateTime, formatInt, formatRelative } from '../../lib/format'
import { useSession } from '../../shell/session'
import { ResolveButton, TenantFilter } from './FailureControls'
import { PayloadViewer } from './PayloadViewer'
import { PricesCard } from './PricesCard'
import { ReconcileCard } from './ReconcileCard'
import { useBulkReplay, useCheckStripe, useFailures, useKeyStatus, useReplay, useTestKey, useWebhookHealth } from './queries'
import './billing.css'

const axisTick = { fontSize: 11, fill: 'var(--text-2)' }
const tooltipStyle = { background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12, color: 'var(--text)' }
const SOURCE_LABEL: Record<FailureSource, string> = { table: 'app table', undelivered: 'not delivered', missing: 'missing in table' }
const AGES = [1, 7, 30, 90] as const

function KeyCard() {
  const status = useKeyStatus()
  const test = useTestKey()
  const s = status.data
  const r = test.data
  return (
    <section className="bl-card" data-testid="stripe-key">
      <h2>Stripe key</h2>
      {!s ? (
        <span className="muted">…</span>
      ) : !s.configured ? (
        <p className="muted">{s.advice}</p>
      ) : (
        <>
          <div>
            {s.kind === 'restricted' ? 'Restricted key' : s.kind === 'secret' ? 'Secret key' : 'Key'} · {s.mode === 'live' ? 'live mode' : 'test mode'}
          </div>
          {s.advice && <p className="note note-warn small">{s.advice}</p>}
          <div className="btn-group">
            <button type="button" className="btn btn-small" onClick={() => test.mutate(false)} disabled={test.isPending}>
              Test key
            </button>
            {s.needsLiveWarning && !s.liveWarningAccepted && (
              <button type="button" className="btn btn-small btn-on-danger" onClick={() => test.mutate(true)} disabled={test.isPending}>
                I understand: use this live secret key
              </button>
            )}
          </div>
        </>
      )}
      {test.isError && <ErrorState error={test.error} compact />}
      {r && (
        <div data-testid="key-report" className="small">
          {r.account && (
            <div>
              Account <b>{r.account.name ?? r.account.id}</b> <span className="mono">{r.account.id}</span> · {r.livemode ? 'live' : 'test'} mode
            </div>
          )}
          <ul>
            {r.permissions.map((p) => (
              <li key={p.endpoint} className={p.allowed ? 'bl-ok' : undefined}>
                {p.allowed ? '✓' : p.allowed === false ? '✗' : '?'} {p.call} <span className="muted mono">{p.endpoint}</span>
              </li>
            ))}
          </ul>
          {r.problems.length > 0 && (
            <ul className="bl-problems">
              {r.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  )
}

function HealthCard({ enabled }: { enabled: boolean }) {
  const q = useWebhookHealth(enabled)
  const h = q.data
  return (
    <section className="bl-card" data-testid="webhook-health">
      <h2>Webhook endpoints</h2>
      {!enabled ? (
        <p className="muted">Stripe’s side was not checked: this profile has no usable Stripe key.</p>
      ) : q.isError ? (
        <ErrorState error={q.error} compact onRetry={() => void q.refetch()} />
      ) : !h ? (
        <span className="muted">Asking Stripe…</span>
      ) : (
        <>
          {h.problems.length ? (
            <ul className="bl-problems">
              {h.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : (
            <p className="bl-ok">The app’s endpoint is enabled and receives all six billing events.</p>
          )}
          <ul className="small">
            {h.endpoints.map((e) => (
              <li key={e.id}>
                <span className="mono">{e.url}</span> · {e.enabled ? 'enabled' : 'disabled'}
                {e.isApp ? ' · the app' : ''} · {e.subscribesAll ? 'all six events' : `missing ${e.missing.length}`}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}

function FailureTable({
  rows,
  selected,
  usable,
  onToggle,
  onView
}: {
  rows: FailureRow[]
  selected: Set<string>
  usable: boolean
  onToggle(id: string): void
  onView(id: string): void
}) {
  const replay = useReplay()
  return (
    <>
      {replay.data && <p className="note small" data-testid="replay-result">{replay.data.message}</p>}
      {replay.isError && <ErrorState error={replay.error} compact />}
      <table className="bl-table" data-testid="failures-table">
        <thead>
          <tr>
            <th aria-label="Select" />
            <th>When</th>
            <th>Event</th>
            <th>Seen in</th>
            <th>Tenant</th>
            <th>Error / attempts</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.eventId} data-event-id={r.eventId}>
              <td>
                <input type="checkbox" aria-label={`Select ${r.eventId}`} checked={selected.has(r.eventId)} onChange={() => onToggle(r.eventId)} />
              </td>
              <td title={formatDateTime(r.createdAt)}>{formatRelative(r.createdAt)}</td>
              <td>
                <div>{r.eventType}</div>
                <div className="mono muted small">{r.eventId}</div>
              </td>
              <td>
                {r.sources.map((s) => (
                  <span key={s} className={`bl-src ${s}`}>
                    {SOURCE_LABEL[s]}
                  </span>
                ))}
                {r.tableState !== 'absent' && <div className="muted small">{r.tableState === 'error' ? 'processed with an error' : 'not processed'}</div>}
              </td>
              <td>
                {r.tenant ? (
                  <>
                    <div>{r.tenant.slug}</div>
                    <div className="muted small">by {r.tenant.via === 'tenant_id' ? 'tenant id' : r.tenant.via === 'column' ? 'customer column' : 'customer in metadata'}</div>
                  </>
                ) : (
                  <span className="muted">{r.customerId ? `no tenant for ${r.customerId}` : '—'}</span>
                )}
              </td>
              <td className="small">
                {r.error && <div>{r.error}</div>}
                {r.replay && (
                  <div className="muted">
                    {r.replay.attempts} attempt{r.replay.attempts === 1 ? '' : 's'}
                    {r.replay.lastError ? `: ${r.replay.lastError}` : ''}
                    {r.replay.resolvedAt ? ` · resolved by ${r.replay.resolvedBy}: ${r.replay.note}` : ''}
                  </div>
                )}
              </td>
              <td className="btn-group">
                <button type="button" className="btn btn-small" onClick={() => onView(r.eventId)}>
                  Payload
                </button>
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={!usable || replay.isPending}
                  title={usable ? 'Re-fetch from Stripe and apply' : 'Needs the profile’s Stripe key'}
                  onClick={() => replay.mutate(r.eventId)}
                >
                  Replay
                </button>
                <ResolveButton row={r} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

export function BillingScreen() {
  const session = useSession()
  const key = useKeyStatus()
  const usable = Boolean(key.data?.configured && (!key.data.needsLiveWarning || key.data.liveWarningAccepted))
  const [filters, setFilters] = useState<InputOf<'billing:failures'>>({ offset: 0, limit: 50 })
  const q = useFailures(filters)
  const check = useCheckStripe()
  const bulk = useBulkReplay()
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [viewing, setViewing] = useState<string | null>(null)
  const set = (patch: Partial<InputOf<'billing:failures'>>) => setFilters((f) => ({ ...f, ...patch, offset: 0 }))
  const p = q.data
  const toggle = (id: string) => setSelected((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])))
  const isAdmin = session.data?.role === 'admin'
  return (
    <div className="billing" data-testid="billing">
      <header className="bl-head">
        <h1>Billing</h1>
        <span className="muted small">Webhook failures, replay and reconcile with Stripe</span>
      </header>
      <div className="bl-cards">
        <KeyCard />
        <HealthCard enabled={usable} />
      </div>

      <section className="bl-card" data-testid="failures">
        <div className="bl-filters">
          <h2>Webhook failures</h2>
          <select aria-label="Source" value={filters.source ?? ''} onChange={(e) => set({ source: (e.target.value || undefined) as FailureSource | undefined })}>
            <option value="">All sources</option>
            {FAILURE_SOURCES.map((s) => (
              <option key={s} value={s}>
                {SOURCE_LABEL[s]}
              </option>
            ))}
          </select>
          <select aria-label="Event type" value={filters.eventType ?? ''} onChange={(e) => set({ eventType: e.target.value || undefined })}>
            <option value="">All event types</option>
            {[...new Set([...REQUIRED_EVENTS, ...(p?.byType.map((t) => t.key) ?? [])])].map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <TenantFilter tenantId={filters.tenantId} onChange={(id) => set({ tenantId: id })} />
          <select aria-label="Age" value={filters.maxAgeDays ?? ''} onChange={(e) => set({ maxAgeDays: e.target.value ? Number(e.target.value) : undefined })}>
            <option value="">Any age</option>
            {AGES.map((d) => (
              <option key={d} value={d}>
                Last {d} day{d === 1 ? '' : 's'}
              </option>
            ))}
          </select>
          <label className="small">
            <input type="checkbox" checked={filters.includeResolved ?? false} onChange={(e) => set({ includeResolved: e.target.checked })} /> resolved too
          </label>
          <span style={{ flex: 1 }} />
          <button type="button" className="btn btn-small" disabled={!usable || check.isPending} onClick={() => check.mutate()} title={usable ? undefined : 'Needs the profile’s Stripe key'}>
            {check.isPending ? 'Checking Stripe…' : 'Check Stripe'}
          </button>
        </div>
        {check.isError && <ErrorState error={check.error} compact />}
        {q.isError ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        ) : !p ? (
          <div className="muted">Loading failures…</div>
        ) : (
          <>
            <p className={`small ${p.stripe.checked ? 'muted' : 'note note-warn'}`} data-testid="stripe-check">
              {p.stripe.checked
                ? `Stripe checked ${formatRelative(p.stripe.checkedAt)}: ${p.stripe.undelivered} not delivered, ${p.stripe.missing} missing in the app’s table (last 30 days).`
                : p.stripe.note}
              {p.stripe.checked && p.stripe.note ? ` ${p.stripe.note}` : ''}
            </p>
            {p.notes.map((n) => (
              <p key={n} className="note small">
                {n}
              </p>
            ))}
            <div className="bl-types" data-testid="failure-types">
              <b>{formatInt(p.total)} failures</b>
              {p.byType.map((t) => (
                <span key={t.key}>
                  {t.key}: {formatInt(t.count)}
                </span>
              ))}
            </div>
            <div data-testid="failures-chart" style={{ height: 160 }}>
              <ResponsiveContainer width="100%" height={160}>
                <BarChart data={p.perDay} margin={{ left: 0, right: 12, top: 8 }}>
                  <CartesianGrid vertical={false} stroke="var(--border)" />
                  <XAxis dataKey="day" tick={axisTick} tickFormatter={(d: string) => d.slice(5)} interval="preserveStartEnd" />
                  <YAxis tick={axisTick} width={36} allowDecimals={false} />
                  <Tooltip contentStyle={tooltipStyle} />
                  <Bar dataKey="count" name="Failures" fill="var(--red)" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
            <div className="bl-filters">
              <button type="button" className="btn btn-small" disabled={!selected.size || !usable || bulk.run.isPending} onClick={() => bulk.run.mutate([...selected], { onSuccess: () => setSelected(new Set()) })}>
                Replay selected ({selected.size})
              </button>
              {bulk.progress && (
                <span className="bl-progress" data-testid="bulk-progress">
                  {bulk.progress.done} / {bulk.progress.total} replayed{bulk.progress.failed ? `, ${bulk.progress.failed} failed` : ''}
                </span>
              )}
              {bulk.run.isPending && (
                <button type="button" className="btn btn-small" onClick={() => bulk.cancel.mutate()}>
                  Cancel
                </button>
              )}
              {bulk.run.data && (
                <span className="small" data-testid="bulk-result">
                  {bulk.run.data.results.filter((r) => r.ok).length} replayed, {bulk.run.data.results.filter((r) => !r.ok).length} failed{bulk.run.data.cancelled ? ' (cancelled)' : ''}
                </span>
              )}
              <span style={{ flex: 1 }} />
              <button type="button" className="btn btn-small" disabled={filters.offset === 0} onClick={() => setFilters((f) => ({ ...f, offset: Math.max(0, (f.offset ?? 0) - (f.limit ?? 50)) }))}>
                Newer
              </button>
              <span className="small muted">
                {p.total ? `${p.offset + 1}–${p.offset + p.rows.length} of ${formatInt(p.total)}` : 'none'}
              </span>
              <button type="button" className="btn btn-small" disabled={p.offset + p.rows.length >= p.total} onClick={() => setFilters((f) => ({ ...f, offset: (f.offset ?? 0) + (f.limit ?? 50) }))}>
                Older
              </button>
            </div>
            {viewing && <PayloadViewer eventId={viewing} onClose={() => setViewing(null)} />}
            {p.rows.length ? <FailureTable rows={p.rows} selected={selected} usable={usable} onToggle={toggle} onView={setViewing} /> : <p className="bl-ok">No webhook failures match.</p>}
          </>
        )}
      </section>
      <ReconcileCard usable={usable} isAdmin={isAdmin} />
      <PricesCard isAdmin={isAdmin} />
    </div>
  )
}
