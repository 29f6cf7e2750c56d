import { useState } from 'react'
import type { ReachHost, ReachStep } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { formatDateTime } from '../../lib/format'
import { useSession } from '../../shell/session'
import { ReachPill } from './ReachPill'
import { useTenantReach } from './queries'
import './reach.css'

function StepRow({ s }: { s: ReachStep }) {
  const [open, setOpen] = useState(s.status === 'fail' || s.status === 'warn')
  const more = s.evidence.length > 0 || s.fix
  return (
    <li className={`rc-step rc-${s.status}`} data-testid="reach-step" data-kind={s.kind} data-status={s.status}>
      <button type="button" className="rc-step-head" aria-expanded={open} disabled={!more} onClick={() => setOpen((v) => !v)}>
        <ReachPill status={s.status} />
        <b>{s.title}</b>
        <span className="rc-summary">{s.summary}</span>
      </button>
      {open && more && (
        <div className="rc-step-body small">
          {s.evidence.length > 0 && (
            <ul className="rc-evidence mono">
              {s.evidence.map((e, i) => (
                <li key={i}>{e}</li>
              ))}
            </ul>
          )}
          {s.fix && (
            <p className="rc-fix">
              <b>Fix:</b> {s.fix}
            </p>
          )}
        </div>
      )}
    </li>
  )
}

function HostBlock({ h }: { h: ReachHost }) {
  return (
    <div className="rc-host" data-testid="reach-host" data-host={h.host} data-status={h.status}>
      <div className="rc-host-head">
        <span className="mono">{h.host}</span>
        <span className="muted small">{h.role === 'subdomain' ? 'subdomain' : 'custom domain'}</span>
        <span className="rc-spacer" />
        <ReachPill status={h.status} />
      </div>
      <ul className="rc-steps">
        {h.steps.map((s) => (
          <StepRow key={s.kind} s={s} />
        ))}
      </ul>
    </div>
  )
}

/**
 * "Tenant not found", checked: DNS of the tenant's hosts, their TLS certificates and
 * health endpoints, each step with its evidence and fix. Self-contained: the tenant
 * detail shows it with the tenant's id.
 */
export function ReachabilitySection({ tenantId }: { tenantId: string }) {
  const session = useSession()
  const check = useTenantReach()
  const role = session.data?.role ?? 'none'
  const r = check.data
  return (
    <section className="detail-section rc" aria-label="Reachability" data-testid="reachability">
      <header className="detail-section-head">
        <h3>Reachability</h3>
        {r && <ReachPill status={r.status} />}
        <span className="rc-spacer" />
        <button
          type="button"
          className="btn btn-small"
          disabled={role === 'none' || check.isPending}
          title={role === 'none' ? 'Checking reachability needs a console role.' : 'Resolve the tenant’s hosts, check their certificates and call their health endpoint'}
          onClick={() => check.mutate(tenantId)}
        >
          {check.isPending ? 'Checking…' : r ? 'Check again' : 'Check reachability'}
        </button>
      </header>
      {check.isError && <ErrorState error={check.error} onRetry={() => check.mutate(tenantId)} compact />}
      {r ? (
        <div className="rc-result" data-testid="reach-result" data-status={r.status}>
          <p className="muted small">
            Base domain <span className="mono">{r.baseDomain}</span> · DNS {r.resolver === 'system' ? 'of this machine' : <span className="mono">{r.resolver}</span>} · {formatDateTime(r.checkedAt)} · {(r.durationMs / 1000).toFixed(1)} s
          </p>
          <ul className="rc-steps">
            <StepRow s={r.record} />
          </ul>
          {r.hosts.map((h) => (
            <HostBlock key={h.host} h={h} />
          ))}
        </div>
      ) : (
        !check.isPending &&
        !check.isError && <p className="muted small">“Tenant not found”? Resolves the tenant’s subdomain and custom domains, checks the certificate each presents and calls its health endpoint.</p>
      )}
    </section>
  )
}
