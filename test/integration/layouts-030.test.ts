import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LifecycleCapabilities } from '../../src-preload/contract'
import { CREATE, dropRole, lifecycleDatabase, openConsole, urlFor, type Console } from './lifecycle-support'

/**
 * The 030 layout on templates built the way the real app builds them (nchat_* tables,
 * data-model.md section 6) and on one with no users table at all; a trial's round trip
 * through a suspension; a login with no console role told what to grant.
 */

/** The app's table names; nchat_users has NOT NULL columns without defaults, as the app's has. */
const NCHAT_TEMPLATE = (s: string) => `
CREATE SCHEMA ${s};
CREATE TABLE ${s}.nchat_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  auth_user_id uuid NOT NULL UNIQUE,
  username varchar(50) NOT NULL UNIQUE,
  display_name varchar(100),
  email varchar(255) NOT NULL UNIQUE,
  role varchar(20) NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member', 'guest')),
  status varchar(20) NOT NULL,
  source_account_id text NOT NULL DEFAULT 'primary'
);
CREATE TABLE ${s}.nchat_channels (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, created_by uuid REFERENCES ${s}.nchat_users (id));
CREATE TABLE ${s}.nchat_messages (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, channel_id uuid NOT NULL REFERENCES ${s}.nchat_channels (id) ON DELETE CASCADE, content text NOT NULL);
`

type Db = Awaited<ReturnType<typeof lifecycleDatabase>>

describe('030 layout, a template with the app table names', () => {
  let db: Db
  let con: Console
  let nobody: { name: string; password: string } | null = null
  let asNobody: Console
  beforeAll(async () => {
    db = await lifecycleDatabase('l030', { template: NCHAT_TEMPLATE })
    con = await openConsole(db.url)
    nobody = { name: `lc_norole_${Math.random().toString(36).slice(2, 8)}`, password: `pw-${Math.random().toString(36).slice(2)}` }
    await db.client.query(`CREATE ROLE ${nobody.name} LOGIN PASSWORD '${nobody.password}'`)
    asNobody = await openConsole(urlFor(db.url, nobody.name, nobody.password))
  })
  afterAll(async () => {
    await asNobody?.close()
    await con?.close()
    const adminUrl = db ? (() => { const u = new URL(db.url); u.pathname = '/postgres'; return u.toString() })() : ''
    await db?.close()
    if (nobody) await dropRole(adminUrl, nobody.name)
  })

  it('says in advance that the owner goes into nchat_users, and puts them there', async () => {
    const caps = await con.call<LifecycleCapabilities>('lifecycle:capabilities', {})
    expect(caps.ok && caps.data.actions.create).toEqual({ allowed: true, reason: null })
    expect(caps.ok && caps.data.createOwner).toMatchObject({ mode: 'user', table: 'nchat_users' })
    const r = await con.call<{ tenantId: string; warnings: string[] }>('lifecycle:create', { ...CREATE, slug: 'acme', trial: true })
    expect(r.ok || r.error).toBe(true)
    const u = await db.client.query(`SELECT email, username, display_name, role, status, auth_user_id IS NOT NULL AS auth FROM tenant_acme.nchat_users`)
    expect(u.rows).toEqual([{ email: 'john@acme.test', username: 'john', display_name: 'John Doe', role: 'owner', status: 'active', auth: true }])
    const t = await db.client.query(`SELECT owner_id::text FROM public.tenants WHERE slug = 'acme'`)
    expect(t.rows[0].owner_id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('returns a suspended trial to trial; a trial that has ended waits for the operator to choose', async () => {
    const id = (await db.client.query(`SELECT id FROM public.tenants WHERE slug = 'acme'`)).rows[0].id as string
    expect(await con.call('lifecycle:suspend', { id, reason: 'payment_failure' })).toMatchObject({ ok: true, data: { status: 'suspended' } })
    expect(await con.call('lifecycle:reactivate', { id, reason: 'owner_request' })).toMatchObject({ ok: true, data: { status: 'trial', message: expect.stringMatching(/back to trial/) } })

    await con.call('lifecycle:suspend', { id, reason: 'payment_failure' })
    await db.client.query(`UPDATE public.tenants SET trial_ends_at = now() - interval '2 days' WHERE id = $1`, [id])
    const refused = await con.call('lifecycle:reactivate', { id, reason: 'owner_request' })
    expect(refused.ok || [refused.error.code, refused.error.message]).toEqual(['CONFLICT', expect.stringMatching(/trial ended on .*Choose: reactivate it as active, or as a trial restarted/)])
    expect((await db.client.query(`SELECT status FROM public.tenants WHERE id = $1`, [id])).rows[0].status).toBe('suspended')

    expect(await con.call('lifecycle:reactivate', { id, reason: 'owner_request', returnTo: 'trial' })).toMatchObject({ ok: true, data: { status: 'trial' } })
    const t = await db.client.query(`SELECT status, trial_ends_at > now() + interval '13 days' AS restarted FROM public.tenants WHERE id = $1`, [id])
    expect(t.rows[0]).toEqual({ status: 'trial', restarted: true })

    await con.call('lifecycle:suspend', { id, reason: 'payment_failure' })
    expect(await con.call('lifecycle:reactivate', { id, reason: 'owner_request', returnTo: 'active' })).toMatchObject({ ok: true, data: { status: 'active' } })
  })

  it('tells a login with no console role which roles exist and the GRANT to run', async () => {
    const list = await asNobody.call('tenants:list', {})
    expect(list.ok || [list.error.code, list.error.message]).toEqual([
      'FORBIDDEN',
      expect.stringMatching(new RegExp(`nchat_console_support .*nchat_console_admin .*GRANT nchat_console_support TO "${nobody!.name}";`))
    ])
    const id = (await db.client.query(`SELECT id FROM public.tenants WHERE slug = 'acme'`)).rows[0].id as string
    const s = await asNobody.call('lifecycle:cancel', { id })
    expect(s.ok || [s.error.code, s.error.message]).toEqual(['FORBIDDEN', expect.stringMatching(/nchat_console_support .*GRANT nchat_console_admin TO /)])
  })
})

describe('030 layout, a template with no users table', () => {
  let db: Db
  let con: Console
  beforeAll(async () => {
    db = await lifecycleDatabase('l030b', {
      template: (s) => `CREATE SCHEMA ${s}; CREATE TABLE ${s}.members (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, handle text NOT NULL);`
    })
    con = await openConsole(db.url)
  })
  afterAll(async () => {
    await con?.close()
    await db?.close()
  })

  it('creates the tenant anyway and invites the owner (tenant_invitations, role owner), as the capabilities said', async () => {
    const caps = await con.call<LifecycleCapabilities>('lifecycle:capabilities', {})
    expect(caps.ok && caps.data.actions.create.allowed).toBe(true)
    expect(caps.ok && caps.data.createOwner).toMatchObject({ mode: 'invitation', table: 'tenant_invitations', message: expect.stringMatching(/no users table/) })
    const r = await con.call<{ tenantId: string; warnings: string[] }>('lifecycle:create', { ...CREATE, slug: 'globex' })
    expect(r.ok || r.error).toBe(true)
    if (!r.ok) return
    expect(r.data.warnings.join(' ')).toMatch(/invitation/)
    const inv = await db.client.query(`SELECT email, role, length(token) AS len, expires_at > now() AS open FROM public.tenant_invitations WHERE tenant_id = $1`, [r.data.tenantId])
    expect(inv.rows).toEqual([{ email: 'john@acme.test', role: 'owner', len: 64, open: true }])
    expect((await db.client.query(`SELECT count(*)::int AS n FROM tenant_globex.members`)).rows[0].n).toBe(0)
  })
})
