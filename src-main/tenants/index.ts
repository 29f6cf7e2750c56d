/** The tenant directory (list, detail, facets). Public entry; repository.ts holds its SQL. */
export { TenantDirectoryService, currentPeriod } from './service'
