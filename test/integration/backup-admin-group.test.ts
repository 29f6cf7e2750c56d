import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { freshDatabase } from '../support/db'
import { TestPlatform, makeService, makeTenant, migratedDatabase } from './backup-support'
import { dropRole, loginRole, urlFor } from './lifecycle-support'

/**
 * Deep verification and restore-as-copy as a member of the admin group (with BYPASSRLS),
 * not a superuser: the tenant schema belongs to the app's own role, as in a deployment.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
let admin: { name: string; password: string }
let app = ''
const platform = new TestPlatform()
let con: ReturnType<typeof makeService>
let tenantId = ''

beforeAll(async () => {
  db = await migratedDatabase('bkadmin')
  c = db.client
  app = `bk_app_${Math.random().toString(36).slice(2, 8)}`
  await c.query(`CREATE ROLE ${app} NOLOGIN`)
  tenantId = await makeTenant(c, 'orig')
  // A billed tenant: its Stripe identity in the columns and in metadata.
  await c.query(
    `UPDATE public.tenants SET stripe_subscription_id = 'sub_orig', last_payment_status = 'succeeded',
            metadata = metadata || '{"stripeSubscriptionStatus": "active", "stripeSubscriptionId": "sub_orig", "lastPaymentStatus": "succeeded"}'
      WHERE id = $1`,
    [tenantId]
  )
  // The app's role owns the tenant schema and everything in it; the console's groups got their grants.
  await c.query(`ALTER SCHEMA tenant_orig OWNER TO ${app}`)
  const objs = await c.query<{ kind: string; name: string }>(
    `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END AS kind, quote_ident(c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'tenant_orig' AND c.relkind IN ('r', 'v', 'p')`
  )
  for (const o of objs.rows) await c.query(`ALTER ${o.kind === 'VIEW' ? 'TABLE' : o.kind} tenant_orig.${o.name} OWNER TO ${app}`)
  await c.query(`GRANT USAGE ON SCHEMA tenant_orig TO nchat_console_support;
                 GRANT SELECT ON ALL TABLES IN SCHEMA tenant_orig TO nchat_console_support;
                 GRANT SELECT ON ALL SEQUENCES IN SCHEMA tenant_orig TO nchat_console_support`)
  admin = await loginRole(c, 'nchat_console_admin', 'bkadmin')
  await c.query(`ALTER ROLE ${admin.name} BYPASSRLS`)
  con = makeService(urlFor(db.url, admin.name, admin.password), platform)
  await con.ready()
})

afterAll(async () => {
  await con?.close()
  const url = db ? new URL(db.url) : null
  await db?.close()
  if (url) {
    url.pathname = '/postgres'
    if (admin) await dropRole(url.toString(), admin.name)
    if (app) await dropRole(url.toString(), app)
  }
})

describe('backups as a member of the admin group', () => {
  let backupId = ''
  it('backs up, verifies quickly and deeply', async () => {
    expect(await con.session.role()).toBe('admin')
    const rec = await con.svc.backupTenantNow(tenantId)
    expect(rec.status).toBe('succeeded')
    backupId = rec.id
    const quick = await con.svc.verify(backupId, false)
    expect(quick.ok).toBe(true)
    const deep = await con.svc.verify(backupId, true)
    expect([deep.ok, deep.message]).toEqual([true, expect.stringMatching(/scratch schema/)])
    // Nothing left behind, the source untouched.
    const left = await c.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'nchat\\_verify\\_%' OR nspname LIKE 'nchat\\_aside\\_%'`)
    expect(left.rows).toEqual([])
    const owner = await c.query(`SELECT nspowner::regrole::text AS o FROM pg_namespace WHERE nspname = 'tenant_orig'`)
    expect(owner.rows[0].o).toBe(app)
  })

  it('restores as a copy: a new tenant with every row, the source untouched', async () => {
    const before = (await c.query(`SELECT count(*)::int AS n FROM tenant_orig.nchat_messages`)).rows[0].n
    const r = await con.svc.restore({ backupId, mode: 'copy', newSlug: 'orig-copy', newName: 'Copy of orig' })
    expect(r).toMatchObject({ tenantSlug: 'orig-copy', schema: 'tenant_orig_copy' })
    expect((await c.query(`SELECT count(*)::int AS n FROM tenant_orig_copy.nchat_messages`)).rows[0].n).toBe(before)
    expect((await c.query(`SELECT count(*)::int AS n FROM tenant_orig.nchat_messages`)).rows[0].n).toBe(before)
    const owner = await c.query(`SELECT nspowner::regrole::text AS o FROM pg_namespace WHERE nspname = 'tenant_orig'`)
    expect(owner.rows[0].o).toBe(app)
    // The app's role can use the copy as it uses its other tenant schemas.
    await c.query(`SET ROLE ${app}`)
    try {
      expect((await c.query(`SELECT count(*)::int AS n FROM tenant_orig_copy.nchat_messages`)).rows[0].n).toBe(before)
      await c.query(`INSERT INTO tenant_orig_copy.nchat_channels (name) VALUES ('from the app')`)
    } finally {
      await c.query('RESET ROLE')
    }
    // A clean history and no billing identity; the operator log says where the copy came from.
    const t = await c.query(`SELECT id::text, stripe_subscription_id, last_payment_status, metadata FROM public.tenants WHERE slug = 'orig-copy'`)
    expect(t.rows[0]).toMatchObject({ stripe_subscription_id: null, last_payment_status: null })
    expect(Object.keys(t.rows[0].metadata).filter((k) => /^stripe|^lastPayment/i.test(k))).toEqual([])
    const audit = await c.query(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1`, [t.rows[0].id])
    expect(audit.rows[0].n).toBe(0)
    expect((await c.query(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1`, [tenantId])).rows[0].n).toBeGreaterThan(0)
    const log = await c.query(`SELECT params FROM console.operator_log WHERE tenant_id = $1 AND action = 'backup.restore_copy'`, [t.rows[0].id])
    expect(log.rows[0].params).toMatchObject({ sourceTenantId: tenantId, sourceSlug: 'orig' })
  })
})
