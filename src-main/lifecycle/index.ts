/**
 * Tenant lifecycle (create, edit, suspend/reactivate, cancel/restore, hard delete, bulk).
 * Public entry. Inside: service.ts (capabilities, edit, status changes, bulk), create.ts,
 * hard-delete.ts, repository.ts (locks and audit SQL), catalog.ts/cloner.ts/parity.ts
 * (cloning the template schema), cache.ts (the app's Redis keys).
 */
export { LifecycleService, type LifecycleOptions } from './service'
export type { Within } from './service'
export { evictTenantKeys, tenantCacheKeys, type EvictResult } from './cache'
export { actorFor, writeOperatorLog, writeTenantAudit, type Actor } from './repository'
