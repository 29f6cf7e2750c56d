/**
 * Why a tenant whose schema is the template may not be suspended, cancelled, deleted
 * or restored over: the newer layout's migration inserts a default tenant (single-tenant
 * mode) whose schema is the template every tenant is cloned from. null for other tenants.
 */
export function templateTenantReason(schemaName: string, templateSchema: string): string | null {
  if (!schemaName || schemaName.toLowerCase() !== templateSchema.toLowerCase()) return null
  return `This is the app's default tenant: its schema ${schemaName} is the template every new tenant is copied from, so it cannot be suspended, cancelled, deleted or restored over from the console.`
}
