/**
 * Tenant lifecycle (create, edit, suspend/reactivate, cancel/restore, hard delete, bulk).
 * Public entry: service.ts holds the rules, repository.ts the audit and lock SQL,
 * catalog.ts/cloner.ts/parity.ts the template cloning, cache.ts the Redis eviction.
 */
export { LifecycleService, type LifecycleOptions } from './service'
