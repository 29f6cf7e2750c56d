import type { FleetOverview, OverviewChart } from '../../src-preload/contract'

/** One CSV field: quoted when it holds a comma, quote or line break; formula-looking text is defused. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return ''
  let s = String(v)
  // A spreadsheet would run =, +, -, @ at the start of a text cell as a formula.
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n'
}

/** The numbers behind one overview chart, as a CSV table (header + rows). */
export function overviewTable(o: FleetOverview, chart: OverviewChart): { header: string[]; rows: unknown[][] } {
  switch (chart) {
    case 'status':
      return { header: ['status', 'tenants'], rows: o.byStatus.map((c) => [c.key, c.count]) }
    case 'plan':
      return { header: ['plan', 'tenants'], rows: o.byPlan.map((c) => [c.key, c.count]) }
    case 'monthly':
      return {
        header: ['month', 'created', 'cancelled', 'messages_sent', 'storage_bytes', 'users_active', 'tenants_reporting'],
        rows: o.monthly.map((m) => [m.month, m.created, m.cancelled, m.messagesSent, m.storageBytes, m.usersActive, m.tenantsReporting])
      }
    case 'revenue':
      return { header: ['plan', 'active_tenants', 'mrr_cents'], rows: o.mrr.byPlan.map((p) => [p.plan, p.tenants, p.cents]) }
    case 'trials':
      return { header: ['slug', 'name', 'plan', 'trial_ends_at'], rows: o.trialsEnding.map((t) => [t.slug, t.name, t.plan, t.trialEndsAt]) }
    case 'limits':
      return {
        header: ['slug', 'name', 'plan', 'metric', 'used', 'limit', 'ratio', 'over'],
        rows: o.limits.rows.map((r) => [r.slug, r.name, r.plan, r.metric, r.used, r.limit, r.ratio.toFixed(4), r.over])
      }
  }
}
