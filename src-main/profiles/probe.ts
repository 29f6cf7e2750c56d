import pg from 'pg'
import type { ConnectionTestReport } from '../../src-preload/contract/profiles'
import { AppError, toAppError } from '../core/errors'
import { redact } from '../core/logger'
import type { ConnectionTarget } from '../db/connection'
import { appliedMigrations, loadMigrations, runMigrations } from '../db/migrate'
import { ADMIN_ROLE, SUPPORT_ROLE } from '../session'
import { findPgDump } from './pgtools'
import { connectError } from './target'

/** Opens one short-lived client for a target that is not (yet) the console's connection. */
export async function withProbeClient<T>(target: ConnectionTarget, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    ...target.pg,
    connectionTimeoutMillis: 8_000,
    statement_timeout: 20_000,
    application_name: 'nchat-console-test'
  } as pg.ClientConfig)
  client.on('error', () => {})
  const where = {
    host: String(target.pg.host ?? 'localhost'),
    port: Number(target.pg.port ?? 5432),
    database: String(target.pg.database ?? ''),
    user: String(target.pg.user ?? '')
  }
  try {
    await client.connect()
  } catch (e) {
    await client.end().catch(() => {})
    throw connectError(e, where)
  }
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/** Everything the "Test connection" button reports, read without changing anything. */
export async function inspect(c: pg.Client, target: ConnectionTarget, migrationsDir: string): Promise<ConnectionTestReport> {
  const who = await c.query<{
    usr: string
    db: string
    ver: string
    vnum: string
    su: boolean
    createrole: boolean
    cancreate: boolean
    ssl: boolean
    tenants: boolean
  }>(
    `SELECT current_user AS usr, current_database() AS db,
            current_setting('server_version') AS ver, current_setting('server_version_num') AS vnum,
            r.rolsuper AS su, r.rolcreaterole AS createrole,
            has_database_privilege(current_database(), 'CREATE') AS cancreate,
            COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl,
            to_regclass('public.tenants') IS NOT NULL AS tenants
       FROM pg_roles r WHERE r.rolname = current_user`
  )
  const w = who.rows[0]!
  const tenantPriv = w.tenants
    ? (
        await c.query<{ sel: boolean; upd: boolean; del: boolean; owns: boolean }>(
          `SELECT has_table_privilege('public.tenants', 'SELECT') AS sel,
                  has_table_privilege('public.tenants', 'UPDATE') AS upd,
                  has_table_privilege('public.tenants', 'DELETE') AS del,
                  pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'public.tenants'::regclass), 'member') AS owns`
        )
      ).rows[0]!
    : { sel: false, upd: false, del: false, owns: false }
  const groups = await c.query<{ rolname: string; member: boolean }>(
    `SELECT r.rolname, pg_has_role(current_user, r.oid, 'member') AS member FROM pg_roles r WHERE r.rolname = ANY($1)`,
    [[SUPPORT_ROLE, ADMIN_ROLE]]
  )
  const memberOf = groups.rows.filter((g) => g.member).map((g) => g.rolname)
  const consoleRole: 'none' | 'support' | 'admin' =
    w.su || tenantPriv.owns || memberOf.includes(ADMIN_ROLE) ? 'admin' : memberOf.includes(SUPPORT_ROLE) ? 'support' : 'none'

  const files = await loadMigrations(migrationsDir)
  // The ledger may exist but be unreadable for a console role (it is the owner's table).
  const ledger = await c.query<{ present: boolean; readable: boolean }>(
    `SELECT to_regclass('console.schema_migrations') IS NOT NULL AS present,
            CASE WHEN to_regclass('console.schema_migrations') IS NULL THEN false
                 ELSE has_table_privilege('console.schema_migrations', 'SELECT') END AS readable`
  )
  const ledgerReadable = !ledger.rows[0]?.present || Boolean(ledger.rows[0]?.readable)
  const applied = ledgerReadable ? await appliedMigrations(c) : null
  const pending = ledgerReadable ? files.filter((f) => !applied?.has(f.name)).map((f) => f.name) : []

  const tpl = await c.query<{ exists: boolean; tables: number }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists,
            (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')) AS tables`,
    [target.templateSchema]
  )
  const serverMajor = Math.floor(Number(w.vnum) / 10_000)
  const pgDump = await findPgDump(target.pgBinDir ?? '', serverMajor)

  const warnings: string[] = []
  if (!w.tenants) warnings.push('This database has no public.tenants table: it is not a multi-tenant nself-chat database (or its migration never ran).')
  if (!tpl.rows[0]?.exists) warnings.push(`The template schema "${target.templateSchema}" does not exist: new tenants cannot be created from it. Check the template schema name.`)
  if (!ledgerReadable) warnings.push('The console migrations ledger exists, but the connected role may not read it, so whether every migration is applied cannot be checked. The database owner can check with npm run db:migrate.')
  if (pending.length) warnings.push(`${pending.length} console migration(s) are not applied: ${pending.join(', ')}.`)
  if (consoleRole === 'none') warnings.push('The connected role has no console role: the console can only show what the database lets it read. Grant it nchat_console_support or nchat_console_admin.')
  if (!pgDump.compatible) warnings.push(pgDump.message)
  if (!w.ssl && target.pg.ssl) warnings.push('The connection is not encrypted.')

  const can = (b: boolean, s: string) => (b ? s : null)
  const abilities = [
    can(tenantPriv.sel, 'read tenants'),
    can(tenantPriv.upd, 'change tenants'),
    can(tenantPriv.del, 'delete tenants'),
    can(w.cancreate, 'create schemas'),
    can(w.createrole, 'create roles')
  ].filter(Boolean)
  const summary = `${w.usr} is ${w.su ? 'a superuser' : `not a superuser`}; console role: ${consoleRole}${abilities.length ? `; may ${abilities.join(', ')}` : '; may not read tenants'}.`

  return {
    serverVersion: w.ver,
    serverVersionNum: Number(w.vnum),
    connectedAs: w.usr,
    database: w.db,
    ssl: w.ssl,
    migrations: {
      ledger: Boolean(ledger.rows[0]?.present),
      readable: ledgerReadable,
      applied: files.filter((f) => applied?.has(f.name)).map((f) => f.name),
      pending,
      upToDate: ledgerReadable && pending.length === 0
    },
    templateSchema: { name: target.templateSchema, exists: Boolean(tpl.rows[0]?.exists), tableCount: tpl.rows[0]?.tables ?? 0 },
    tenantsTable: w.tenants,
    role: {
      consoleRole,
      superuser: w.su,
      createRole: w.createrole,
      canCreateInDatabase: w.cancreate,
      canReadTenants: tenantPriv.sel,
      canUpdateTenants: tenantPriv.upd,
      canDeleteTenants: tenantPriv.del,
      memberOf,
      summary
    },
    pgDump,
    warnings
  }
}

export async function testTarget(target: ConnectionTarget, migrationsDir: string): Promise<ConnectionTestReport> {
  return withProbeClient(target, (c) => inspect(c, target, migrationsDir))
}

export async function migrateTarget(target: ConnectionTarget, migrationsDir: string): Promise<{ applied: string[]; report: ConnectionTestReport }> {
  return withProbeClient(target, async (c) => {
    let outcomes
    try {
      outcomes = await runMigrations(c, await loadMigrations(migrationsDir))
    } catch (e) {
      const err = e as { code?: string; message?: string }
      if (err.code === '42501') {
        throw new AppError(
          'FORBIDDEN',
          `The connected role may not apply the console migrations (${redact(err.message ?? '').slice(0, 200)}). Apply them once as the database owner (npm run db:migrate), then test again.`
        )
      }
      if (/^Migration /.test(err.message ?? '')) throw new AppError('INTERNAL', redact(err.message ?? '').slice(0, 300))
      throw toAppError(e)
    }
    const applied = outcomes.filter((o) => o.outcome !== 'already-applied').map((o) => `${o.name} (${o.outcome})`)
    return { applied, report: await inspect(c, target, migrationsDir) }
  })
}
