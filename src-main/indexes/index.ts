/**
 * The console's indexes on the app's tables (audit, directory, billing): one registry of
 * specs (specs.ts) and one admin action to list, create and drop them (service.ts).
 */
export { IndexService } from './service'
