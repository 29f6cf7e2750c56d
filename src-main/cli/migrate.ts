import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { redact } from '../core/logger'
import { loadMigrations, runMigrations } from '../db/migrate'

const USAGE = 'Usage: npm run db:migrate -- --database-url postgresql://user:pass@host:5432/db [--migrations-dir DIR]'

async function main(): Promise<number> {
  let values: { 'database-url'?: string; 'migrations-dir'?: string; help?: boolean }
  try {
    values = parseArgs({
      options: {
        'database-url': { type: 'string' },
        'migrations-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const url = values['database-url'] ?? process.env.NCHAT_DATABASE_URL
  if (!url) {
    console.error(`No database given.\n${USAGE}`)
    return 2
  }
  const dir = values['migrations-dir'] ?? join(__dirname, '../../migrations')
  const files = await loadMigrations(dir)
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'nchat-console-migrate' })
  try {
    await client.connect()
  } catch (e) {
    console.error(`Cannot connect to ${redact(url)}: ${redact((e as Error).message)}`)
    return 1
  }
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

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(redact(String((e as Error)?.message ?? e)))
    process.exit(1)
  }
)
