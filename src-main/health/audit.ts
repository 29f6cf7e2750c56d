/**
 * The isolation and drift audit: tenant rows without a schema, empty schemas, orphan
 * schemas, schemas that differ from the template, row security of the app's tables,
 * privileged roles, CREATE for PUBLIC, SECURITY DEFINER functions without a fixed
 * search_path. Schemas are compared in chunks (a few catalog queries per chunk), with
 * progress after each chunk and cancel between chunks.
 */
import { createHash } from 'node:crypto'
import type { AuditProgress, AuditReport, Finding, Severity } from '../../src-preload/contract'
import { qualify, quoteIdent } from '../core/ident'
import type { Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import { planDriftFindings } from './plan-drift'
import { diffIsEmpty, diffKey, diffSchema, explainDrift, fingerprints, type SchemaDiff, type TableFingerprint } from './drift'

const CHUNK = 400
const LISTED = 200
/** Fix SQL is written out for at most this many schemas; the rest are counted. */
const FIX_SCHEMAS = 50

export interface AuditDeps {
  db: Queryable
  layout: Layout
  templateSchema: string
  tenantPrefix: string
  emit(p: AuditProgress): void
}

const findingId = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)

interface TenantSchema {
  id: string
  slug: string
  declared: string
  real: string | null
  tables: number
}

export async function runAudit(deps: AuditDeps, jobId: string, signal: AbortSignal): Promise<AuditReport> {
  const { db, layout, templateSchema } = deps
  const started = Date.now()
  const findings: Finding[] = []
  const notes: string[] = []
  let compared: TenantSchema[] = []
  const progress = (phase: AuditProgress['phase'], done: number, total: number) => deps.emit({ jobId, phase, schemasDone: done, schemasTotal: total })
  const add = (f: Omit<Finding, 'id' | 'tenantCount' | 'tenants'> & { key: string; tenants?: Finding['tenants'] }) => {
    const tenants = f.tenants ?? []
    findings.push({ ...f, id: findingId(f.kind, f.key), tenants: tenants.slice(0, LISTED), tenantCount: tenants.length })
  }
  progress('catalog', 0, 0)

  // --- Tenants and their schemas (one query), orphans (one query).
  const tenants: TenantSchema[] = layout.tenantColumns.has('schema_name')
    ? (
        await db.query<TenantSchema>(
          // Tables per schema in one pass over pg_class (it has no index on relnamespace:
          // a count per tenant would scan it once per tenant).
          `WITH counts AS (SELECT relnamespace, count(*)::int AS tables FROM pg_class WHERE relkind IN ('r', 'p') GROUP BY relnamespace)
           SELECT t.id, t.slug, t.schema_name AS declared, n.nspname AS real, coalesce(k.tables, 0) AS tables
             FROM public.tenants t
             LEFT JOIN LATERAL (SELECT nspname, oid FROM pg_namespace WHERE nspname IN (t.schema_name::name, lower(t.schema_name)::name)
                                 ORDER BY nspname = t.schema_name DESC LIMIT 1) n ON true
             LEFT JOIN counts k ON k.relnamespace = n.oid
            ORDER BY t.slug`
        )
      ).rows
    : []
  if (!layout.tenantColumns.has('schema_name')) notes.push('public.tenants has no schema_name column: tenant schemas cannot be matched to rows.')
  const missing = tenants.filter((t) => !t.real)
  if (missing.length) {
    add({
      key: 'missing',
      kind: 'schema-missing',
      severity: 'high',
      title: `${missing.length} tenant${missing.length === 1 ? '' : 's'} without a schema`,
      detail: 'These tenant rows name a schema that does not exist: the app answers "Tenant not found" or fails for them.',
      tenants: missing.map((t) => ({ id: t.id, slug: t.slug, schema: t.declared })),
      fixSql: null,
      advice: 'Restore the tenant from its latest backup (Backups), or cancel and hard delete the row if the tenant is gone.'
    })
  }
  const empty = tenants.filter((t) => t.real && t.tables === 0 && t.real !== templateSchema)
  if (empty.length) {
    add({
      key: 'empty',
      kind: 'schema-empty',
      severity: 'medium',
      title: `${empty.length} tenant schema${empty.length === 1 ? ' is' : 's are'} empty`,
      detail: 'The schema exists but holds no tables: the tenant was never provisioned, or its tables were dropped.',
      tenants: empty.map((t) => ({ id: t.id, slug: t.slug, schema: t.real! })),
      fixSql: null,
      advice: 'Restore the tenant from its latest backup (Backups). If it never held data, cancel and delete it and create it again: Create tenant clones the template at full fidelity.'
    })
  }
  const likePrefix = deps.tenantPrefix.replace(/[\\%_]/g, (c) => '\\' + c) + '%'
  const orphans = (
    await db.query<{ nspname: string; tables: number }>(
      `SELECT n.nspname, (SELECT count(*)::int FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')) AS tables
         FROM pg_namespace n
        WHERE n.nspname LIKE $1 AND n.nspname <> $2
          ${layout.tenantColumns.has('schema_name') ? `AND NOT EXISTS (SELECT 1 FROM public.tenants t WHERE t.schema_name::text = n.nspname::text) AND NOT EXISTS (SELECT 1 FROM public.tenants t WHERE lower(t.schema_name) = n.nspname::text)` : ''}
        ORDER BY n.nspname`,
      [likePrefix, templateSchema]
    )
  ).rows
  if (orphans.length) {
    add({
      key: 'orphans',
      kind: 'orphan-schema',
      severity: 'medium',
      title: `${orphans.length} schema${orphans.length === 1 ? '' : 's'} named like tenants, with no tenant row`,
      detail: `Schemas starting with "${deps.tenantPrefix}" that no tenant row names (tables: ${orphans.slice(0, 10).map((o) => `${o.nspname} ${o.tables}`).join(', ')}${orphans.length > 10 ? ', …' : ''}). They hold data nobody manages.`,
      tenants: orphans.map((o) => ({ id: null, slug: null, schema: o.nspname })),
      fixSql: null,
      advice: 'Adopt the schema (create a tenant row for it) if it is a real tenant; otherwise back it up with pg_dump -n and drop it.'
    })
  }
  if (signal.aborted) return done(true)

  // --- Drift from the template, chunk by chunk.
  const tplFp = await fingerprints(db, [templateSchema])
  if (!tplFp.length) notes.push(`The template schema "${templateSchema}" has no tables: tenant schemas were not compared with it.`)
  const template = new Map(tplFp.map((f) => [f.table, f]))
  compared = tenants.filter((t) => t.real && t.real !== templateSchema && t.tables > 0)
  const groups = new Map<string, { diff: SchemaDiff; tenants: TenantSchema[] }>()
  progress('schemas', 0, compared.length)
  let doneCount = 0
  // Two chunks in flight (one per core of a small server); cancel is checked between chunks.
  let nextChunk = 0
  const worker = async () => {
    while (nextChunk < compared.length && tplFp.length && !signal.aborted) {
      const chunk = compared.slice(nextChunk, nextChunk + CHUNK)
      nextChunk += CHUNK
      const bySchema = new Map<string, Map<string, TableFingerprint>>()
      for (const f of await fingerprints(db, chunk.map((t) => t.real!))) {
        const m = bySchema.get(f.schema) ?? new Map<string, TableFingerprint>()
        m.set(f.table, f)
        bySchema.set(f.schema, m)
      }
      for (const t of chunk) {
        const d = diffSchema(template, bySchema.get(t.real!) ?? new Map())
        if (diffIsEmpty(d)) continue
        const key = diffKey(d)
        const g = groups.get(key) ?? { diff: d, tenants: [] }
        g.tenants.push(t)
        groups.set(key, g)
      }
      doneCount += chunk.length
      progress('schemas', doneCount, compared.length)
    }
  }
  await Promise.all([worker(), worker()])
  if (signal.aborted) return done(true, doneCount)
  for (const g of groups.values()) g.tenants.sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0))
  for (const [key, g] of [...groups].sort((a, b) => b[1].tenants.length - a[1].tenants.length || (a[0] < b[0] ? -1 : 1))) {
    const x = await explainDrift(db, templateSchema, g.tenants[0]!.real!, g.diff)
    const securityRelevant = g.diff.changed.some((c) => c.aspect === 'policies') || g.diff.missingTables.length > 0
    const fixes = g.tenants.slice(0, FIX_SCHEMAS).map((t) => x.fix(t.real!))
    add({
      key: `drift:${key}`,
      kind: 'schema-drift',
      severity: securityRelevant ? 'high' : 'low',
      title: `${g.tenants.length} tenant schema${g.tenants.length === 1 ? ' differs' : 's differ'} from the template the same way`,
      detail: x.detail.join('; '),
      tenants: g.tenants.map((t) => ({ id: t.id, slug: t.slug, schema: t.real! })),
      fixSql: fixes[0] === null ? null : fixes.join('\n') + (g.tenants.length > FIX_SCHEMAS ? `\n-- … and the same for ${g.tenants.length - FIX_SCHEMAS} more schemas` : ''),
      advice:
        'Tables the app copies with LIKE … INCLUDING ALL lose foreign keys, triggers and policies: add back what is missing. What a tenant has in addition is only reported, never dropped.'
    })
  }

  // --- Security of the database as a whole.
  progress('security', doneCount, compared.length)
  await securityFindings(db, add)
  await planDriftFindings(db, layout, add, notes)
  return done(false, doneCount)

  function done(cancelled: boolean, checked = 0): AuditReport {
    progress(cancelled ? 'cancelled' : 'done', checked, compared.length)
    const order: Severity[] = ['critical', 'high', 'medium', 'low', 'info']
    findings.sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity) || b.tenantCount - a.tenantCount)
    return { jobId, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, templateSchema, schemasChecked: checked, cancelled, findings, notes }
  }
}

async function securityFindings(db: Queryable, add: (f: Omit<Finding, 'id' | 'tenantCount' | 'tenants'> & { key: string; tenants?: Finding['tenants'] }) => void): Promise<void> {
  // Row security of the app's tables in public.
  const rls = await db.query<{ relname: string; rls: boolean; policies: number }>(
    `SELECT c.relname, c.relrowsecurity AS rls, (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
        AND c.relname IN ('tenants', 'tenant_settings', 'tenant_usage', 'tenant_invitations', 'tenant_audit_logs', 'tenant_audit_log', 'stripe_webhooks', 'tenant_domains')`
  )
  const off = rls.rows.filter((r) => r.policies > 0 && !r.rls)
  if (off.length) {
    add({
      key: `rls:${off.map((r) => r.relname).join(',')}`,
      kind: 'rls-disabled',
      severity: 'high',
      title: `Row-level security is off on ${off.map((r) => `public.${r.relname}`).join(', ')}`,
      detail: 'These tables have policies, but row-level security is disabled, so the policies do nothing.',
      fixSql: off.map((r) => `ALTER TABLE ${qualify('public', r.relname)} ENABLE ROW LEVEL SECURITY;`).join('\n'),
      advice: 'Enable row-level security. Table owners and BYPASSRLS roles still bypass it (the console and the app migrations).'
    })
  }
  const none = rls.rows.filter((r) => r.policies === 0 && !r.rls && r.relname === 'tenants')
  if (none.length) {
    add({
      key: 'rls:none',
      kind: 'rls-disabled',
      severity: 'info',
      title: 'public.tenants has no row-level security',
      detail: 'Any role that can read public.tenants reads every tenant. The 030 layout has policies on tenants and tenant_settings; this database has none.',
      fixSql: null,
      advice: 'Restrict which roles can read public.tenants (GRANT), or add the app’s policies.'
    })
  }
  // Roles that bypass every policy.
  const roles = await db.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean; rolcanlogin: boolean }>(
    `SELECT rolname, rolsuper, rolbypassrls, rolcanlogin FROM pg_roles
      WHERE (rolsuper OR rolbypassrls) AND rolname !~ '^pg_' ORDER BY rolname`
  )
  if (roles.rows.length) {
    add({
      key: `roles:${roles.rows.map((r) => r.rolname).join(',')}`,
      kind: 'privileged-role',
      severity: 'medium',
      title: `${roles.rows.length} role${roles.rows.length === 1 ? ' bypasses' : 's bypass'} row-level security`,
      detail: roles.rows.map((r) => `${r.rolname} (${[r.rolsuper ? 'superuser' : '', r.rolbypassrls ? 'BYPASSRLS' : '', r.rolcanlogin ? 'login' : 'no login'].filter(Boolean).join(', ')})`).join('; '),
      fixSql: roles.rows
        .filter((r) => !r.rolsuper && r.rolbypassrls)
        .map((r) => `ALTER ROLE ${quoteIdent(r.rolname)} NOBYPASSRLS;`)
        .join('\n') || null,
      advice:
        'The app’s runtime login should be neither superuser nor BYPASSRLS. A console login that makes backups needs BYPASSRLS (README: Configure); keep superusers for administration only.'
    })
  }
  // CREATE for everyone on a schema.
  const open = await db.query<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace
      WHERE has_schema_privilege('public', oid, 'CREATE') AND nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY nspname`
  )
  if (open.rows.length) {
    add({
      key: `public-create:${open.rows.map((r) => r.nspname).join(',')}`,
      kind: 'public-create',
      severity: 'high',
      title: `Every role may create objects in ${open.rows.length} schema${open.rows.length === 1 ? '' : 's'}`,
      detail: `CREATE is granted to PUBLIC on ${open.rows.slice(0, 20).map((r) => r.nspname).join(', ')}${open.rows.length > 20 ? ', …' : ''}: any login can plant a function or table that another tenant's queries may pick up.`,
      tenants: open.rows.map((r) => ({ id: null, slug: null, schema: r.nspname })),
      fixSql: open.rows.map((r) => `REVOKE CREATE ON SCHEMA ${quoteIdent(r.nspname)} FROM PUBLIC;`).join('\n'),
      advice: 'Revoke CREATE from PUBLIC; grant it only to the roles that run migrations.'
    })
  }
  // SECURITY DEFINER without a fixed search_path.
  const defs = await db.query<{ sig: string; nspname: string }>(
    `SELECT p.oid::regprocedure::text AS sig, n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}'::text[])) c WHERE c LIKE 'search\\_path=%')
      ORDER BY 1`
  )
  if (defs.rows.length) {
    add({
      key: `secdef:${defs.rows.map((r) => r.sig).join(',')}`,
      kind: 'security-definer-search-path',
      severity: 'high',
      title: `${defs.rows.length} SECURITY DEFINER function${defs.rows.length === 1 ? '' : 's'} without a fixed search_path`,
      detail: `${defs.rows.map((r) => r.sig).slice(0, 20).join(', ')}: they run with their owner's rights and resolve names through the caller's search_path, which a caller can point at its own objects.`,
      fixSql: defs.rows.map((r) => `ALTER FUNCTION ${r.sig} SET search_path = pg_catalog, ${quoteIdent(r.nspname)};`).join('\n'),
      advice: 'Fix the search_path of each function (pg_catalog first, then the schema its objects live in).'
    })
  }
}
