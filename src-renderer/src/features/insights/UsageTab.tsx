import { useState } from 'react'
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { RangeMonths, UsageMonth } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { formatBytes, formatInt } from '../../lib/format'
import { ChartCard, compact, monthLabel, RangeSelector } from './charts'
import { useTenantUsage } from './queries'
import './insights.css'

const axisTick = { fontSize: 11, fill: 'var(--text-2)' }
const tooltipStyle = { background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12, color: 'var(--text)' }
const cell = (v: number | null, f: (n: number) => string = formatInt) => (v === null ? '—' : f(v))

interface SeriesDef {
  key: keyof UsageMonth
  name: string
  color: string
}

/** One metric over the months, with the plan's limit as a dashed line; months without a row are gaps. */
function UsageChart({
  title,
  data,
  series,
  limit,
  format = formatInt,
  testId
}: {
  title: string
  data: (UsageMonth & { label: string })[]
  series: SeriesDef[]
  /** The plan's limit; null: unlimited or not set; absent: the plan has no limit for this. */
  limit?: number | null
  format?: (n: number) => string
  testId: string
}) {
  const max = Math.max(0, ...data.flatMap((d) => series.map((s) => (d[s.key] as number | null) ?? 0)))
  return (
    <ChartCard
      title={title}
      subtitle={limit === undefined ? undefined : limit === null ? 'No limit (unlimited or not set)' : `Limit ${format(limit)}`}
      table={{ header: ['Month', ...series.map((s) => s.name)], rows: data.map((d) => [d.month, ...series.map((s) => cell(d[s.key] as number | null, format))]) }}
      testId={testId}
    >
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={data} margin={{ left: 0, right: 12, top: 8 }}>
          <CartesianGrid vertical={false} stroke="var(--border)" />
          <XAxis dataKey="label" tick={axisTick} interval="preserveStartEnd" />
          <YAxis tick={axisTick} width={56} tickFormatter={(v: number) => (format === formatBytes ? formatBytes(v) : compact(v))} domain={[0, Math.max(max, limit ?? 0) * 1.1 || 1]} />
          <Tooltip contentStyle={tooltipStyle} formatter={(v, name) => [format(Number(v)), name]} />
          {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
          {limit != null && <ReferenceLine y={limit} stroke="var(--red)" strokeDasharray="5 4" label={{ value: 'limit', position: 'insideTopRight', fontSize: 11, fill: 'var(--red)' }} />}
          {series.map((s) => (
            <Line key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={s.color} strokeWidth={2} dot={{ r: 2.5 }} connectNulls={false} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}

export function UsageTab({ tenantId }: { tenantId: string }) {
  const [months, setMonths] = useState<RangeMonths>(12)
  const q = useTenantUsage(tenantId, months)
  const u = q.data
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} retrying={q.isFetching} compact />
  if (!u) return <div className="usage-tab muted">Loading usage…</div>
  const data = u.months.map((m) => ({ ...m, label: monthLabel(m.month) }))
  const over = u.check.items.filter((i) => i.over)
  return (
    <div className="usage-tab" data-testid="usage-tab">
      <RangeSelector value={months} onChange={setMonths} />
      <div className={`usage-check${u.check.exceeded ? ' over' : ''}`} data-testid="limit-check">
        {u.check.exceeded
          ? `Over a limit this month${over.length ? `: ${over.map((i) => i.metric).join(', ')}` : ''}.`
          : 'Within every limit this month.'}{' '}
        <span className="muted">({u.check.source === 'check_tenant_limits' ? 'check_tenant_limits' : 'computed by the console'})</span>
      </div>
      {u.notes.map((n) => (
        <div key={n} className="muted small">
          {n}
        </div>
      ))}
      <div className="in-grid">
        <UsageChart
          title="Users"
          data={data}
          series={[
            { key: 'usersTotal', name: 'Total', color: 'var(--blue)' },
            { key: 'usersActive', name: 'Active', color: 'var(--green)' }
          ]}
          limit={u.limits.maxUsers}
          testId="usage-users"
        />
        <UsageChart
          title="Messages"
          data={data}
          series={[{ key: 'messagesSent', name: 'Sent this month', color: 'var(--blue)' }]}
          testId="usage-messages"
        />
        <UsageChart title="Files" data={data} series={[{ key: 'filesCount', name: 'Files', color: 'var(--teal)' }]} testId="usage-files" />
        <UsageChart title="Storage" data={data} series={[{ key: 'storageBytes', name: 'Storage', color: 'var(--violet)' }]} limit={u.limits.maxStorageBytes} format={formatBytes} testId="usage-storage" />
        <UsageChart title="API calls" data={data} series={[{ key: 'apiCalls', name: 'API calls', color: 'var(--indigo)' }]} limit={u.limits.maxApiCallsPerMonth} testId="usage-api" />
        <UsageChart title="Call minutes" data={data} series={[{ key: 'callMinutes', name: 'Minutes', color: 'var(--amber)' }]} testId="usage-calls" />
        <ChartCard
          title="API calls by endpoint"
          subtitle={`Over the last ${months} months`}
          table={{ header: ['Endpoint', 'Calls'], rows: u.apiByEndpoint.map((e) => [e.endpoint, formatInt(e.calls)]) }}
          testId="usage-endpoints"
        >
          {u.apiByEndpoint.length === 0 ? (
            <p className="muted in-empty">No API calls by endpoint were recorded in this range.</p>
          ) : (
            <ResponsiveContainer width="100%" height={Math.max(120, u.apiByEndpoint.length * 26 + 30)}>
              <BarChart data={u.apiByEndpoint} layout="vertical" margin={{ left: 8, right: 16 }}>
                <CartesianGrid horizontal={false} stroke="var(--border)" />
                <XAxis type="number" tick={axisTick} tickFormatter={compact} />
                <YAxis type="category" dataKey="endpoint" tick={axisTick} width={140} />
                <Tooltip contentStyle={tooltipStyle} cursor={{ fill: 'var(--surface-hover)' }} formatter={(v) => [formatInt(Number(v)), 'Calls']} />
                <Bar dataKey="calls" fill="var(--indigo)" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          )}
        </ChartCard>
      </div>
    </div>
  )
}
