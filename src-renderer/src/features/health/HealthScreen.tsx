import { useEffect, useMemo, useRef, useState } from 'react'
import type { AuditReport, Finding, HealthSummary, Severity } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { Pill } from '../../components/Pill'
import { formatBytes, formatDateTime, formatInt, formatRelative } from '../../lib/format'
import { useSession } from '../../shell/session'
import { AppEndpointLine } from '../reach/AppEndpointLine'
import { useApplyFix, useAudit, useHealthSummary } from './queries'
import { ChecklistPanel } from './ChecklistPanel'
import { IncidentPanel } from './IncidentPanel'
import { OrphanActions } from './OrphanActions'
import { isIncidentFinding } from './incident-focus'
import './health.css'

const SEVERITY_TONE: Record<Severity, string> = { critical: 'red', high: 'red', medium: 'amber', low: 'blue', info: 'gray' }
const PHASE: Record<string, string> = { catalog: 'Reading the catalog', schemas: 'Comparing schemas', security: 'Checking security', done: 'Done', cancelled: 'Cancelled', failed: 'Failed' }

function Vital({ label, value, hint, tone }: { label: string; value: string; hint?: string; tone?: 'bad' | 'warn' }) {
  return (
    <div className={`hl-vital${tone ? ` hl-${tone}` : ''}`}>
      <div className="hl-vital-label">{label}</div>
      <div className="hl-vital-value">{value}</div>
      {hint && <div className="muted small">{hint}</div>}
    </div>
  )
}

function Vitals({ s }: { s: HealthSummary }) {
  const connPct = s.connections.max ? s.connections.used / s.connections.max : 0
  const w = s.oldestUnprocessedWebhook
  const b = s.backups
  return (
    <div className="hl-vitals" data-testid="health-vitals">
      <Vital label="PostgreSQL" value={s.serverVersion.split(' ')[0]!} hint={`database ${formatBytes(s.databaseSizeBytes)}`} />
      <Vital label="Connections" value={`${formatInt(s.connections.used)} / ${formatInt(s.connections.max)}`} hint={`${Math.round(connPct * 100)}% in use`} tone={connPct > 0.9 ? 'bad' : connPct > 0.75 ? 'warn' : undefined} />
      <Vital label="Active tenants" value={formatInt(s.tenants.active)} hint={`of ${formatInt(s.tenants.total)}`} />
      <Vital
        label="Oldest unprocessed webhook"
        value={w === 'unavailable' ? 'n/a' : w ? formatRelative(w.receivedAt) : 'none'}
        hint={w === 'unavailable' ? 'no stripe_webhooks table' : w ? `${w.eventType} · ${w.eventId}` : 'every webhook processed'}
        tone={w && w !== 'unavailable' && Date.parse(s.checkedAt) - Date.parse(w.receivedAt) > 3_600_000 ? 'warn' : undefined}
      />
      <Vital
        label={b.available ? `No verified backup in ${b.hours} h` : 'Backups'}
        value={b.available ? formatInt(b.withoutRecentVerified) : 'n/a'}
        hint={b.available ? `of ${formatInt(b.ofTenants)} tenants` : b.reason}
        tone={b.available && b.withoutRecentVerified > 0 ? 'warn' : undefined}
      />
    </div>
  )
}

function FindingCard({ f, isAdmin, onFixed, initiallyOpen = false }: { f: Finding; isAdmin: boolean; onFixed(): void; initiallyOpen?: boolean }) {
  const [open, setOpen] = useState(initiallyOpen)
  const [confirming, setConfirming] = useState(false)
  const fix = useApplyFix()
  return (
    <li className={`hl-finding hl-sev-${f.severity}`} data-testid="finding" data-kind={f.kind}>
      <button type="button" className="hl-finding-head" aria-expanded={open} onClick={() => setOpen((v) => !v)}>
        <Pill tone={SEVERITY_TONE[f.severity]}>{f.severity}</Pill>
        <b>{f.title}</b>
        <span className="hl-spacer" />
        {f.tenantCount > 0 && <span className="muted small">{formatInt(f.tenantCount)} affected</span>}
      </button>
      {open && (
        <div className="hl-finding-body">
          <p>{f.detail}</p>
          {f.tenants.length > 0 && (
            <p className="hl-tenants small">
              {f.tenants.map((t) => (
                <span key={t.schema} className="mono">
                  {t.slug ?? t.schema}
                </span>
              ))}
              {f.tenantCount > f.tenants.length && <span className="muted">… and {formatInt(f.tenantCount - f.tenants.length)} more</span>}
            </p>
          )}
          <p className="muted">{f.advice}</p>
          {f.kind === 'orphan-schema' && <OrphanActions schemas={f.tenants.map((t) => t.schema)} isAdmin={isAdmin} />}
          {f.fixSql ? (
            <>
              <pre className="hl-sql" data-testid="fix-sql">
                {f.fixSql}
              </pre>
              {fix.isSuccess ? (
                <div className="hl-ok small">Applied {formatInt(fix.data.statements)} statements{fix.data.partial ? ' (the first schemas only: audit again for the rest)' : ''}. Run the audit again to see the result.</div>
              ) : confirming ? (
                <div className="hl-confirm">
                  <span className="small">Run these statements on the connected database, in one transaction? It is recorded in the operator log.</span>
                  <button type="button" className="btn btn-small" onClick={() => setConfirming(false)}>
                    Keep as is
                  </button>
                  <button type="button" className="btn btn-small btn-danger-solid" disabled={fix.isPending} onClick={() => fix.mutate(f.id, { onSuccess: onFixed })}>
                    {fix.isPending ? 'Applying…' : 'Apply the fix'}
                  </button>
                </div>
              ) : (
                <button type="button" className="btn btn-small" disabled={!isAdmin} title={isAdmin ? undefined : 'Applying a fix needs the admin role.'} onClick={() => setConfirming(true)}>
                  Apply this fix…
                </button>
              )}
              {fix.isError && <div className="hl-err small">{(fix.error as Error).message}</div>}
            </>
          ) : (
            <div className="muted small">No automatic fix: {f.kind === 'schema-drift' ? 'extra objects are only reported, never dropped.' : 'see the advice above.'}</div>
          )}
        </div>
      )}
    </li>
  )
}

function Findings({ report, isAdmin, focus, onUnfocus }: { report: AuditReport; isAdmin: boolean; focus: boolean; onUnfocus(): void }) {
  const [fixed, setFixed] = useState(0)
  const shown = focus ? report.findings.filter(isIncidentFinding) : report.findings
  const ref = useRef<HTMLElement>(null)
  useEffect(() => {
    if (focus) ref.current?.scrollIntoView({ block: 'start' })
  }, [focus, report])
  const counts = useMemo(() => {
    const c = new Map<Severity, number>()
    for (const f of report.findings) c.set(f.severity, (c.get(f.severity) ?? 0) + 1)
    return c
  }, [report])
  return (
    <section ref={ref} className="hl-section" aria-label="Audit findings" data-testid="audit-report">
      <header className="hl-section-head">
        <h2>Isolation and drift audit</h2>
        <span className="muted small">
          {formatInt(report.schemasChecked)} schemas compared with “{report.templateSchema}” in {(report.durationMs / 1000).toFixed(1)} s · {formatDateTime(report.startedAt)}
          {report.cancelled ? ' · cancelled before the end' : ''}
          {fixed ? ` · ${fixed} fix${fixed === 1 ? '' : 'es'} applied since` : ''}
        </span>
        <span className="hl-spacer" />
        {(['critical', 'high', 'medium', 'low', 'info'] as Severity[]).map((s) =>
          counts.get(s) ? (
            <Pill key={s} tone={SEVERITY_TONE[s]}>
              {counts.get(s)} {s}
            </Pill>
          ) : null
        )}
      </header>
      {report.notes.map((n) => (
        <div key={n} className="hl-note small">
          {n}
        </div>
      ))}
      {focus && (
        <div className="hl-note small" data-testid="incident-focus">
          Incident mode: showing the policy and search_path findings ({shown.length} of {report.findings.length}
          {shown.length === 0 ? ': none, row security, the tenant schemas’ policies and SECURITY DEFINER functions look as expected' : ''}).{' '}
          <button type="button" className="btn btn-small" onClick={onUnfocus}>
            Show all findings
          </button>
        </div>
      )}
      {report.findings.length === 0 ? (
        <p className="hl-clean">No findings: every tenant schema matches the template, and nothing in the database bypasses isolation.</p>
      ) : (
        <ul className="hl-findings">
          {shown.map((f) => (
            <FindingCard key={f.id} f={f} isAdmin={isAdmin} onFixed={() => setFixed((n) => n + 1)} initiallyOpen={focus} />
          ))}
        </ul>
      )}
    </section>
  )
}

export function HealthScreen() {
  const session = useSession()
  const summary = useHealthSummary()
  const { run, cancel, progress } = useAudit()
  const role = session.data?.role ?? 'none'
  const [focus, setFocus] = useState(false)
  const pct = progress && progress.schemasTotal ? Math.round((progress.schemasDone / progress.schemasTotal) * 100) : 0
  return (
    <div className="health page-scroll" data-testid="health">
      <header className="hl-head">
        <h1>Fleet health</h1>
        <span className="hl-spacer" />
        {run.isPending ? (
          <div className="hl-progress">
            <div className="hl-bar" role="progressbar" aria-label="Audit progress" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
              <span style={{ width: `${pct}%` }} />
            </div>
            <span className="muted small">
              {progress ? `${PHASE[progress.phase] ?? progress.phase}${progress.schemasTotal ? ` · ${formatInt(progress.schemasDone)} of ${formatInt(progress.schemasTotal)}` : ''}` : 'Starting…'}
            </span>
            <button type="button" className="btn btn-small" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" className="btn" disabled={role === 'none'} title={role === 'none' ? 'The audit needs a console role.' : undefined} onClick={() => run.mutate()}>
            {run.data ? 'Run the audit again' : 'Run the audit'}
          </button>
        )}
      </header>
      {summary.isError ? (
        <ErrorState error={summary.error} onRetry={() => void summary.refetch()} retrying={summary.isFetching} />
      ) : summary.data ? (
        <Vitals s={summary.data} />
      ) : (
        <div className="muted">Checking…</div>
      )}
      <AppEndpointLine />
      <IncidentPanel
        role={role}
        onStarted={() => {
          setFocus(true)
          run.mutate()
        }}
      />
      {run.isError && <ErrorState error={run.error} onRetry={() => run.mutate()} compact />}
      {run.data ? (
        <Findings report={run.data} isAdmin={role === 'admin'} focus={focus} onUnfocus={() => setFocus(false)} />
      ) : (
        !run.isPending && (
          <p className="muted hl-intro">
            The audit compares every tenant schema with the template (tables, columns, indexes, constraints, triggers, policies), finds tenant rows without a schema and schemas without a
            tenant, and checks what could break isolation: row security, roles that bypass it, CREATE for everyone, SECURITY DEFINER functions without a fixed search_path.
          </p>
        )
      )}
      <ChecklistPanel enabled={role !== 'none'} />
    </div>
  )
}
