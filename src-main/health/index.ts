/**
 * Fleet health: the vital signs (server, connections, tenants, webhooks, backups) and the
 * isolation and drift audit.
 *   service.ts  summary and the audit job (one at a time, cancellable)
 *   audit.ts    the findings: missing, empty and orphan schemas, drift, database security
 *   drift.ts    per-table fingerprints and what differs from the template, with the fix SQL
 */
export { HealthService, RECENT_BACKUP_HOURS } from './service'
