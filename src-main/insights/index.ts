/**
 * Insights: the fleet overview, a tenant's usage over the months, and "refresh usage"
 * (this month's figures computed from the tenant schemas).
 *   service.ts  overview, usage, CSV export, the refresh job (one at a time, cancellable)
 *   queries.ts  the SQL (aggregates over tenants and tenant_usage, per layout)
 *   refresh.ts  the refresh: source tables found by what the template has, upserts
 *   csv.ts, months.ts  CSV tables and UTC usage periods
 */
export { InsightsService, estimateMrr } from './service'
export { chooseSources } from './refresh'
export { csvField, toCsv } from './csv'
export { monthRange, periodOf } from './months'
