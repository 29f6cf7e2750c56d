import { Redis } from 'ioredis'
import { log } from '../core/logger'

/**
 * The app caches tenant metadata in Redis for an hour (`tenant:<slug>`; a custom
 * domain lookup under `tenant:domain:<host>`), so a status change is invisible until
 * the key expires. After a lifecycle change commits, the console deletes those keys.
 * A Redis failure is a warning for the operator, never a rollback.
 */

export function tenantCacheKeys(slug: string | null | undefined, domains: (string | null | undefined)[] = []): string[] {
  const keys = new Set<string>()
  if (slug) {
    keys.add(`tenant:${slug}`)
    // The app created schemas from slugs unquoted; old rows may have upper case.
    if (slug !== slug.toLowerCase()) keys.add(`tenant:${slug.toLowerCase()}`)
  }
  for (const d of domains) {
    if (!d) continue
    keys.add(`tenant:domain:${d.toLowerCase()}`)
    keys.add(`tenant:${d.toLowerCase()}`)
  }
  return [...keys]
}

export interface EvictResult {
  evicted: string[]
  warning: string | null
}

export async function evictTenantKeys(redisUrl: string | null | undefined, keys: string[]): Promise<EvictResult> {
  if (!redisUrl || keys.length === 0) return { evicted: [], warning: null }
  let client: Redis | null = null
  try {
    client = new Redis(redisUrl, {
      lazyConnect: true,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null
    })
    client.on('error', () => {
      /* reported through the failed command below */
    })
    await client.connect()
    // Many tenants at once (incident mode): one connection, DEL in chunks.
    for (let i = 0; i < keys.length; i += 1_000) await client.del(...keys.slice(i, i + 1_000))
    return { evicted: keys, warning: null }
  } catch (e) {
    log.warn('tenant cache eviction failed', e)
    return {
      evicted: [],
      warning:
        'The change is saved, but the app’s tenant cache in Redis could not be cleared, so the app may keep showing the old state for up to an hour. Check the profile’s Redis URL and that Redis is running.'
    }
  } finally {
    client?.disconnect()
  }
}
