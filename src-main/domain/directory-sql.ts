/**
 * The SQL expressions of the tenant directory that an index must repeat word for word:
 * the search haystack and the sort keys. The directory's queries (tenants/) and the
 * console's index specs (indexes/) both build them here, so a query and the index meant
 * for it can never drift apart (PostgreSQL uses an expression index only when the
 * query's expression is the same).
 *
 * `alias` is the table alias of public.tenants in a query ('t'), or '' inside an index
 * definition (CREATE INDEX takes bare column names).
 */
import type { Layout } from '../db/layout'

const c = (alias: string, name: string) => (alias ? `${alias}.${name}` : name)

/** Joins searchable fields with a separator a search term cannot contain (control characters are stripped from terms). */
const SEP = `E'\\x01'`

/**
 * The lowered search haystack: name, slug, owner email and custom domain (the columns
 * this layout has) joined by \x01. A substring search is `strpos(haystack, lower(term)) > 0`,
 * or, to let a trigram index serve it, `haystack LIKE likeOf(lower(term))`.
 */
export function searchHaystack(layout: Layout, alias: string): string {
  const cols = ['name', 'slug', 'owner_email', 'custom_domain'].filter((x) => x === 'name' || x === 'slug' || layout.tenantColumns.has(x))
  return `lower(${cols.map((x) => `coalesce(${c(alias, x)}, '')`).join(` || ${SEP} || `)})`
}

/** SQL turning the lowered term `$n` into a LIKE pattern with %, _ and \ literal. */
export function likeOfLowered(param: string): string {
  return `'%' || replace(replace(replace(lower(${param}), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`
}

export function planColumn(layout: Layout): string | null {
  if (layout.tenantColumns.has('billing_plan')) return 'billing_plan'
  if (layout.tenantColumns.has('plan')) return 'plan'
  return null
}

/** The directory sorts that a plain (key, id) btree on public.tenants can serve. */
export type IndexableSort = 'name' | 'slug' | 'status' | 'plan' | 'ownerEmail' | 'customDomain' | 'createdAt' | 'trialEndsAt'

export interface SortColumn {
  /** Column of public.tenants the key reads (nullability is that column's). */
  column: string
  expr(alias: string): string
  /** SQL type of the key, for a keyset cursor cast back from text. */
  type: 'text' | 'timestamptz'
  /** Short name used in the console index name. */
  short: string
}

/**
 * Sort keys on public.tenants columns, as the directory orders them, on this layout.
 * A key missing here (no such column, or custom domains that also live in
 * tenant_domains, which no index on tenants can order) is sorted by a full scan.
 */
export function tenantSortColumns(layout: Layout): Partial<Record<IndexableSort, SortColumn>> {
  const has = (x: string) => layout.tenantColumns.has(x)
  const out: Partial<Record<IndexableSort, SortColumn>> = {
    name: { column: 'name', expr: (a) => `lower(${c(a, 'name')})`, type: 'text', short: 'name' },
    slug: { column: 'slug', expr: (a) => c(a, 'slug'), type: 'text', short: 'slug' },
    status: { column: 'status', expr: (a) => c(a, 'status'), type: 'text', short: 'status' }
  }
  const plan = planColumn(layout)
  if (plan) out.plan = { column: plan, expr: (a) => c(a, plan), type: 'text', short: 'plan' }
  if (has('owner_email')) out.ownerEmail = { column: 'owner_email', expr: (a) => `lower(${c(a, 'owner_email')})`, type: 'text', short: 'owner_email' }
  if (has('custom_domain') && !layout.hasDomains) out.customDomain = { column: 'custom_domain', expr: (a) => c(a, 'custom_domain'), type: 'text', short: 'custom_domain' }
  if (has('created_at')) out.createdAt = { column: 'created_at', expr: (a) => c(a, 'created_at'), type: 'timestamptz', short: 'created' }
  if (has('trial_ends_at')) out.trialEndsAt = { column: 'trial_ends_at', expr: (a) => c(a, 'trial_ends_at'), type: 'timestamptz', short: 'trial_ends' }
  return out
}

/** Usage counters the directory sorts by, read from the current month's tenant_usage row. */
export const USAGE_SORTS = { usersTotal: 'users_total', storageBytes: 'storage_bytes' } as const
