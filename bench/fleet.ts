/**
 * The benchmark fleet builder: tenant ROWS only (public.tenants, tenant_settings,
 * tenant_usage), written set-based with INSERT ... SELECT generate_series, so 100,000
 * tenants take about a minute instead of the hours of the full-schema demo seed
 * (src-main/seed/generator.ts creates a schema with ten tables per tenant; the
 * directory reads none of them). Tenants get no schema: the detail panel says so.
 *
 *   import { buildFleet } from './fleet'
 *   await buildFleet(client, { tenants: 100_000, seed: 1 })   // 030 layout, migrated database
 *   npx tsx bench/fleet.ts --database-url URL --tenants 100000  # the same from the command line
 *
 * Deterministic for a seed: ids, names, statuses and usage come from hashes of
 * (seed, tenant number). Text is realistic (names, slugs, owner emails, custom domains
 * from the demo seed's word lists) so that substring searches match a realistic share.
 * Appends after the rows already there (tenant numbers continue), so 10,000 then
 * 90,000 more gives the same 100,000 as one call.
 */
import { parseArgs } from 'node:util'
import pg from 'pg'
import { ADJ, FIRST, KIND, LAST, NOUN } from '../src-main/seed/words'

export interface FleetOptions {
  tenants: number
  seed?: number
  /** Months of usage per tenant, ending with the current UTC month (default 6). */
  months?: number
  /** Rows per INSERT statement (default 20,000). */
  chunk?: number
  onProgress?: (done: number, total: number) => void
}

const arr = (xs: readonly string[]) => `(ARRAY[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]::text[])`
const slugWord = (xs: readonly string[]) =>
  arr(xs.map((x) => x.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase()))

/** A number in [0, n) from a hash of (seed, salt, i): deterministic, well spread. */
const pick = (salt: number, n: number | string) => `(abs(hashint8(($2::bigint * 1000003 + ${salt}) * 10000019 + g)::bigint) % ${n})::int`

export async function buildFleet(db: pg.ClientBase, opts: FleetOptions): Promise<{ tenants: number; usageRows: number; ms: number }> {
  const t0 = performance.now()
  const seed = opts.seed ?? 1
  const months = opts.months ?? 6
  const chunk = opts.chunk ?? 20_000
  const start = (await db.query<{ n: string }>('SELECT count(*) AS n FROM public.tenants')).rows[0]!.n
  const first = Number(start)
  const end = first + opts.tenants
  const adj = arr(ADJ)
  const noun = arr(NOUN)
  const kind = arr(KIND)
  const firstNames = arr(FIRST)
  const lastNames = arr(LAST)
  const firstSlug = slugWord(FIRST)
  const lastSlug = slugWord(LAST)
  let usageRows = 0
  for (let lo = first; lo < end; lo += chunk) {
    const hi = Math.min(end, lo + chunk) - 1
    await db.query('BEGIN')
    // One row per tenant number g; text from the word lists, the number keeps slug,
    // schema name, email and domain unique.
    await db.query(
      `WITH s AS (
         SELECT g,
                md5('fleet-' || $2::bigint || '-' || g)::uuid AS id,
                ${adj}[1 + ${pick(1, ADJ.length)}] AS a, ${noun}[1 + ${pick(2, NOUN.length)}] AS b, ${kind}[1 + ${pick(3, KIND.length)}] AS k,
                ${pick(4, FIRST.length)} AS fi, ${pick(5, LAST.length)} AS la,
                ${pick(6, 100)} AS st, ${pick(7, 100)} AS pl, ${pick(8, 100)} AS dom,
                now() - make_interval(mins => ${pick(9, 3 * 365 * 24 * 60)}) AS created
           FROM generate_series($1::bigint, $3::bigint) g)
       INSERT INTO public.tenants (id, name, slug, custom_domain, status, owner_email, owner_name, branding, schema_name,
                                   billing_plan, billing_interval, limits, features, metadata, created_at, updated_at,
                                   trial_ends_at, suspended_at, cancelled_at)
       SELECT id, a || ' ' || b || ' ' || k,
              lower(a || '-' || b || '-' || k) || '-' || g,
              CASE WHEN dom < 30 THEN lower(b) || g || '.' || lower(a) || '-' || (ARRAY['example.com','chat.example.org','team.example.net'])[1 + dom % 3] END,
              CASE WHEN st < 60 THEN 'active' WHEN st < 75 THEN 'trial' WHEN st < 85 THEN 'suspended' WHEN st < 95 THEN 'cancelled' ELSE 'pending' END,
              (${firstSlug})[1 + fi] || '.' || (${lastSlug})[1 + la] || g || '@' || lower(b) || '-' || lower(k) || '.example',
              (${firstNames})[1 + fi] || ' ' || (${lastNames})[1 + la],
              jsonb_build_object('primaryColor', '#' || substr(md5(id::text), 1, 6), 'appName', a || ' ' || b),
              'tenant_' || replace(lower(a || '_' || b), '-', '_') || '_' || g,
              CASE WHEN pl < 40 THEN 'free' WHEN pl < 75 THEN 'pro' WHEN pl < 90 THEN 'enterprise' ELSE 'custom' END,
              CASE WHEN pl % 3 = 0 THEN 'yearly' ELSE 'monthly' END,
              jsonb_build_object('maxUsers', CASE WHEN pl < 40 THEN 10 WHEN pl < 75 THEN 100 ELSE -1 END,
                                 'maxStorageGB', CASE WHEN pl < 40 THEN 5 WHEN pl < 75 THEN 100 ELSE -1 END,
                                 'maxApiCallsPerMonth', CASE WHEN pl < 40 THEN 10000 ELSE 1000000 END),
              jsonb_build_object('threads', true, 'reactions', true, 'fileUploads', pl >= 40, 'videoCalls', pl >= 75, 'ssoEnabled', pl >= 90),
              '{}'::jsonb, created, created,
              CASE WHEN st >= 60 AND st < 75 THEN created + interval '14 days' END,
              CASE WHEN st >= 75 AND st < 85 THEN created + interval '30 days' END,
              CASE WHEN st >= 85 AND st < 95 THEN created + interval '60 days' END
         FROM s`,
      [lo, seed, hi]
    )
    await db.query(
      `INSERT INTO public.tenant_settings (tenant_id, timezone, language, require_two_factor, message_retention_days)
       SELECT md5('fleet-' || $2::bigint || '-' || g)::uuid,
              (ARRAY['UTC','Europe/Berlin','America/New_York','Asia/Tokyo','Australia/Sydney'])[1 + ${pick(10, 5)}],
              (ARRAY['en','de','fr','ja','es'])[1 + ${pick(11, 5)}], ${pick(12, 4)} = 0, (ARRAY[0, 30, 90, 365])[1 + ${pick(13, 4)}]
         FROM generate_series($1::bigint, $3::bigint) g`,
      [lo, seed, hi]
    )
    // Usage: the last `months` UTC months; 5 % of tenants have no row for the current
    // month (not yet counted), users and storage grow with the plan and the month.
    const u = await db.query(
      `INSERT INTO public.tenant_usage (tenant_id, period, users_active, users_total, messages_sent, messages_total, files_count,
                                        storage_bytes, api_calls_total)
       SELECT md5('fleet-' || $2::bigint || '-' || g)::uuid, to_char(date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => m), 'YYYY-MM'),
              x.users / 2, x.users, x.users * 40, x.users * 900, x.users * 3, x.users::bigint * (1 + ${pick(15, 5000)}) * 10240, x.users * 120
         FROM generate_series($1::bigint, $3::bigint) g
        CROSS JOIN generate_series(0, $4::int - 1) m
        CROSS JOIN LATERAL (SELECT greatest(1, (1 + ${pick(14, 400)}) * (CASE WHEN ${pick(7, 100)} < 40 THEN 1 WHEN ${pick(7, 100)} < 75 THEN 4 ELSE 12 END) - m * 3) AS users) x
        WHERE NOT (m = 0 AND ${pick(16, 100)} < 5)`,
      [lo, seed, hi, months]
    )
    usageRows += u.rowCount ?? 0
    await db.query('COMMIT')
    opts.onProgress?.(hi + 1 - first, opts.tenants)
  }
  // Fresh statistics and a set visibility map (index-only scans) as a live table has them.
  await db.query('VACUUM ANALYZE public.tenants')
  await db.query('VACUUM ANALYZE public.tenant_usage')
  await db.query('VACUUM ANALYZE public.tenant_settings')
  return { tenants: opts.tenants, usageRows, ms: performance.now() - t0 }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { 'database-url': { type: 'string' }, tenants: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' } }
  })
  if (!values['database-url']) {
    console.error('usage: npx tsx bench/fleet.ts --database-url URL [--tenants 100000] [--seed 1]')
    process.exit(2)
  }
  const c = new pg.Client({ connectionString: values['database-url'] })
  c.connect()
    .then(() => buildFleet(c, { tenants: Number(values.tenants), seed: Number(values.seed), onProgress: (d, t) => console.log(`  ${d}/${t}`) }))
    .then((r) => console.log(`${r.tenants} tenants, ${r.usageRows} usage rows in ${(r.ms / 1000).toFixed(1)} s`))
    .finally(() => c.end())
    .catch((e) => {
      console.error(String(e))
      process.exit(1)
    })
}
