import { join } from 'node:path'
import pg from 'pg'
import { redact } from '../core/logger'
import { loadMigrations, runMigrations } from '../db/migrate'
import { seedFleet } from '../seed/generator'
import { connectCli, parseCli, runCli } from './common'

const USAGE = `Usage: npm run db:seed -- --database-url postgresql://user:pass@host:5432/db [options]
  --tenants N           number of demo tenants (default 200)
  --seed N              random seed; the same seed gives the same fleet (default 1)
  --template-schema S   template schema name (default nchat)
  --tenant-prefix P     tenant schema prefix (default tenant_)
  --append              add tenants to a database that already has some
  --migrations-dir DIR  console migrations (default ./migrations)`

type Values = {
  'database-url'?: string
  tenants?: string
  seed?: string
  'template-schema'?: string
  'tenant-prefix'?: string
  'migrations-dir'?: string
  append?: boolean
  help?: boolean
}

function intArg(v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}.`)
  return n
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

async function main(): Promise<number> {
  const args = parseCli<Values>(
    {
      tenants: { type: 'string' },
      seed: { type: 'string' },
      'template-schema': { type: 'string' },
      'tenant-prefix': { type: 'string' },
      'migrations-dir': { type: 'string' },
      append: { type: 'boolean' }
    },
    USAGE
  )
  if (typeof args === 'number') return args
  const { values, url } = args
  let tenants: number
  let seed: number
  try {
    tenants = intArg(values.tenants, 'tenants', 200, 1, 100_000)
    seed = intArg(values.seed, 'seed', 1, -2_147_483_648, 4_294_967_295)
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`)
    return 2
  }
  const started = Date.now()
  const client = await connectCli(url, 'nchat-console-seed')
  if (!client) return 1
  try {
    const files = await loadMigrations(values['migrations-dir'] ?? join(__dirname, '../../migrations'))
    const outcomes = await runMigrations(client, files)
    const changed = outcomes.filter((o) => o.outcome !== 'already-applied')
    console.log(changed.length ? `Migrations: ${changed.map((o) => `${o.name} ${o.outcome}`).join(', ')}` : 'Migrations: up to date.')

    const have = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM public.tenants')
    const existing = have.rows[0]?.n ?? 0
    if (existing > 0 && !values.append) {
      console.error(
        `Refusing to seed: this database already has ${existing} tenant(s). Nothing was changed. ` +
          `Use --append to add ${tenants} demo tenants next to them, or point --database-url at an empty database.`
      )
      return 1
    }
    console.log(`Seeding ${tenants} tenants (seed ${seed}) into ${redact(url)}${existing ? ` next to ${existing} existing` : ''}...`)
    let lastPrint = 0
    // One batch = one query, so a pool works. Its sessions are recycled every few
    // hundred tenants: a session that has created tens of thousands of relations
    // slows down severalfold (its relation cache keeps growing): a fresh session
    // every 5 batches (50 tenants) keeps the cost per tenant flat.
    const pool = new pg.Pool({ connectionString: url, max: 1, maxUses: 5, connectionTimeoutMillis: 10_000, application_name: 'nchat-console-seed' })
    pool.on('error', () => {})
    const summary = await seedFleet(pool, {
      tenants,
      seed,
      templateSchema: values['template-schema'],
      tenantPrefix: values['tenant-prefix'],
      onProgress: (done, total) => {
        const t = Date.now()
        if (done === total || t - lastPrint >= 2_000) {
          lastPrint = t
          console.log(`  ${done}/${total} tenants (${secs(t - started)})`)
        }
      }
    }).finally(() => pool.end())
    const rows = Object.entries(summary.rows)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
    console.log(`Template schema ${summary.templateSchema}: ${summary.templateCreated ? 'created' : 'already present'}.`)
    console.log(`Created ${summary.tenants} tenants and ${summary.schemasCreated} schemas (${summary.tier} data). Rows: ${rows}`)
    console.log(`Done in ${secs(Date.now() - started)}.`)
    return 0
  } catch (e) {
    const err = e as Error & { code?: string }
    console.error(`Seeding failed: ${redact(err.message)}${err.code ? ` (SQLSTATE ${err.code})` : ''}. Each batch is atomic; batches already written stay.`)
    return 1
  } finally {
    await client.end().catch(() => {})
  }
}

runCli(main)
