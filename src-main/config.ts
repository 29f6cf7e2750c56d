import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { targetFromUrl, type ConnectionTarget } from './db/connection'

/**
 * Interim connection source (the profiles issue replaces it): NCHAT_DATABASE_URL,
 * else `config.json` in the user-data folder: { "databaseUrl": "...", "templateSchema": "nchat" }.
 */
export function loadLegacyTarget(userDataDir: string, env: NodeJS.ProcessEnv = process.env): ConnectionTarget | null {
  const url = env.NCHAT_DATABASE_URL
  if (url) return targetFromUrl(url, { templateSchema: env.NCHAT_TEMPLATE_SCHEMA ?? 'nchat' })
  try {
    const raw = JSON.parse(readFileSync(join(userDataDir, 'config.json'), 'utf8')) as Record<string, unknown>
    if (typeof raw.databaseUrl === 'string') {
      return targetFromUrl(raw.databaseUrl, {
        templateSchema: typeof raw.templateSchema === 'string' ? raw.templateSchema : 'nchat',
        tenantPrefix: typeof raw.tenantPrefix === 'string' ? raw.tenantPrefix : 'tenant_'
      })
    }
  } catch {
    // no config file: not configured
  }
  return null
}
