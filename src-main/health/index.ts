/**
 * Fleet health: the vital signs (server, connections, tenants, webhooks, backups) and the
 * isolation and drift audit.
 *   service.ts  summary and the audit job (one at a time, cancellable)
 *   audit.ts    the findings: missing, empty and orphan schemas, drift, database security
 *   drift.ts    per-table fingerprints and what differs from the template, with the fix SQL
 *   plan-drift.ts  limits and features that differ from the plan without a recorded override
 *   ops.ts      the guide's checklist (checklist.ts), incident mode (incident.ts), orphan schemas (orphans.ts)
 */
export { HealthService, RECENT_BACKUP_HOURS } from './service'
export { HealthOpsService } from './ops'
