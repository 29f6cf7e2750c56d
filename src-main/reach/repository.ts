import type { Queryable } from '../db/connection'
import type { Layout } from '../db/layout'

export interface TenantFacts {
  id: string
  slug: string
  name: string
  status: string
  /** The custom_domain column first, then tenant_domains rows (primary first); lower case, no duplicates. */
  domains: { domain: string; verified: boolean | null }[]
}

/** What the reachability check needs of one tenant; null when there is no such row. */
export async function tenantFacts(db: Queryable, layout: Layout, id: string): Promise<TenantFacts | null> {
  const r = await db.query<{ row: Record<string, unknown> }>(`SELECT to_jsonb(t) AS row FROM public.tenants t WHERE t.id = $1`, [id])
  const row = r.rows[0]?.row
  if (!row) return null
  const domains = new Map<string, boolean | null>()
  const add = (d: unknown, verified: boolean | null) => {
    if (typeof d !== 'string' || !d.trim()) return
    const key = d.trim().toLowerCase().replace(/\.$/, '')
    if (!domains.has(key) || domains.get(key) === null) domains.set(key, verified)
  }
  add(row.custom_domain, null)
  if (layout.hasDomains) {
    const has = (c: string) => layout.domainColumns.has(c)
    const rows = await db.query<{ domain: string; verified: boolean | null }>(
      `SELECT d.domain::text AS domain, ${has('verified') ? 'd.verified' : has('verified_at') ? '(d.verified_at IS NOT NULL)' : 'NULL::boolean'} AS verified
         FROM public.tenant_domains d WHERE d.tenant_id = $1
        ORDER BY ${has('is_primary') ? 'd.is_primary DESC NULLS LAST, ' : ''}d.domain LIMIT 50`,
      [id]
    )
    for (const x of rows.rows) add(x.domain, x.verified)
  }
  return {
    id: String(row.id),
    slug: String(row.slug ?? ''),
    name: String(row.name ?? ''),
    status: String(row.status ?? ''),
    domains: [...domains].map(([domain, verified]) => ({ domain, verified }))
  }
}
