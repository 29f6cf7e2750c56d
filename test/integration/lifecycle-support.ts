import { join, resolve } from 'node:path'
import pg from 'pg'
import { ConnectionManager, targetFromUrl, type ConnectionTarget } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { LifecycleService } from '../../src-main/lifecycle/service'
import { templateDdl } from '../../src-main/seed/template'
import { SessionService } from '../../src-main/session'
import { TenantDirectoryService } from '../../src-main/tenants'
import type { AppContext } from '../../src-main/context'
import { freshDatabase } from '../support/db'

export const MIGRATIONS = join(resolve(__dirname, '../..'), 'migrations')

/** A fresh database with the demo template and the console's migrations (the lifecycle ones and those before). */
export async function lifecycleDatabase(
  prefix = 'lc',
  opts: { template?: (schema: string) => string; beforeTemplate?: (c: pg.Client) => Promise<void> } = {}
) {
  const db = await freshDatabase(prefix)
  await opts.beforeTemplate?.(db.client)
  await db.client.query((opts.template ?? templateDdl)('nchat'))
  const files = (await loadMigrations(MIGRATIONS)).filter((f) => f.name < '0005' || f.name.startsWith('0006_lifecycle'))
  // Group roles are cluster-wide: two files creating them at once may collide; retry once.
  try {
    await runMigrations(db.client, files)
  } catch {
    await runMigrations(db.client, files)
  }
  return db
}

export interface Console {
  db: ConnectionManager
  session: SessionService
  lifecycle: LifecycleService
  registry: Registry
  call<T = unknown>(channel: string, input: unknown): Promise<{ ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: unknown } }>
  close(): Promise<void>
}

/** One console (its own pool) connected with `url`, with the real handler registry. */
export async function openConsole(url: string, target: Partial<ConnectionTarget> = {}): Promise<Console> {
  const db = new ConnectionManager()
  await db.setTarget(
    targetFromUrl(url, { operator: { name: 'Test Operator', email: 'ops@example.com' }, ...target })
  )
  const session = new SessionService(db)
  const lifecycle = new LifecycleService(db, session, { baseDomain: 'nchat.app' })
  const ctx = { db, session, lifecycle, tenants: new TenantDirectoryService(db, session) } as unknown as AppContext
  const registry = createRegistry(ctx, handlers, () => true)
  return {
    db,
    session,
    lifecycle,
    registry,
    call: (channel, input) => registry.invoke(channel, input, { senderUrl: 'test://' }) as never,
    close: () => db.close()
  }
}

export function urlFor(base: string, user: string, password: string): string {
  const u = new URL(base)
  u.username = user
  u.password = password
  return u.toString()
}

/** A LOGIN role that is a member of `group`; cluster-wide, so the name is unique. */
export async function loginRole(admin: pg.Client, group: string, tag: string): Promise<{ name: string; password: string }> {
  const name = `lc_${tag}_${Math.random().toString(36).slice(2, 8)}`
  const password = `pw-${Math.random().toString(36).slice(2)}`
  await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}' IN ROLE ${group}`)
  return { name, password }
}

export async function dropRole(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try {
    await c.query(`DROP ROLE IF EXISTS ${name}`)
  } finally {
    await c.end()
  }
}

/** A verified backup row, as the backups feature writes it. */
export async function fakeVerifiedBackup(c: pg.Client, tenantId: string, hoursAgo = 1): Promise<void> {
  await c.query(
    `INSERT INTO console.backup_catalog (tenant_id, tenant_slug, tenant_schema, file_path, file_name, status, started_at, finished_at, verified_at, verification)
     SELECT id, slug, schema_name, '/tmp/x.dump', 'x.dump', 'succeeded', now() - make_interval(hours => $2), now() - make_interval(hours => $2), now() - make_interval(hours => $2), 'quick'
       FROM public.tenants WHERE id = $1`,
    [tenantId, hoursAgo]
  )
}

export const CREATE = {
  name: 'Acme Corporation',
  ownerEmail: 'john@acme.test',
  ownerName: 'John Doe',
  plan: 'pro',
  billingInterval: 'monthly',
  trial: false
} as const
