import { join } from 'node:path'
import { redact } from '../core/logger'
import { loadMigrations, runMigrations } from '../db/migrate'
import { connectCli, parseCli, runCli } from './common'

const USAGE = 'Usage: npm run db:migrate -- --database-url postgresql://user:pass@host:5432/db [--migrations-dir DIR]'

async function main(): Promise<number> {
  const args = parseCli<{ 'database-url'?: string; 'migrations-dir'?: string; help?: boolean }>({ 'migrations-dir': { type: 'string' } }, USAGE)
  if (typeof args === 'number') return args
  const { values, url } = args
  const dir = values['migrations-dir'] ?? join(__dirname, '../../migrations')
  const files = await loadMigrations(dir)
  const client = await connectCli(url, 'nchat-console-migrate')
  if (!client) return 1
  try {
    const outcomes = await runMigrations(client, files)
    for (const o of outcomes) console.log(`${o.outcome.padEnd(16)} ${o.name}`)
    const changed = outcomes.filter((o) => o.outcome !== 'already-applied').length
    console.log(changed ? `Done: ${changed} migration(s) recorded.` : 'Up to date: nothing to apply.')
    return 0
  } catch (e) {
    console.error(redact((e as Error).message))
    return 1
  } finally {
    await client.end().catch(() => {})
  }
}

runCli(main)
