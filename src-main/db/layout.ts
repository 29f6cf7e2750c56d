import type { LayoutInfo } from '../../src-preload/contract'
import type { Queryable } from './connection'

export interface Layout extends LayoutInfo {
  /** Columns of public.tenants as the catalog reports them. */
  tenantColumns: Set<string>
  /** Maximum lengths of public.tenants' varchar(n) columns. */
  tenantColumnLengths: Map<string, number>
  usageColumns: Set<string>
  hasSettings: boolean
  hasUsage: boolean
  /** Newer layout: custom domains live in public.tenant_domains (tenant_id, domain). */
  hasDomains: boolean
  /** console.backup_catalog exists and this role may read it (backup freshness in the directory). */
  hasBackupCatalog: boolean
  domainColumns: Set<string>
}

/** Values of a CHECK (col IN (...)) / (col = ANY (ARRAY[...])) constraint. */
export function parseCheckValues(def: string): string[] {
  const out: string[] = []
  const re = /'((?:[^']|'')*)'/g
  let m: RegExpExecArray | null
  while ((m = re.exec(def))) out.push(m[1]!.replace(/''/g, "'"))
  return [...new Set(out)]
}

/**
 * Reads the app's layout from the catalog: which tables and columns exist and
 * which statuses and plans the CHECK constraints allow. Never assumes the 030 layout.
 */
export async function readLayout(db: Queryable): Promise<Layout> {
  const tables = await db.query<{ table_name: string }>(
    `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v')
        AND c.relname = ANY($1)`,
    [['tenants', 'tenant_usage', 'tenant_settings', 'tenant_invitations', 'tenant_audit_logs', 'tenant_audit_log', 'stripe_webhooks', 'tenant_domains']]
  )
  const have = new Set(tables.rows.map((r) => r.table_name))
  // pg_attribute, not information_schema.columns: the latter is slow on databases
  // with 100,000+ tenant tables and hides columns the role has no privilege on.
  const cols = await db.query<{ table_name: string; column_name: string; max_len: number | null }>(
    `SELECT c.relname AS table_name, a.attname AS column_name,
            CASE WHEN a.atttypid = 'varchar'::regtype AND a.atttypmod > 4 THEN a.atttypmod - 4 END AS max_len
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname IN ('tenants', 'tenant_usage', 'tenant_domains')
        AND a.attnum > 0 AND NOT a.attisdropped`
  )
  const tenantColumns = new Set(cols.rows.filter((r) => r.table_name === 'tenants').map((r) => r.column_name))
  const tenantColumnLengths = new Map(
    cols.rows.filter((r) => r.table_name === 'tenants' && r.max_len !== null).map((r) => [r.column_name, Number(r.max_len)] as const)
  )
  const usageColumns = new Set(cols.rows.filter((r) => r.table_name === 'tenant_usage').map((r) => r.column_name))
  const domainColumns = new Set(cols.rows.filter((r) => r.table_name === 'tenant_domains').map((r) => r.column_name))
  const checks = await db.query<{ def: string }>(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = to_regclass('public.tenants') AND contype = 'c'`
  )
  const statusDef = checks.rows.find((r) => /\bstatus\b/.test(r.def) && !/payment_status/.test(r.def))
  const planDef = checks.rows.find((r) => /\bbilling_plan\b|\bplan\b/.test(r.def) && !/interval/.test(r.def))
  const migrated = await db.query<{ ok: boolean; catalog: boolean }>(
    `SELECT to_regclass('console.schema_migrations') IS NOT NULL AS ok,
            CASE WHEN to_regclass('console.backup_catalog') IS NULL THEN false
                 ELSE has_table_privilege('console.backup_catalog', 'SELECT') END AS catalog`
  )

  const unsupported: string[] = []
  if (!have.has('tenants')) unsupported.push('This database has no public.tenants table: it is not a multi-tenant nself-chat database, or its migration was never run.')
  if (!have.has('stripe_webhooks')) unsupported.push('No public.stripe_webhooks table: webhook failures cannot be shown.')
  if (!have.has('tenant_invitations')) unsupported.push('No public.tenant_invitations table: invitations cannot be shown.')
  if (!have.has('tenant_usage')) unsupported.push('No public.tenant_usage table: usage cannot be shown.')
  const auditTable = have.has('tenant_audit_logs') ? 'tenant_audit_logs' : have.has('tenant_audit_log') ? 'tenant_audit_log' : null
  if (!auditTable) unsupported.push('No tenant audit table: actions are recorded only in the console operator log.')

  const kind: Layout['kind'] = !have.has('tenants')
    ? 'unknown'
    : have.has('tenant_audit_log') && !have.has('stripe_webhooks')
      ? 'newer'
      : have.has('tenant_audit_logs')
        ? '030'
        : 'unknown'
  if (kind === 'newer') {
    // Say what really differs: the billing columns are all there on this layout.
    unsupported.push(
      `This database uses the newer tenancy layout: plans ${planDef ? parseCheckValues(planDef.def).join('/') : 'free/starter/pro/business/enterprise'}, its own limit and feature keys, custom domains also in tenant_domains, the audit trail in tenant_audit_log, no 'pending' status. Its billing columns are complete; only Stripe webhook failures and invitations, which need tables it does not have, cannot be shown.`
    )
  }

  return {
    kind,
    statuses: statusDef ? parseCheckValues(statusDef.def) : ['active', 'trial', 'suspended', 'cancelled', 'pending'],
    plans: planDef ? parseCheckValues(planDef.def) : [],
    hasStripeWebhooks: have.has('stripe_webhooks'),
    hasInvitations: have.has('tenant_invitations'),
    auditTable,
    migrationsApplied: Boolean(migrated.rows[0]?.ok),
    unsupported,
    tenantColumns,
    tenantColumnLengths,
    usageColumns,
    hasSettings: have.has('tenant_settings'),
    hasUsage: have.has('tenant_usage') && usageColumns.has('tenant_id') && usageColumns.has('period'),
    hasDomains: have.has('tenant_domains') && domainColumns.has('tenant_id') && domainColumns.has('domain'),
    hasBackupCatalog: Boolean(migrated.rows[0]?.catalog),
    domainColumns
  }
}
