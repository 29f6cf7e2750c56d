import { useState } from 'react'
import { Bar, BarChart, CartesianGrid, Cell, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { FleetOverview, LimitMetric, OverviewChart, RangeMonths } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { PlanBadge } from '../../components/Pill'
import { capitalize, formatBytes, formatCents, formatDateTime, formatInt, formatRelative } from '../../lib/format'
import { useSession } from '../../shell/session'
import { ChartCard, compact, monthLabel, PLAN_COLOR, RangeSelector, STATUS_COLOR } from './charts'
import { useOverview, useRefreshUsage } from './queries'
import './insights.css'

/** Opens the directory filtered to a status or a plan (the directory reads `#/tenants?…`). */
export function openDirectory(filter: { status?: string; plan?: string; search?: string; created?: string }): void {
  const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][])
  window.location.hash = `/tenants?${q.toString()}`
}

/** A bar's click handler: reads one field of the bar's datum. */
const onBar =
  (field: string, open: (value: string) => void) =>
  (bar: { payload?: unknown }): void => {
    const v = (bar.payload as Record<string, unknown> | undefined)?.[field]
    if (typeof v === 'string' && v) open(v)
  }

const METRIC_LABEL: Record<LimitMetric, string> = { users: 'Users', storage: 'Storage', apiCalls: 'API calls / month', channels: 'Channels' }
const metricValue = (m: LimitMetric, v: number) => (m === 'storage' ? formatBytes(v) : formatInt(v))
const axisTick = { fontSize: 11, fill: 'var(--text-2)' }
const tooltipStyle = { background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12, color: 'var(--text)' }

function Kpi({ label, value, hint, tone }: { label: string; value: string; hint?: string; tone?: string }) {
  return (
    <div className={`in-kpi${tone ? ` in-kpi-${tone}` : ''}`} title={hint}>
      <div className="in-kpi-label">{label}</div>
      <div className="in-kpi-value">{value}</div>
      {hint && <div className="in-kpi-hint muted small">{hint}</div>}
    </div>
  )
}

function RefreshUsage() {
  const session = useSession()
  const { run, cancel, progress } = useRefreshUsage()
  const isAdmin = session.data?.role === 'admin'
  const pct = progress && progress.total ? Math.round((progress.done / progress.total) * 100) : 0
  const result = run.data
  return (
    <div className="in-refresh">
      {run.isPending ? (
        <>
          <div className="in-bar" role="progressbar" aria-label="Refreshing usage" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
            <span style={{ width: `${pct}%` }} />
          </div>
          <span className="muted small">{progress ? `${formatInt(progress.done)} of ${formatInt(progress.total)} tenants` : 'Starting…'}</span>
          <button type="button" className="btn btn-small" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
            {cancel.isPending ? 'Cancelling…' : 'Cancel'}
          </button>
        </>
      ) : (
        <>
          {result && (
            <span className="muted small" data-testid="refresh-result">
              {result.cancelled ? 'Cancelled: ' : ''}
              {formatInt(result.refreshed)} of {formatInt(result.total)} tenants refreshed for {result.period}
              {result.skipped.length ? `; ${formatInt(result.skipped.length)} skipped (${summarizeSkips(result.skipped)})` : ''}
            </span>
          )}
          {run.isError && <span className="in-error small">{(run.error as Error).message}</span>}
          <button
            type="button"
            className="btn btn-small"
            disabled={!isAdmin}
            title={isAdmin ? 'Compute this month’s users, messages, files and storage from every tenant schema' : 'Refreshing usage writes tenant_usage: it needs the admin role.'}
            onClick={() => run.mutate({ all: true })}
          >
            Refresh usage
          </button>
        </>
      )}
    </div>
  )
}

function summarizeSkips(skipped: { reason: string }[]): string {
  const counts = new Map<string, number>()
  for (const s of skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1)
  return [...counts].map(([r, n]) => `${n} ${r.replace(/-/g, ' ')}`).join(', ')
}

function Charts({ o, months }: { o: FleetOverview; months: RangeMonths }) {
  const csv = (chart: OverviewChart) => ({ chart, months })
  const monthly = o.monthly.map((m) => ({ ...m, label: monthLabel(m.month) }))
  const mrrDollars = o.mrr.byPlan.map((p) => ({ ...p, dollars: p.cents / 100 }))
  return (
    <div className="in-grid">
      <ChartCard
        title="Tenants by status"
        subtitle="Click a bar to open the directory filtered to it"
        table={{ header: ['Status', 'Tenants'], rows: o.byStatus.map((c) => [capitalize(c.key), formatInt(c.count)]) }}
        csv={csv('status')}
        testId="chart-status"
      >
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={o.byStatus} layout="vertical" margin={{ left: 8, right: 16 }}>
            <CartesianGrid horizontal={false} stroke="var(--border)" />
            <XAxis type="number" tick={axisTick} allowDecimals={false} />
            <YAxis type="category" dataKey="key" tick={axisTick} width={80} tickFormatter={capitalize} />
            <Tooltip contentStyle={tooltipStyle} cursor={{ fill: 'var(--surface-hover)' }} formatter={(v) => [formatInt(Number(v)), 'Tenants']} />
            <Bar isAnimationActive={false} dataKey="count" name="Tenants" cursor="pointer" onClick={onBar('key', (status) => openDirectory({ status }))}>
              {o.byStatus.map((c) => (
                <Cell key={c.key} fill={STATUS_COLOR[c.key] ?? 'var(--gray)'} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </ChartCard>

      <ChartCard
        title="Tenants by plan"
        subtitle="Click a bar to open the directory filtered to it"
        table={{ header: ['Plan', 'Tenants'], rows: o.byPlan.map((c) => [c.key, formatInt(c.count)]) }}
        csv={csv('plan')}
        testId="chart-plan"
      >
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={o.byPlan} layout="vertical" margin={{ left: 8, right: 16 }}>
            <CartesianGrid horizontal={false} stroke="var(--border)" />
            <XAxis type="number" tick={axisTick} allowDecimals={false} />
            <YAxis type="category" dataKey="key" tick={axisTick} width={80} tickFormatter={capitalize} />
            <Tooltip contentStyle={tooltipStyle} cursor={{ fill: 'var(--surface-hover)' }} formatter={(v) => [formatInt(Number(v)), 'Tenants']} />
            <Bar isAnimationActive={false} dataKey="count" name="Tenants" cursor="pointer" onClick={onBar('key', (plan) => openDirectory({ plan }))}>
              {o.byPlan.map((c) => (
                <Cell key={c.key} fill={PLAN_COLOR[c.key] ?? 'var(--gray)'} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </ChartCard>

      <ChartCard
        title="New and cancelled tenants"
        subtitle="Per month (UTC); click a month to open the tenants created in it"
        table={{ header: ['Month', 'New', 'Cancelled'], rows: o.monthly.map((m) => [m.month, formatInt(m.created), formatInt(m.cancelled)]) }}
        csv={csv('monthly')}
        testId="chart-lifecycle"
      >
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={monthly} margin={{ left: 0, right: 8 }}>
            <CartesianGrid vertical={false} stroke="var(--border)" />
            <XAxis dataKey="label" tick={axisTick} interval="preserveStartEnd" />
            <YAxis tick={axisTick} allowDecimals={false} width={40} />
            <Tooltip contentStyle={tooltipStyle} cursor={{ fill: 'var(--surface-hover)' }} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar isAnimationActive={false} dataKey="created" name="New" fill="var(--blue)" cursor="pointer" onClick={onBar('month', (created) => openDirectory({ created }))} />
            <Bar isAnimationActive={false} dataKey="cancelled" name="Cancelled" fill="var(--red)" />
          </BarChart>
        </ResponsiveContainer>
      </ChartCard>

      <ChartCard
        title="Estimated monthly recurring revenue"
        subtitle={<span title={o.mrr.basis}>{formatCents(o.mrr.totalCents)} · estimate, basis on hover</span>}
        table={{ header: ['Plan', 'Active tenants', 'MRR'], rows: o.mrr.byPlan.map((p) => [p.plan, formatInt(p.tenants), formatCents(p.cents)]) }}
        csv={csv('revenue')}
        testId="chart-revenue"
      >
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={mrrDollars} margin={{ left: 0, right: 8 }}>
            <CartesianGrid vertical={false} stroke="var(--border)" />
            <XAxis dataKey="plan" tick={axisTick} tickFormatter={capitalize} />
            <YAxis tick={axisTick} width={48} tickFormatter={(v: number) => `$${compact(v)}`} />
            <Tooltip contentStyle={tooltipStyle} cursor={{ fill: 'var(--surface-hover)' }} formatter={(v) => [formatCents(Number(v) * 100), 'MRR']} />
            <Bar isAnimationActive={false} dataKey="dollars" name="MRR" cursor="pointer" onClick={onBar('plan', (plan) => openDirectory({ plan }))}>
              {mrrDollars.map((p) => (
                <Cell key={p.plan} fill={PLAN_COLOR[p.plan] ?? 'var(--gray)'} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </ChartCard>

      <ChartCard
        title="Messages sent"
        subtitle="Fleet total per month; a gap is a month no tenant reported"
        table={{
          header: ['Month', 'Messages sent', 'Active users', 'Tenants reporting'],
          rows: o.monthly.map((m) => [m.month, m.messagesSent === null ? '—' : formatInt(m.messagesSent), m.usersActive === null ? '—' : formatInt(m.usersActive), formatInt(m.tenantsReporting)])
        }}
        csv={csv('monthly')}
        testId="chart-messages"
      >
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={monthly} margin={{ left: 0, right: 8 }}>
            <CartesianGrid vertical={false} stroke="var(--border)" />
            <XAxis dataKey="label" tick={axisTick} interval="preserveStartEnd" />
            <YAxis tick={axisTick} width={48} tickFormatter={compact} />
            <Tooltip contentStyle={tooltipStyle} formatter={(v) => formatInt(Number(v))} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Line isAnimationActive={false} type="monotone" dataKey="messagesSent" name="Messages sent" stroke="var(--blue)" strokeWidth={2} dot={{ r: 2 }} connectNulls={false} />
            <Line isAnimationActive={false} type="monotone" dataKey="usersActive" name="Active users" stroke="var(--green)" strokeWidth={2} dot={{ r: 2 }} connectNulls={false} />
          </LineChart>
        </ResponsiveContainer>
      </ChartCard>

      <ChartCard
        title="Storage"
        subtitle="Fleet total per month"
        table={{ header: ['Month', 'Storage'], rows: o.monthly.map((m) => [m.month, m.storageBytes === null ? '—' : formatBytes(m.storageBytes)]) }}
        csv={csv('monthly')}
        testId="chart-storage"
      >
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={monthly} margin={{ left: 0, right: 8 }}>
            <CartesianGrid vertical={false} stroke="var(--border)" />
            <XAxis dataKey="label" tick={axisTick} interval="preserveStartEnd" />
            <YAxis tick={axisTick} width={64} tickFormatter={(v: number) => formatBytes(v)} />
            <Tooltip contentStyle={tooltipStyle} formatter={(v) => [formatBytes(Number(v)), 'Storage']} />
            <Line isAnimationActive={false} type="monotone" dataKey="storageBytes" name="Storage" stroke="var(--violet)" strokeWidth={2} dot={{ r: 2 }} connectNulls={false} />
          </LineChart>
        </ResponsiveContainer>
      </ChartCard>

      <ChartCard
        title="Trials ending within 7 days"
        table={{ header: ['Tenant', 'Plan', 'Trial ends'], rows: o.trialsEnding.map((t) => [t.name, t.plan, formatDateTime(t.trialEndsAt)]) }}
        csv={csv('trials')}
        testId="list-trials"
      >
        {o.trialsEnding.length === 0 ? (
          <p className="muted in-empty">No trial ends in the next 7 days.</p>
        ) : (
          <ul className="in-list">
            {o.trialsEnding.map((t) => (
              <li key={t.id}>
                <button type="button" className="btn-link" onClick={() => openDirectory({ search: t.slug })}>
                  {t.name}
                </button>
                <span className="mono muted small">{t.slug}</span>
                <PlanBadge plan={t.plan} />
                <span className="in-spacer" />
                <span className="small" title={t.trialEndsAt}>
                  {formatRelative(t.trialEndsAt)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </ChartCard>

      <ChartCard
        title="Over or near a limit this month"
        subtitle={`${formatInt(o.limits.over)} at or over, ${formatInt(o.limits.near)} at 80% or more (${o.period})${o.limits.truncated ? '; worst 100 shown' : ''}`}
        table={{
          header: ['Tenant', 'Limit', 'Used', 'Of', '%'],
          rows: o.limits.rows.map((r) => [r.name, METRIC_LABEL[r.metric], metricValue(r.metric, r.used), metricValue(r.metric, r.limit), `${Math.round(r.ratio * 100)}%`])
        }}
        csv={csv('limits')}
        testId="list-limits"
      >
        {o.limits.rows.length === 0 ? (
          <p className="muted in-empty">No tenant is at 80% of a limit this month.</p>
        ) : (
          <ul className="in-list">
            {o.limits.rows.slice(0, 8).map((r) => (
              <li key={`${r.id}-${r.metric}`}>
                <button type="button" className="btn-link" onClick={() => openDirectory({ search: r.slug })}>
                  {r.name}
                </button>
                <span className="muted small">{METRIC_LABEL[r.metric]}</span>
                <span className="in-spacer" />
                <span className="small">
                  {metricValue(r.metric, r.used)} / {metricValue(r.metric, r.limit)}
                </span>
                <span className={`in-ratio${r.over ? ' over' : ''}`}>{Math.round(r.ratio * 100)}%</span>
              </li>
            ))}
          </ul>
        )}
      </ChartCard>
    </div>
  )
}

export function OverviewScreen() {
  const [months, setMonths] = useState<RangeMonths>(12)
  const q = useOverview(months)
  const o = q.data
  const trialCount = o?.trialsEnding.length ?? 0
  return (
    <div className="insights page-scroll" data-testid="overview">
      <header className="in-head">
        <h1>Fleet overview</h1>
        <RangeSelector value={months} onChange={setMonths} />
        <span className="in-spacer" />
        <RefreshUsage />
      </header>
      {q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} retrying={q.isFetching} />
      ) : !o ? (
        <div className="in-loading muted">Loading the fleet…</div>
      ) : (
        <>
          <div className="in-kpis">
            <Kpi label="Tenants" value={formatInt(o.tenants)} hint={o.byStatus.map((s) => `${formatInt(s.count)} ${s.key}`).join(' · ')} />
            <Kpi label="Estimated MRR" value={formatCents(o.mrr.totalCents)} hint={o.mrr.basis} />
            <Kpi label="Trials ending ≤ 7 days" value={formatInt(trialCount)} tone={trialCount ? 'amber' : undefined} />
            <Kpi label="At or over a limit" value={formatInt(o.limits.over)} hint={`${formatInt(o.limits.near)} more at 80% or more`} tone={o.limits.over ? 'red' : undefined} />
          </div>
          {o.notes.length > 0 && (
            <ul className="in-notes" data-testid="overview-notes">
              {o.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          <Charts o={o} months={months} />
          <p className="muted small">Computed {formatRelative(o.generatedAt)}; usage for {o.period} is as of the last refresh.</p>
        </>
      )}
    </div>
  )
}
