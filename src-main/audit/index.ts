/**
 * Audit: the audit trail explorer and the deployment guide's maintenance jobs.
 *   service.ts      list (keyset pages of one timeline or one source), a row's detail, CSV export, indexes
 *   sources.ts      the three sources as SQL: the app's audit table (either layout), the archive, the operator log
 *   timeline.ts     the keyset page over merged sources, the cursor
 *   archive.ts      copying a tenant's app audit rows before its hard delete (used by lifecycle)
 *   maintenance.ts  the cleanup jobs: dry run, one transaction, operator log
 *   (its app-table indexes are the "audit" area of src-main/indexes)
 */
export { AuditService } from './service'
export { Maintenance } from './maintenance'
export { archiveTenantAudit } from './archive'
export { decodeCursor, encodeCursor } from './timeline'
