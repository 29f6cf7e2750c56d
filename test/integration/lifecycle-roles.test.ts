import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { templateDdl } from '../../src-main/seed/template'
import { CREATE, dropRole, fakeVerifiedBackup, lifecycleDatabase, loginRole, openConsole, urlFor, type Console } from './lifecycle-support'

/**
 * Roles enforced twice: by the handler's minRole and by the database's own grants,
 * with real LOGIN roles in each console group; and races between two consoles.
 */

type Db = Awaited<ReturnType<typeof lifecycleDatabase>>
let db: Db
let app = ''
let alice: { name: string; password: string }
let bob: { name: string; password: string }
let carol: { name: string; password: string }
let root: Console
let asAdmin: Console
let asSupport: Console
let asNone: Console
let bobSql: pg.Client

beforeAll(async () => {
  app = `lc_app_${Math.random().toString(36).slice(2, 8)}`
  // The template belongs to the app's own (non-superuser) role, as in a real deployment.
  db = await lifecycleDatabase('lcr', {
    beforeTemplate: async (c) => {
      await c.query(`CREATE ROLE ${app} NOLOGIN`)
      await c.query(`GRANT CREATE ON DATABASE "${(await c.query('SELECT current_database() AS d')).rows[0].d}" TO ${app}`)
    },
    template: (s) => `SET ROLE ${app};\n${templateDdl(s)}\nRESET ROLE;`
  })
  alice = await loginRole(db.client, 'nchat_console_admin', 'admin')
  bob = await loginRole(db.client, 'nchat_console_support', 'support')
  carol = await loginRole(db.client, 'pg_read_all_data', 'none')
  root = await openConsole(db.url)
  asAdmin = await openConsole(urlFor(db.url, alice.name, alice.password))
  asSupport = await openConsole(urlFor(db.url, bob.name, bob.password))
  asNone = await openConsole(urlFor(db.url, carol.name, carol.password))
  bobSql = new pg.Client({ connectionString: urlFor(db.url, bob.name, bob.password) })
  await bobSql.connect()
})

afterAll(async () => {
  await bobSql?.end()
  for (const c of [root, asAdmin, asSupport, asNone]) await c?.close()
  const adminUrl = db ? (() => { const u = new URL(db.url); u.pathname = '/postgres'; return u.toString() })() : ''
  await db?.close()
  for (const r of [alice, bob, carol]) if (r) await dropRole(adminUrl, r.name)
  if (app) await dropRole(adminUrl, app)
})

async function created(c: Console, slug: string) {
  const r = await c.call<{ tenantId: string }>('lifecycle:create', { ...CREATE, slug })
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.data.tenantId
}

describe('roles', () => {
  it('reads the console role from group membership', async () => {
    expect(await asAdmin.session.role()).toBe('admin')
    expect(await asSupport.session.role()).toBe('support')
    expect(await asNone.session.role()).toBe('none')
  })

  it('an admin login creates tenants through the admin group; the app role keeps full use', async () => {
    const id = await created(asAdmin, 'by-alice')
    const o = await db.client.query(`SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'tenant_by_alice'`)
    expect(o.rows[0].owner).toBe('nchat_console_admin')
    await db.client.query(`BEGIN; SET LOCAL ROLE ${app}; INSERT INTO tenant_by_alice.nchat_channels (name) VALUES ('general'); COMMIT`)
    const log = await db.client.query(`SELECT db_role, operator_email FROM console.operator_log WHERE tenant_id = $1`, [id])
    expect(log.rows[0]).toEqual({ db_role: alice.name, operator_email: 'ops@example.com' })
  })

  it('a superuser creates tenant objects owned by the template owner', async () => {
    await created(root, 'by-root')
    const o = await db.client.query(`SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'tenant_by_root'`)
    expect(o.rows[0].owner).toBe(app)
  })

  it('support: suspend, reactivate and bulk allowed; everything else FORBIDDEN by the handler', async () => {
    const id = await created(root, 'support-target')
    expect(await asSupport.call('lifecycle:suspend', { id, reason: 'payment_failure' })).toMatchObject({ ok: true, data: { status: 'suspended' } })
    expect(await asSupport.call('lifecycle:reactivate', { id, reason: 'owner_request' })).toMatchObject({ ok: true, data: { status: 'active' } })
    expect(await asSupport.call('lifecycle:bulk', { ids: [id], action: 'suspend', reason: 'security_incident' })).toMatchObject({ ok: true, data: { changed: 1 } })
    const ed = (await asSupport.call('lifecycle:editable', { id })) as { ok: true; data: { version: string } }
    const attempts: [string, unknown][] = [
      ['lifecycle:create', { ...CREATE, slug: 'by-bob' }],
      ['lifecycle:update', { id, version: ed.data.version, name: 'Bob was here' }],
      ['lifecycle:cancel', { id }],
      ['lifecycle:restore', { id }],
      ['lifecycle:deletePreview', { id }],
      ['lifecycle:hardDelete', { id, confirmSlug: 'support-target', expectedSchema: 'tenant_support_target' }]
    ]
    for (const [ch, input] of attempts) {
      const r = await asSupport.call(ch, input)
      expect([ch, r.ok ? 'ok' : r.error.code]).toEqual([ch, 'FORBIDDEN'])
    }
    const caps = (await asSupport.call('lifecycle:capabilities', {})) as { ok: true; data: { actions: Record<string, { allowed: boolean; reason: string | null }> } }
    expect(caps.data.actions.suspend?.allowed).toBe(true)
    expect(caps.data.actions.hardDelete).toMatchObject({ allowed: false, reason: expect.stringMatching(/admin/) })
  })

  it('support: the database refuses the admin SQL too', async () => {
    const id = await created(root, 'db-refuses')
    await root.call('lifecycle:cancel', { id })
    await db.client.query(`UPDATE public.tenants SET cancelled_at = now() - interval '40 days' WHERE id = $1`, [id])
    await fakeVerifiedBackup(db.client, id)
    const refused = async (sql: string, params: unknown[] = []) => {
      const e = await bobSql.query(sql, params).then(() => null, (x: { code?: string }) => x)
      return e?.code ?? 'allowed'
    }
    expect(await refused('SELECT public.hard_delete_tenant($1)', [id])).toBe('42501')
    expect(await refused(`UPDATE public.tenants SET name = 'x' WHERE id = $1`, [id])).toBe('42501')
    expect(await refused(`UPDATE public.tenants SET cancelled_at = NULL, status = 'active' WHERE id = $1`, [id])).toBe('42501')
    expect(await refused(`INSERT INTO public.tenants (name, slug, owner_email, owner_name, schema_name) VALUES ('x','x','x','x','tenant_x')`)).toBe('42501')
    expect(await refused('CREATE SCHEMA tenant_by_bob')).toBe('42501')
    expect(await refused(`SELECT console.protect_schema('x')`)).toBe('42501')
    expect(await refused(`DELETE FROM console.operator_log`)).toBe('42501')
    // ...while it may read tenant schemas (backups) and the tenant is untouched.
    expect(await refused('SELECT count(*) FROM tenant_db_refuses.nchat_users')).toBe('allowed')
    expect((await db.client.query('SELECT status FROM public.tenants WHERE id = $1', [id])).rows[0].status).toBe('cancelled')
    expect((await db.client.query(`SELECT to_regnamespace('tenant_db_refuses') IS NOT NULL AS ok`)).rows[0].ok).toBe(true)
  })

  it('a login with no console role may not even suspend', async () => {
    const id = await created(root, 'none-target')
    const r = await asNone.call('lifecycle:suspend', { id, reason: 'payment_failure' })
    expect(r.ok || r.error.code).toBe('FORBIDDEN')
  })

  it('an admin login hard-deletes through the function', async () => {
    const id = await created(asAdmin, 'alice-deletes')
    await asAdmin.call('lifecycle:cancel', { id })
    await fakeVerifiedBackup(db.client, id)
    const r = await asAdmin.call('lifecycle:hardDelete', { id, confirmSlug: 'alice-deletes', expectedSchema: 'tenant_alice_deletes', overrideReason: 'test' })
    expect(r.ok).toBe(true)
    expect((await db.client.query(`SELECT to_regnamespace('tenant_alice_deletes') AS n`)).rows[0].n).toBeNull()
    const log = await db.client.query(`SELECT db_role FROM console.operator_log WHERE tenant_id = $1 AND action = 'tenant.hard_delete'`, [id])
    expect(log.rows[0].db_role).toBe(alice.name)
  })
})

describe('races between two consoles', () => {
  /** Holds the tenant row locked so both consoles queue on it, then lets go. */
  async function contended<T>(id: string, run: () => Promise<T>): Promise<T> {
    const holder = new pg.Client({ connectionString: db.url })
    await holder.connect()
    try {
      await holder.query('BEGIN')
      await holder.query('SELECT 1 FROM public.tenants WHERE id = $1 FOR UPDATE', [id])
      const p = run()
      await new Promise((r) => setTimeout(r, 300))
      await holder.query('COMMIT')
      return await p
    } finally {
      await holder.end()
    }
  }

  it('two suspends at once: one transition, the other a no-op', async () => {
    const id = await created(root, 'race-suspend')
    const [a, b] = await contended(id, () =>
      Promise.all([
        asAdmin.call<{ changed: boolean }>('lifecycle:suspend', { id, reason: 'payment_failure', expectedStatus: 'active' }),
        asSupport.call<{ changed: boolean }>('lifecycle:suspend', { id, reason: 'security_incident', expectedStatus: 'active' })
      ])
    )
    expect(a.ok && b.ok).toBe(true)
    const changed = [a, b].filter((x) => x.ok && x.data.changed)
    expect(changed).toHaveLength(1)
    const n = await db.client.query(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1 AND action = 'tenant.suspend'`, [id])
    expect(n.rows[0].n).toBe(1)
  })

  it('suspend against cancel: exactly one wins, the loser gets CONFLICT with the current state', async () => {
    const id = await created(root, 'race-cancel')
    const [a, b] = await contended(id, () =>
      Promise.all([
        asSupport.call('lifecycle:suspend', { id, reason: 'payment_failure', expectedStatus: 'active' }),
        asAdmin.call('lifecycle:cancel', { id, expectedStatus: 'active' })
      ])
    )
    const wins = [a, b].filter((x) => x.ok)
    const losses = [a, b].filter((x) => !x.ok)
    expect(wins).toHaveLength(1)
    expect(losses).toHaveLength(1)
    const final = (await db.client.query('SELECT status FROM public.tenants WHERE id = $1', [id])).rows[0].status
    const loss = losses[0] as { ok: false; error: { code: string; details?: { current: { status: string } } } }
    expect(loss.error.code).toBe('CONFLICT')
    expect(loss.error.details?.current.status).toBe(final)
    const n = await db.client.query(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1 AND action IN ('tenant.suspend', 'tenant.cancel')`, [id])
    expect(n.rows[0].n).toBe(1)
  })

  it('two edits of the same version: one saved, one CONFLICT', async () => {
    const id = await created(root, 'race-edit')
    const ed = (await root.call('lifecycle:editable', { id })) as { ok: true; data: { version: string } }
    const [a, b] = await contended(id, () =>
      Promise.all([
        asAdmin.call('lifecycle:update', { id, version: ed.data.version, name: 'Alice Name' }),
        root.call('lifecycle:update', { id, version: ed.data.version, name: 'Root Name' })
      ])
    )
    expect([a, b].filter((x) => x.ok)).toHaveLength(1)
    const loss = [a, b].find((x) => !x.ok) as { ok: false; error: { code: string; details: { current: { name: string } } } }
    expect(loss.error.code).toBe('CONFLICT')
    const final = (await db.client.query('SELECT name FROM public.tenants WHERE id = $1', [id])).rows[0].name
    expect(loss.error.details.current.name).toBe(final)
  })

  it('two creates of one slug: one tenant, one schema, one CONFLICT', async () => {
    const [a, b] = await Promise.all([
      asAdmin.call('lifecycle:create', { ...CREATE, slug: 'race-create' }),
      root.call('lifecycle:create', { ...CREATE, slug: 'race-create' })
    ])
    expect([a, b].filter((x) => x.ok)).toHaveLength(1)
    expect([a, b].map((x) => (x.ok ? 'ok' : x.error.code)).sort()).toEqual(['CONFLICT', 'ok'])
    expect((await db.client.query(`SELECT count(*)::int AS n FROM public.tenants WHERE slug = 'race-create'`)).rows[0].n).toBe(1)
  })
})
