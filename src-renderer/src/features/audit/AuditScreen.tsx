import { useMemo, useState, useSyncExternalStore } from 'react'
import type { AuditEntry, AuditFilterInput, AuditSource } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { Pill } from '../../components/Pill'
import { IconX } from '../../components/icons'
import { formatDateTime, formatInt } from '../../lib/format'
import { useDebounced } from '../../lib/useDebounced'
import { useSession } from '../../shell/session'
import { MaintenancePanel } from './MaintenancePanel'
import { useAuditDetail, useAuditExport, useAuditPages } from './queries'
import './audit.css'

const SOURCE_LABEL: Record<AuditSource, string> = { app: 'App', archive: 'App (deleted tenant)', console: 'Console' }
const SOURCE_TONE: Record<AuditSource, string> = { app: 'blue', archive: 'amber', console: 'violet' }
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function subscribe(cb: () => void) {
  window.addEventListener('hashchange', cb)
  return () => window.removeEventListener('hashchange', cb)
}

/** `#/audit?tenant=<id>`: the tenant detail panel's "History" link. */
function useHashTenant(): string {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash)
  const q = hash.indexOf('?')
  return q < 0 ? '' : (new URLSearchParams(hash.slice(q + 1)).get('tenant') ?? '')
}

interface Form {
  sources: AuditSource[]
  tenantId: string
  actor: string
  action: string
  resource: string
  from: string
  to: string
  text: string
}

const dayStart = (d: string) => (d ? new Date(`${d}T00:00:00`).toISOString() : undefined)
const dayAfter = (d: string) => (d ? new Date(new Date(`${d}T00:00:00`).getTime() + 86_400_000).toISOString() : undefined)

/** The form as the channel's filter: empty fields are left out; an unfinished tenant id is not sent. */
function toFilter(f: Form): AuditFilterInput {
  const t = f.tenantId.trim()
  return {
    sources: f.sources,
    ...(UUID_RE.test(t) ? { tenantId: t.toLowerCase() } : {}),
    ...(f.actor.trim() ? { actor: f.actor.trim() } : {}),
    ...(f.action.trim() ? { action: f.action.trim() } : {}),
    ...(f.resource.trim() ? { resource: f.resource.trim() } : {}),
    ...(f.from ? { from: dayStart(f.from) } : {}),
    ...(f.to ? { to: dayAfter(f.to) } : {}),
    ...(f.text.trim() ? { text: f.text.trim() } : {})
  }
}

function actorOf(r: AuditEntry): string {
  return r.actorName || r.actorEmail || r.userId || r.dbRole || 'system'
}

export function AuditScreen() {
  const session = useSession()
  const isAdmin = session.data?.role === 'admin'
  const [tab, setTab] = useState<'trail' | 'maintenance'>('trail')
  return (
    <div className="screen au-screen" data-testid="audit">
      <div className="au-head">
        <h1>Audit</h1>
        <div className="detail-tabs" role="tablist" aria-label="Audit views">
          <button type="button" role="tab" aria-selected={tab === 'trail'} className={`detail-tab${tab === 'trail' ? ' on' : ''}`} onClick={() => setTab('trail')}>
            Trail
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === 'maintenance'}
            className={`detail-tab${tab === 'maintenance' ? ' on' : ''}`}
            onClick={() => setTab('maintenance')}
            disabled={!isAdmin}
            title={isAdmin ? 'The deployment guide’s cleanup jobs and the audit’s indexes' : 'Maintenance needs the admin console role.'}
          >
            Maintenance
          </button>
        </div>
      </div>
      {tab === 'trail' ? <Trail /> : <MaintenancePanel />}
    </div>
  )
}

function Trail() {
  const hashTenant = useHashTenant()
  const [form, setForm] = useState<Form>({ sources: ['app', 'archive', 'console'], tenantId: hashTenant, actor: '', action: '', resource: '', from: '', to: '', text: '' })
  const [lastHash, setLastHash] = useState(hashTenant)
  if (hashTenant !== lastHash) {
    setLastHash(hashTenant)
    setForm((f) => ({ ...f, tenantId: hashTenant }))
  }
  const debounced = useDebounced(form, 300)
  const filter = useMemo(() => toFilter(debounced), [debounced])
  const q = useAuditPages(filter)
  const rows = useMemo(() => q.data?.pages.flatMap((p) => p.rows) ?? [], [q.data])
  const first = q.data?.pages[0]
  const [open, setOpen] = useState<AuditEntry | null>(null)
  const set = (k: keyof Form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }))
  const toggle = (s: AuditSource) =>
    setForm((f) => {
      const next = f.sources.includes(s) ? f.sources.filter((x) => x !== s) : [...f.sources, s]
      return next.length ? { ...f, sources: next } : f
    })
  const tenantInvalid = form.tenantId.trim() !== '' && !UUID_RE.test(form.tenantId.trim())
  return (
    <div className="au-body">
      <form className="au-filters" aria-label="Audit filters" onSubmit={(e) => e.preventDefault()}>
        <fieldset className="au-sources">
          <legend className="muted small">Sources</legend>
          {(['app', 'archive', 'console'] as const).map((s) => (
            <label key={s} className="au-check">
              <input type="checkbox" checked={form.sources.includes(s)} onChange={() => toggle(s)} /> {SOURCE_LABEL[s]}
            </label>
          ))}
        </fieldset>
        <label className="au-field au-wide">
          <span>Tenant id</span>
          <input aria-label="Tenant id" placeholder="uuid (also of deleted tenants)" value={form.tenantId} onChange={set('tenantId')} aria-invalid={tenantInvalid} />
        </label>
        <label className="au-field">
          <span>Actor</span>
          <input aria-label="Actor" placeholder="user id, name, email, role" value={form.actor} onChange={set('actor')} />
        </label>
        <label className="au-field">
          <span>Action</span>
          <input aria-label="Action" placeholder="e.g. tenant.suspend" value={form.action} onChange={set('action')} />
        </label>
        <label className="au-field">
          <span>Resource</span>
          <input aria-label="Resource" placeholder="e.g. tenant" value={form.resource} onChange={set('resource')} />
        </label>
        <label className="au-field">
          <span>From</span>
          <input aria-label="From date" type="date" value={form.from} onChange={set('from')} />
        </label>
        <label className="au-field">
          <span>To</span>
          <input aria-label="To date" type="date" value={form.to} onChange={set('to')} />
        </label>
        <label className="au-field au-wide">
          <span>Search details</span>
          <input aria-label="Search details" type="search" placeholder="text in details" value={form.text} onChange={set('text')} />
        </label>
        <ExportCsv filter={filter} />
      </form>
      {tenantInvalid && <p className="note note-warn small">A tenant id is a uuid; the filter waits until it is complete.</p>}
      {first?.notes.map((n) => (
        <p key={n} className="note small" data-testid="audit-note">
          {n}
        </p>
      ))}
      <div className="au-main">
        <div className="au-table-wrap">
          {q.isError ? (
            <ErrorState error={q.error} onRetry={() => void q.refetch()} retrying={q.isFetching} />
          ) : (
            <table className="au-table" data-testid="audit-table">
              <thead>
                <tr>
                  <th>Time (UTC)</th>
                  <th>Source</th>
                  <th>Tenant</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Resource</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr
                    key={`${r.source}:${r.id}`}
                    data-row-key={`${r.source}:${r.id}`}
                    className={open && open.source === r.source && open.id === r.id ? 'on' : undefined}
                    onClick={() => setOpen(r)}
                    tabIndex={0}
                    onKeyDown={(e) => e.key === 'Enter' && setOpen(r)}
                  >
                    <td className="mono small nowrap">{r.createdAt.replace('T', ' ').slice(0, 19)}</td>
                    <td>
                      <Pill tone={SOURCE_TONE[r.source]}>{SOURCE_LABEL[r.source]}</Pill>
                    </td>
                    <td className="nowrap">
                      {r.tenantSlug ?? (r.tenantId ? <span className="mono small">{r.tenantId.slice(0, 8)}…</span> : '—')}
                      {r.tenantId && !r.tenantExists && <span className="au-gone small"> deleted</span>}
                    </td>
                    <td className="au-actor" title={[r.actorName, r.actorEmail, r.userId, r.dbRole].filter(Boolean).join(' · ')}>
                      {actorOf(r)}
                    </td>
                    <td className="mono small">
                      {r.action}
                      {r.outcome && r.outcome !== 'ok' && <span className="au-outcome"> {r.outcome}</span>}
                    </td>
                    <td className="small">{r.resource ?? '—'}</td>
                    <td className="au-summary mono small">{r.summary}</td>
                  </tr>
                ))}
                {!q.isPending && rows.length === 0 && (
                  <tr>
                    <td colSpan={7} className="muted au-empty">
                      No audit entries match these filters.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          )}
          <div className="au-more">
            <span className="muted small" data-testid="audit-count">
              {q.isPending ? 'Loading…' : `${formatInt(rows.length)} entries shown${q.hasNextPage ? ', newest first' : ' (all)'}`}
            </span>
            {q.hasNextPage && (
              <button type="button" className="btn btn-small" disabled={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
                {q.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
              </button>
            )}
          </div>
        </div>
        {open && <Detail row={open} onClose={() => setOpen(null)} onTenant={(id) => setForm((f) => ({ ...f, tenantId: id }))} />}
      </div>
    </div>
  )
}

function Detail({ row, onClose, onTenant }: { row: AuditEntry; onClose(): void; onTenant(id: string): void }) {
  const q = useAuditDetail(row)
  return (
    <aside className="au-detail" aria-label="Audit entry" data-testid="audit-detail">
      <header className="au-detail-head">
        <div>
          <h2 className="mono">{row.action}</h2>
          <div className="muted small">
            {formatDateTime(row.createdAt)} · {SOURCE_LABEL[row.source]} · {q.data?.table ?? ''}
          </div>
        </div>
        <button type="button" className="icon-btn" aria-label="Close entry" onClick={onClose}>
          <IconX />
        </button>
      </header>
      <dl className="au-facts">
        <dt>Tenant</dt>
        <dd>
          {row.tenantSlug ?? '—'} {row.tenantId && <span className="mono small">{row.tenantId}</span>}
          {row.tenantId && !row.tenantExists && <span className="au-gone small"> (no longer exists)</span>}
          {row.tenantId && (
            <button type="button" className="btn-link small" onClick={() => onTenant(row.tenantId!)}>
              History of this tenant
            </button>
          )}
        </dd>
        <dt>Actor</dt>
        <dd>{[row.actorName, row.actorEmail, row.userId, row.dbRole && `role ${row.dbRole}`].filter(Boolean).join(' · ') || 'system'}</dd>
        <dt>Resource</dt>
        <dd>
          {row.resource ?? '—'} {row.resourceId && <span className="mono small">{row.resourceId}</span>}
        </dd>
        {row.outcome && (
          <>
            <dt>Outcome</dt>
            <dd>{row.outcome}</dd>
          </>
        )}
      </dl>
      {q.isError ? (
        <ErrorState error={q.error} compact />
      ) : (
        <pre className="au-json" data-testid="audit-json">
          {q.data ? JSON.stringify(q.data.row, null, 2) : 'Loading…'}
        </pre>
      )}
    </aside>
  )
}

function ExportCsv({ filter }: { filter: AuditFilterInput }) {
  const { run, cancel, progress } = useAuditExport()
  const r = run.data
  return (
    <div className="au-export">
      {run.isPending ? (
        <>
          <span className="muted small" data-testid="export-progress">
            {progress ? `${formatInt(progress.rows)} rows written…` : 'Choose a file…'}
          </span>
          <button type="button" className="btn btn-small" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
            Cancel
          </button>
        </>
      ) : (
        <>
          {r && (
            <span className="muted small" data-testid="export-result">
              {r.saved ? `Saved ${formatInt(r.rows)} rows` : r.cancelled ? `Cancelled after ${formatInt(r.rows)} rows; no file written` : ''}
            </span>
          )}
          {run.isError && <span className="in-error small">{(run.error as Error).message}</span>}
          <button type="button" className="btn btn-small" onClick={() => run.mutate(filter)} title="Every entry that matches these filters, streamed to a CSV file">
            Export CSV
          </button>
        </>
      )}
    </div>
  )
}
