import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createDatabase, startTestPostgres, type PgServer } from '../test/support/pg-server'

export const ROOT = join(__dirname, '..')

export interface BenchOptions {
  /** The database to measure; without it, a throwaway server and database. */
  databaseUrl: string | undefined
  tenants: number
  /** At least 30, so percentiles mean something. */
  runs: number
  seed: number
  out: string
}

/** The options every fleet benchmark takes: --database-url --tenants --runs --seed --out. */
export function benchOptions(defaults: { runs: number; seed: number; out: string }): BenchOptions {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      tenants: { type: 'string', default: '10000' },
      runs: { type: 'string', default: String(defaults.runs) },
      seed: { type: 'string', default: String(defaults.seed) },
      out: { type: 'string', default: join(ROOT, defaults.out) }
    }
  })
  return {
    databaseUrl: values['database-url'],
    tenants: Number(values.tenants),
    runs: Math.max(30, Number(values.runs)),
    seed: Number(values.seed),
    out: values.out!
  }
}

/** The database named on the command line, or a new one on a throwaway server (stop it when done). */
export async function benchDatabase(opts: BenchOptions, name: string): Promise<{ url: string; server: PgServer | null }> {
  if (opts.databaseUrl) return { url: opts.databaseUrl, server: null }
  console.log('Starting a throwaway PostgreSQL...')
  const server = await startTestPostgres()
  return { url: (await createDatabase(server.adminUrl, name)).url, server }
}
