/**
 * The deployment guide's "Security Checklist", checked where the database (or the
 * console's profile) can show it: pass, fail or cannot tell, with what was looked at.
 * Lines about the app's hosts, code or environment are listed as not verifiable here.
 */
import type { Checklist, ChecklistLine, CheckStatus } from '../../src-preload/contract'
import type { ConnectionTarget, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'

/** The app's tenancy tables in public (the ones data-model.md names). */
const TENANCY_TABLES = ['tenants', 'tenant_settings', 'tenant_usage', 'tenant_invitations', 'tenant_audit_logs', 'tenant_audit_log', 'tenant_domains']
/** Hours a backup counts as recent (the guide's nightly run), and a little slack for the batch itself. */
const RECENT_HOURS = 24
const BATCH_HOURS = 26
const AUDIT_DAYS = 30

export interface ChecklistDeps {
  db: Queryable
  layout: Layout
  target: ConnectionTarget
}

const line = (id: string, text: string, status: CheckStatus, evidence: string, verifiable = true): ChecklistLine => ({ id, line: text, status, evidence, verifiable })
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`

export async function runChecklist(deps: ChecklistDeps): Promise<Checklist> {
  const lines = await Promise.all([
    Promise.resolve(
      line(
        'wildcard-ssl',
        'Wildcard SSL certificate installed',
        'cannot-tell',
        'The certificate is on the app’s web servers, not in the database. The tenant reachability check looks at the certificate a tenant’s host presents.',
        false
      )
    ),
    rls(deps),
    webhookSignatures(deps),
    rateLimits(deps),
    auditLogging(deps),
    backups(deps),
    Promise.resolve(
      line(
        'cross-tenant',
        'Cross-tenant query prevention tested',
        'cannot-tell',
        'Only a test against the running app can show this. The isolation audit checks its preconditions: tenant schemas that match the template (policies included), CREATE for PUBLIC, SECURITY DEFINER functions without a fixed search_path.',
        false
      )
    ),
    adminRoles(deps),
    Promise.resolve(line('env-secrets', 'Environment variables secured (not committed to git)', 'cannot-tell', 'The app’s environment and repository are not visible from the database.', false)),
    customDomains(deps)
  ])
  return { checkedAt: new Date().toISOString(), lines }
}

async function rls({ db }: ChecklistDeps): Promise<ChecklistLine> {
  const text = 'RLS policies enabled on all tenant tables'
  const r = await db.query<{ relname: string; rls: boolean; policies: number }>(
    `SELECT c.relname, c.relrowsecurity AS rls, (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname = ANY($1) ORDER BY c.relname`,
    [TENANCY_TABLES]
  )
  if (!r.rows.length) return line('rls', text, 'cannot-tell', 'This database has none of the app’s tenancy tables in public.')
  const off = r.rows.filter((t) => t.policies > 0 && !t.rls)
  const tenants = r.rows.find((t) => t.relname === 'tenants')
  const on = r.rows.filter((t) => t.rls)
  const none = r.rows.filter((t) => !t.rls && t.policies === 0)
  const evidence = [
    on.length ? `row-level security on: ${on.map((t) => `public.${t.relname} (${plural(t.policies, 'policy', 'policies')})`).join(', ')}` : 'row-level security is on for none of the tenancy tables',
    off.length ? `policies present but row-level security OFF (the policies do nothing): ${off.map((t) => `public.${t.relname}`).join(', ')}` : '',
    none.length ? `no row-level security and no policies (readable by any role granted SELECT): ${none.map((t) => `public.${t.relname}`).join(', ')}` : '',
    'Tenant schemas are compared with the template (policies included) by the isolation audit.'
  ].filter(Boolean)
  const fail = off.length > 0 || (tenants !== undefined && !tenants.rls)
  return line('rls', text, fail ? 'fail' : 'pass', evidence.join('; '))
}

async function webhookSignatures({ db, layout, target }: ChecklistDeps): Promise<ChecklistLine> {
  const text = 'Stripe webhook signature verification active'
  const secret = Boolean(target.webhookSecret)
  const parts = [
    secret
      ? 'The profile holds the endpoint’s signing secret (whsec_…, in the system keychain). The app must verify with the same value (its STRIPE_WEBHOOK_SECRET), which cannot be seen from the database.'
      : 'The profile holds no webhook signing secret: add the endpoint’s signing secret (whsec_…, Stripe Dashboard → Developers → Webhooks) to the connection profile (Settings → Connections).',
    `The profile ${target.stripeKey ? 'has' : 'has no'} Stripe API key.`
  ]
  let rejected = 0
  if (layout.hasStripeWebhooks) {
    const r = await db.query<{ recent: number; failed: number; rejected: number }>(
      `SELECT count(*) FILTER (WHERE created_at > now() - interval '7 days')::int AS recent,
              count(*) FILTER (WHERE created_at > now() - interval '7 days' AND processed IS NOT TRUE)::int AS failed,
              count(*) FILTER (WHERE created_at > now() - interval '7 days' AND error ILIKE '%signature%')::int AS rejected
         FROM public.stripe_webhooks`
    )
    const x = r.rows[0]!
    rejected = x.rejected
    parts.push(`public.stripe_webhooks: ${plural(x.recent, 'event')} recorded in 7 days, ${x.failed.toLocaleString('en-US')} not processed.`)
    if (rejected) parts.push(`${plural(rejected, 'event')} failed with a signature error in 7 days: the app’s signing secret may not match the endpoint’s.`)
  }
  return line('webhook-signatures', text, !secret || rejected ? 'fail' : 'pass', parts.join(' '))
}

async function rateLimits({ db, layout }: ChecklistDeps): Promise<ChecklistLine> {
  const text = 'Rate limiting configured per tenant'
  if (!layout.tenantColumns.has('limits') || !layout.tenantColumns.has('status')) return line('rate-limits', text, 'cannot-tell', 'public.tenants has no limits column.')
  const r = await db.query<{ live: number; with_rate: number; keyed: number }>(
    `SELECT count(*)::int AS live,
            count(*) FILTER (WHERE jsonb_typeof(limits -> 'rateLimitPerMinute') = 'number' AND (limits ->> 'rateLimitPerMinute')::numeric > 0)::int AS with_rate,
            count(*) FILTER (WHERE limits ? 'rateLimitPerMinute')::int AS keyed
       FROM public.tenants WHERE status <> 'cancelled'`
  )
  const x = r.rows[0]!
  if (layout.kind === 'newer' && x.keyed === 0) {
    return line('rate-limits', text, 'cannot-tell', 'The newer tenancy layout has no per-tenant rate limit key; the app’s rate limiter cannot be seen from the database.')
  }
  const missing = x.live - x.with_rate
  return line(
    'rate-limits',
    text,
    missing === 0 ? 'pass' : 'fail',
    `${x.with_rate.toLocaleString('en-US')} of ${plural(x.live, 'tenant')} (not cancelled) have a positive limits.rateLimitPerMinute${missing ? `; ${missing.toLocaleString('en-US')} have none (the guide’s limiter reads it per request)` : ''}. Whether the app’s middleware applies it cannot be seen from the database.`
  )
}

async function auditLogging({ db, layout }: ChecklistDeps): Promise<ChecklistLine> {
  const text = 'Audit logging enabled'
  const table = layout.auditTable
  const op = await db.query<{ ok: boolean }>(`SELECT to_regclass('console.operator_log') IS NOT NULL AS ok`)
  const consoleLog = op.rows[0]?.ok ? 'The console records its own actions in console.operator_log.' : 'console.operator_log is missing (console migrations not applied).'
  if (!table) return line('audit-logging', text, 'fail', `There is no tenant audit table (public.tenant_audit_logs or tenant_audit_log): the app has nowhere to log. ${consoleLog}`)
  const readable = await db.query<{ ok: boolean }>(`SELECT has_table_privilege($1, 'SELECT') AS ok`, [`public.${table}`])
  if (!readable.rows[0]?.ok) return line('audit-logging', text, 'cannot-tell', `public.${table} exists but this login may not read it. ${consoleLog}`)
  const t = table === 'tenant_audit_log' ? 'public.tenant_audit_log' : 'public.tenant_audit_logs'
  const r = await db.query<{ recent: number; newest: Date | null }>(
    `SELECT (SELECT count(*)::int FROM (SELECT 1 FROM ${t} WHERE created_at > now() - make_interval(days => $1) LIMIT 10000) x) AS recent,
            (SELECT max(created_at) FROM ${t}) AS newest`,
    [AUDIT_DAYS]
  )
  const x = r.rows[0]!
  const newest = x.newest ? new Date(x.newest).toISOString().slice(0, 16).replace('T', ' ') : null
  if (x.recent > 0) return line('audit-logging', text, 'pass', `public.${table}: ${plural(x.recent, 'entry', 'entries')} in the last ${AUDIT_DAYS} days, newest ${newest} UTC. ${consoleLog}`)
  return line(
    'audit-logging',
    text,
    'cannot-tell',
    `public.${table} exists but has no entry in the last ${AUDIT_DAYS} days${newest ? ` (newest ${newest} UTC)` : ' (it is empty)'}: either nothing happened or the app does not write it. ${consoleLog}`
  )
}

async function backups({ db, layout }: ChecklistDeps): Promise<ChecklistLine> {
  const text = 'Database backups automated'
  const ok = await db.query<{ ok: boolean }>(
    `SELECT to_regclass('console.backup_catalog') IS NOT NULL AND to_regclass('console.backup_batches') IS NOT NULL
            AND has_table_privilege('console.backup_catalog', 'SELECT') AND has_table_privilege('console.backup_batches', 'SELECT') AS ok`
  )
  if (!ok.rows[0]?.ok || !layout.tenantColumns.has('id')) {
    return line('backups', text, 'cannot-tell', 'The console’s backup catalog is missing or not readable; backups made by other tools (pg_dump in cron, provider snapshots) are invisible to the console.')
  }
  const r = await db.query<{ ever: number; batch_at: Date | null; live: number; without: number; newest: Date | null }>(
    `SELECT (SELECT count(*)::int FROM console.backup_catalog WHERE status = 'succeeded') AS ever,
            (SELECT max(created_at) FROM console.backup_batches WHERE status IN ('succeeded', 'partial')) AS batch_at,
            (SELECT max(finished_at) FROM console.backup_catalog WHERE status = 'succeeded' AND verified_at IS NOT NULL) AS newest,
            count(*)::int AS live,
            count(*) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM console.backup_catalog b WHERE b.tenant_id = t.id AND b.status = 'succeeded' AND b.verified_at IS NOT NULL
                  AND b.finished_at > now() - make_interval(hours => $1)))::int AS without
       FROM public.tenants t WHERE t.status <> 'cancelled'`,
    [RECENT_HOURS]
  )
  const x = r.rows[0]!
  if (x.ever === 0) {
    return line('backups', text, 'cannot-tell', 'The console has catalogued no backup of this database. Backups made by other tools (pg_dump in cron, provider snapshots) are invisible to it.')
  }
  const when = (d: Date | null) => (d ? `${new Date(d).toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'never')
  const batchRecent = x.batch_at !== null && Date.now() - new Date(x.batch_at).getTime() < BATCH_HOURS * 3_600_000
  const evidence = `Newest batch run: ${when(x.batch_at)}${batchRecent ? '' : ` (none in ${BATCH_HOURS} hours: no scheduled run seen)`}; newest verified backup: ${when(x.newest)}; ${x.without.toLocaleString('en-US')} of ${plural(x.live, 'tenant')} (not cancelled) have no verified backup younger than ${RECENT_HOURS} hours.`
  return line('backups', text, batchRecent && x.without === 0 ? 'pass' : 'fail', evidence)
}

async function adminRoles({ db }: ChecklistDeps): Promise<ChecklistLine> {
  const text = 'Admin routes protected with super_admin role'
  const r = await db.query<{ policies: string[] | null; rls: boolean | null; admins: string[] | null; supers: string[] | null; grp: boolean }>(
    `SELECT (SELECT array_agg(p.polname::text ORDER BY p.polname) FROM pg_policy p
              WHERE p.polrelid = to_regclass('public.tenants') AND coalesce(pg_get_expr(p.polqual, p.polrelid), '') LIKE '%super\\_admin%') AS policies,
            (SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass('public.tenants')) AS rls,
            EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nchat_console_admin') AS grp,
            (SELECT array_agg(r.rolname::text ORDER BY r.rolname) FROM pg_roles r
              WHERE r.rolcanlogin AND NOT r.rolsuper AND EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'nchat_console_admin' AND pg_has_role(r.oid, g.oid, 'member'))) AS admins,
            (SELECT array_agg(rolname::text ORDER BY rolname) FROM pg_roles WHERE rolsuper AND rolcanlogin) AS supers`
  )
  const x = r.rows[0]!
  const list = (a: string[] | null) => (a?.length ? a.slice(0, 10).join(', ') + (a.length > 10 ? ', …' : '') : 'none')
  const evidence = [
    `policies on public.tenants that require the super_admin claim: ${list(x.policies)}${x.rls === false ? ' (row-level security is OFF, so they do nothing)' : ''}`,
    x.grp ? `logins with the console admin group (nchat_console_admin): ${list(x.admins)}` : 'there is no console admin group nchat_console_admin (console migrations not applied)',
    `superuser logins (bypass every policy): ${list(x.supers)}`,
    'the app’s HTTP routes themselves cannot be seen from the database'
  ]
  const pass = Boolean(x.policies?.length) && x.rls === true
  return line('admin-roles', text, pass ? 'pass' : 'fail', evidence.join('; '))
}

async function customDomains({ db, layout }: ChecklistDeps): Promise<ChecklistLine> {
  const text = 'Custom domain whitelist configured'
  let used = 0
  if (layout.tenantColumns.has('custom_domain')) {
    used = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.tenants WHERE custom_domain IS NOT NULL AND status <> 'cancelled'`)).rows[0]!.n
  } else if (layout.hasDomains) {
    used = (await db.query<{ n: number }>(`SELECT count(DISTINCT tenant_id)::int AS n FROM public.tenant_domains`)).rows[0]!.n
  }
  const allowed = process.env.NCHAT_ALLOWED_CUSTOM_DOMAINS
  return line(
    'custom-domains',
    text,
    'cannot-tell',
    `${plural(used, 'tenant')} use a custom domain. The whitelist (ALLOWED_CUSTOM_DOMAINS) is in the app’s environment, not in the database. ${allowed ? 'The console itself checks custom domains against NCHAT_ALLOWED_CUSTOM_DOMAINS.' : 'The console has no list of its own (NCHAT_ALLOWED_CUSTOM_DOMAINS is not set).'}`,
    false
  )
}
