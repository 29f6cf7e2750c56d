import { parseArgs, type ParseArgsConfig } from 'node:util'
import pg from 'pg'
import { redact, registerSecret } from '../core/logger'

/** What the command-line tools share: argument parsing with usage, the database URL, the connection and the exit code. */

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Parses the arguments (with --help). Returns the values, or the exit code when the
 * tool should stop: 0 after printing the usage, 2 for a bad argument or no database.
 */
export function parseCli<T extends { 'database-url'?: string; help?: boolean }>(
  options: Options,
  usage: string
): { values: T; url: string } | number {
  let values: T
  try {
    values = parseArgs({ options: { ...options, 'database-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values as T
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`)
    return 2
  }
  if (values.help) {
    console.log(usage)
    return 0
  }
  const url = values['database-url'] ?? process.env.NCHAT_DATABASE_URL
  if (!url) {
    console.error(`No database given.\n${usage}`)
    return 2
  }
  try {
    const pw = new URL(url).password
    if (pw) registerSecret(decodeURIComponent(pw))
  } catch {
    // not a URL: pg reports it when connecting
  }
  return { values, url }
}

/** Connects, or prints why not (without the password) and returns null. */
export async function connectCli(url: string, applicationName: string): Promise<pg.Client | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: applicationName })
  client.on('error', () => {})
  try {
    await client.connect()
    return client
  } catch (e) {
    console.error(`Cannot connect to ${redact(url)}: ${redact((e as Error).message || String((e as { code?: string }).code ?? e))}`)
    return null
  }
}

/** Runs a tool's main and exits with its code; an unexpected error is printed without secrets. */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(redact(String((e as Error)?.message ?? e)))
      process.exit(1)
    }
  )
}
