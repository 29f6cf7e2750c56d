import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LifecycleCapabilities, TenantDetail } from '../../src-preload/contract'
import { CREATE, lifecycleDatabase, openConsole, type Console } from './lifecycle-support'

/**
 * The newer tenancy layout as the app ships it (test/fixtures/app-newer.sql, built from the
 * app's tenant_tables migration and its tenant creation): every lifecycle write works.
 */
const NEWER = readFileSync(join(resolve(__dirname, '..'), 'fixtures/app-newer.sql'), 'utf8')
const UMBRELLA = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
const HOOLI = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'
const DEFAULT = '00000000-0000-0000-0000-000000000001'

type Db = Awaited<ReturnType<typeof lifecycleDatabase>>
let db: Db
let con: Console

beforeAll(async () => {
  db = await lifecycleDatabase('lcn', { template: () => NEWER })
  con = await openConsole(db.url)
})
afterAll(async () => {
  await con?.close()
  await db?.close()
})

async function caps(): Promise<LifecycleCapabilities> {
  const r = await con.call<LifecycleCapabilities>('lifecycle:capabilities', {})
  if (!r.ok) throw new Error(r.error.message)
  return r.data
}

describe('newer layout', () => {
  it('suspends and reactivates, filling every NOT NULL column of tenant_audit_log', async () => {
    const s = await con.call('lifecycle:suspend', { id: UMBRELLA, reason: 'terms_violation' })
    expect(s).toMatchObject({ ok: true, data: { status: 'suspended', changed: true } })
    const a = await db.client.query(
      `SELECT actor_email, action, entity_type, entity_id, old_values, new_values, metadata FROM public.tenant_audit_log WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [UMBRELLA]
    )
    expect(a.rows[0]).toMatchObject({
      actor_email: 'ops@example.com',
      action: 'tenant.suspend',
      entity_type: 'tenant',
      entity_id: UMBRELLA,
      old_values: { status: 'active' },
      new_values: { status: 'suspended' },
      metadata: { source: 'nchat-console', reason: 'terms_violation' }
    })
    const r = await con.call('lifecycle:reactivate', { id: UMBRELLA, reason: 'owner_request' })
    expect(r).toMatchObject({ ok: true, data: { status: 'active' } })
    const o = await db.client.query(`SELECT action FROM console.operator_log WHERE tenant_id = $1 ORDER BY id`, [UMBRELLA])
    expect(o.rows.map((x) => x.action)).toEqual(['tenant.suspend', 'tenant.reactivate'])
  })

  it('opens the default tenant (a non-RFC uuid), marks it as the template and keeps destructive actions away from it', async () => {
    const d = await con.call<TenantDetail>('tenants:get', { id: DEFAULT })
    expect(d.ok).toBe(true)
    if (!d.ok) return
    expect(d.data).toMatchObject({ slug: 'default', schemaName: 'nchat', plan: 'enterprise', templateTenant: expect.stringMatching(/template/) })
    for (const ch of ['lifecycle:suspend', 'lifecycle:cancel'] as const) {
      const r = await con.call(ch, ch === 'lifecycle:suspend' ? { id: DEFAULT, reason: 'terms_violation' } : { id: DEFAULT })
      expect(r.ok || [r.error.code, r.error.message]).toEqual(['UNSUPPORTED', expect.stringMatching(/default tenant.*template/)])
    }
    const prev = await con.call<{ blockers: string[] }>('lifecycle:deletePreview', { id: DEFAULT })
    expect(prev.ok && prev.data.blockers.join(' ')).toMatch(/protected/)
    // A bulk action that includes it is not rejected whole: it fails that one item with the reason.
    const bulk = await con.call<{ changed: number; failed: number; results: { id: string; code: string | null; message: string }[] }>('lifecycle:bulk', {
      action: 'suspend',
      ids: [DEFAULT, HOOLI],
      reason: 'payment_failure'
    })
    expect(bulk.ok && bulk.data).toMatchObject({ changed: 1, failed: 1 })
    expect(bulk.ok && bulk.data.results.find((x) => x.id === DEFAULT)).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/template/) })
    const t = await db.client.query(`SELECT status FROM public.tenants WHERE id = $1`, [DEFAULT])
    expect(t.rows[0].status).toBe('active')
    expect(await con.call('lifecycle:reactivate', { id: HOOLI, reason: 'owner_request' })).toMatchObject({ ok: true })
  })

  it('shows both custom_domain and tenant_domains, with which are verified, and searches both', async () => {
    const d = await con.call<TenantDetail>('tenants:get', { id: UMBRELLA })
    expect(d.ok && d.data).toMatchObject({
      customDomain: 'chat.umbrella.example',
      domains: [
        { domain: 'chat.umbrella.example', verified: true, sslEnabled: true, primary: true },
        { domain: 'umbrella-corp.example', verified: false, verifiedAt: null, sslEnabled: false, primary: false }
      ]
    })
    const byTableOnly = await con.call<{ rows: { slug: string; customDomain: string | null }[] }>('tenants:list', { search: 'talk.hooli' })
    expect(byTableOnly.ok && byTableOnly.data.rows).toEqual([expect.objectContaining({ slug: 'hooli', customDomain: 'talk.hooli.example' })])
    const second = await con.call<{ rows: { slug: string }[] }>('tenants:list', { search: 'umbrella-corp.example' })
    expect(second.ok && second.data.rows.map((r) => r.slug)).toEqual(['umbrella'])
  })

  it("edits the plan with this layout's own keys, never dropping a key the console does not know", async () => {
    await db.client.query(`UPDATE public.tenants SET limits = limits || '{"maxGuestsPerChannel": 7}' WHERE id = $1`, [HOOLI])
    const c = await caps()
    expect(c.planDefaults.business?.limits).toMatchObject({ maxBotsPerWorkspace: 25, maxWebhooksPerWorkspace: 100 })
    expect(c.planDefaults.business?.features).toHaveProperty('customEmojis')
    const ed = (await con.call('lifecycle:editable', { id: HOOLI })) as { ok: true; data: { version: string; plan: string } }
    expect(ed.data.plan).toBe('starter')
    const u = await con.call('lifecycle:update', {
      id: HOOLI,
      version: ed.data.version,
      name: 'Hooli XYZ',
      plan: 'business',
      limitOverrides: { maxBotsPerWorkspace: 40, maxGuestsPerChannel: 9 }
    })
    expect(u.ok || u.error).toBe(true)
    const t = await db.client.query(`SELECT name, billing_plan, limits, features FROM public.tenants WHERE id = $1`, [HOOLI])
    expect(t.rows[0]).toMatchObject({ name: 'Hooli XYZ', billing_plan: 'business' })
    expect(t.rows[0].limits).toEqual({ ...c.planDefaults.business!.limits, maxBotsPerWorkspace: 40, maxGuestsPerChannel: 9 })
    expect(Object.keys(t.rows[0].features).sort()).toEqual(Object.keys(c.planDefaults.business!.features).sort())
    const ed2 = (await con.call('lifecycle:editable', { id: HOOLI })) as { ok: true; data: { version: string } }
    const bad = await con.call('lifecycle:update', { id: HOOLI, version: ed2.data.version, limitOverrides: { rateLimitPerHour: 5 } })
    expect(bad.ok || [bad.error.code, bad.error.message]).toEqual(['INVALID_INPUT', expect.stringMatching(/Unknown limit "rateLimitPerHour".*maxBotsPerWorkspace/)])
  })

  it('creates a tenant: schema cloned from the nchat_* template, owner in nchat_users, newer plan keys', async () => {
    const c = await caps()
    expect(c.actions.create).toEqual({ allowed: true, reason: null })
    expect(c.createOwner).toMatchObject({ mode: 'user', table: 'nchat_users' })
    const r = await con.call<{ tenantId: string; schemaName: string; warnings: string[] }>('lifecycle:create', { ...CREATE, slug: 'initech', plan: 'pro' })
    expect(r.ok || r.error).toBe(true)
    if (!r.ok) return
    expect(r.data.schemaName).toBe('tenant_initech')
    expect(r.data.warnings).toEqual([])
    const t = await db.client.query(`SELECT billing_plan, limits, owner_name FROM public.tenants WHERE id = $1`, [r.data.tenantId])
    expect(t.rows[0]).toMatchObject({ billing_plan: 'pro', owner_name: 'John Doe', limits: c.planDefaults.pro!.limits })
    const u = await db.client.query(`SELECT email, username, display_name, role, status, auth_user_id FROM tenant_initech.nchat_users`)
    expect(u.rows).toEqual([expect.objectContaining({ email: 'john@acme.test', username: 'john', display_name: 'John Doe', role: 'owner', status: 'active' })])
    const s = await db.client.query(`SELECT count(*)::int AS n FROM public.tenant_settings WHERE tenant_id = $1`, [r.data.tenantId])
    expect(s.rows[0].n).toBe(1)
    const a = await db.client.query(`SELECT entity_type FROM public.tenant_audit_log WHERE tenant_id = $1 AND action = 'tenant.create'`, [r.data.tenantId])
    expect(a.rows).toEqual([{ entity_type: 'tenant' }])
  })

  it('cancels and restores', async () => {
    expect(await con.call('lifecycle:cancel', { id: HOOLI })).toMatchObject({ ok: true, data: { status: 'cancelled' } })
    expect(await con.call('lifecycle:restore', { id: HOOLI })).toMatchObject({ ok: true, data: { status: 'active' } })
  })
})
