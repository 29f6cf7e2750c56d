import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventMap, EventName, ProfileFieldsInput } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { setLogSink } from '../../src-main/core/logger'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { KeytarStore } from '../../src-main/secrets/keychain'
import { freshDatabase } from '../support/db'
import { startPrivateKeyring, type PrivateKeyring } from '../support/keyring'

const ROOT = resolve(__dirname, '../..')
const WORKER = join(ROOT, 'src-main/secrets/keytar-worker.ts')
const CANARY = `canary-pw-${Math.random().toString(36).slice(2)}-XyZ`
const STRIPE_CANARY = `sk_test_canary${Math.random().toString(36).slice(2)}`
const HOOK_CANARY = `whsec_canary${Math.random().toString(36).slice(2)}`

type Db = Awaited<ReturnType<typeof freshDatabase>>

describe('connection profiles (real PostgreSQL, real Secret Service)', () => {
  let kr: PrivateKeyring
  let dbA: Db
  let dbB: Db
  let userData: string
  let ctx: AppContext
  let reg: Registry
  const role = `nchat_prof_${Math.random().toString(36).slice(2, 8)}`
  const events: { event: EventName; payload: unknown }[] = []
  const responses: unknown[] = []
  const logLines: string[] = []
  let fieldsA: ProfileFieldsInput
  let fieldsB: ProfileFieldsInput

  async function call(channel: string, input: unknown) {
    const r = await reg.invoke(channel, input, { senderUrl: 'file:///app/index.html' })
    responses.push(r)
    return r as { ok: boolean; data?: any; error?: { code: string; message: string; details?: unknown } } // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  beforeAll(async () => {
    setLogSink((l) => logLines.push(l), 'debug')
    kr = await startPrivateKeyring()
    dbA = await freshDatabase('prof_a')
    dbB = await freshDatabase('prof_b')
    await dbA.client.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${CANARY}'`)
    userData = mkdtempSync(join(tmpdir(), 'nchat-profiles-'))
    const u = new URL(dbA.url)
    const base = {
      host: u.hostname,
      port: Number(u.port),
      user: role,
      sslMode: 'disable' as const,
      operatorName: 'Ada Operator',
      operatorEmail: 'ada@example.com'
    }
    fieldsA = { ...base, name: 'Staging EU', environment: 'staging', database: dbA.name }
    fieldsB = { ...base, name: 'Production US', environment: 'production', database: dbB.name }
    ctx = createContext({
      migrationsDir: join(ROOT, 'migrations'),
      secrets: new KeytarStore({ workerPath: WORKER, appRoot: ROOT, env: kr.env, service: 'nchat-console-test' }),
      platform: {
        userDataDir: userData,
        emit: <E extends EventName>(event: E, payload: EventMap[E]) => void events.push({ event, payload })
      }
    })
    reg = createRegistry(ctx, handlers, (url) => url.startsWith('file:///app/'))
  })

  afterAll(async () => {
    await ctx?.profiles.shutdown()
    setLogSink((l) => process.stderr.write(l + '\n'), 'info')
    await dbA?.client.query(`DROP OWNED BY ${role}`).catch(() => {})
    await dbA?.close()
    await dbB?.close()
    const c = new pg.Client({ connectionString: dbA.url.replace(/\/[^/]*$/, '/postgres') })
    await c.connect().then(() => c.query(`DROP ROLE IF EXISTS ${role}`)).finally(() => c.end())
    kr?.stop()
    rmSync(userData, { recursive: true, force: true })
  })

  it('starts with no profiles and an empty state', async () => {
    const r = await call('profiles:state', {})
    expect(r.ok).toBe(true)
    expect(r.data).toMatchObject({ profiles: [], activeId: null, fileProblem: null })
  })

  it('tests a draft before saving: version, migrations, template, role, pg_dump', async () => {
    const r = await call('profiles:test', { fields: fieldsA, secrets: { password: { action: 'replace', value: CANARY } } })
    expect(r.ok).toBe(true)
    expect(r.data.serverVersionNum).toBeGreaterThan(150000)
    expect(r.data.connectedAs).toBe(role)
    expect(r.data.migrations.upToDate).toBe(false)
    expect(r.data.migrations.pending.length).toBeGreaterThan(0)
    expect(r.data.templateSchema).toEqual({ name: 'nchat', exists: false, tableCount: 0 })
    expect(r.data.role.superuser).toBe(true)
    expect(r.data.role.consoleRole).toBe('admin')
    expect(r.data.pgDump.found).toBe(true)
    expect(r.data.pgDump.compatible).toBe(true)
    expect(r.data.warnings.join(' ')).toMatch(/not applied/)
  })

  it('reports a wrong password in words, without echoing it', async () => {
    const r = await call('profiles:test', { fields: fieldsA, secrets: { password: { action: 'replace', value: 'wrong-password-123' } } })
    expect(r.ok).toBe(false)
    expect(r.error!.code).toBe('FORBIDDEN')
    expect(r.error!.message).toMatch(/refused the password for user/)
    expect(JSON.stringify(r)).not.toContain('wrong-password-123')
  })

  it('applies the console migrations when offered', async () => {
    const r = await call('profiles:applyMigrations', { fields: fieldsA, secrets: { password: { action: 'replace', value: CANARY } } })
    expect(r.ok).toBe(true)
    expect(r.data.applied.length).toBeGreaterThan(0)
    expect(r.data.report.migrations.upToDate).toBe(true)
  })

  let idA = ''
  let idB = ''
  it('saves: non-secret fields in the file, secrets only in the keychain', async () => {
    const r = await call('profiles:save', {
      fields: { ...fieldsA, redisUrl: 'redis://:redis-canary-pw@127.0.0.1:6379/0' },
      secrets: { password: { action: 'replace', value: CANARY }, stripeKey: { action: 'replace', value: STRIPE_CANARY }, webhookSecret: { action: 'replace', value: HOOK_CANARY } }
    })
    expect(r.ok).toBe(true)
    idA = r.data.id
    expect(r.data.secrets).toEqual({ password: true, stripeKey: true, redisPassword: true, webhookSecret: true })
    expect(r.data.redisUrl).toBe('redis://127.0.0.1:6379/0')
    expect(r.data.color).toBe('#e0a100')
    const file = readFileSync(join(userData, 'profiles.json'), 'utf8')
    expect(file).toContain('Staging EU')
    for (const s of [CANARY, STRIPE_CANARY, HOOK_CANARY, 'redis-canary-pw']) expect(file).not.toContain(s)
    // no temp files left behind by the atomic write
    expect(readdirSync(userData).filter((f) => f.includes('.tmp-'))).toEqual([])
    const blob = JSON.parse((await ctx.secrets.get(idA))!)
    expect(blob).toEqual({ password: CANARY, stripeKey: STRIPE_CANARY, redisPassword: 'redis-canary-pw', webhookSecret: HOOK_CANARY })
    // Something that is not a signing secret is refused, and not echoed back.
    const bad = await call('profiles:save', { fields: fieldsB, secrets: { webhookSecret: { action: 'replace', value: 'sk_test_pasted_in_the_wrong_field' } } })
    expect(bad.ok ? 'saved' : bad.error!.code).toBe('INVALID_INPUT')
    expect(bad.error!.message).toContain('whsec_')
    expect(bad.error!.message).not.toContain('sk_test_pasted')
    const b = await call('profiles:save', { fields: fieldsB, secrets: { password: { action: 'replace', value: CANARY } } })
    idB = b.data.id
  })

  it('switches profiles: new pool, session event, operator log in both databases', async () => {
    const a = await call('profiles:activate', { id: idA })
    expect(a.ok).toBe(true)
    expect(a.data).toMatchObject({ connected: true, profileName: 'Staging EU', environment: 'staging', environmentColor: '#e0a100' })
    expect(ctx.db.target?.stripeKey).toBe(STRIPE_CANARY) // in main only
    expect(ctx.db.target?.webhookSecret).toBe(HOOK_CANARY)
    const genA = ctx.db.gen
    const b = await call('profiles:activate', { id: idB })
    expect(b.data).toMatchObject({ connected: true, profileName: 'Production US', environment: 'production', environmentColor: '#d93f3f' })
    expect(ctx.db.gen).toBeGreaterThan(genA)
    const changed = events.filter((e) => e.event === 'session:changed').map((e) => (e.payload as { profileName: string }).profileName)
    expect(changed).toEqual(['Staging EU', 'Production US'])
    const logA = await dbA.client.query(`SELECT action, operator_name, operator_email, params FROM console.operator_log ORDER BY id`)
    expect(logA.rows.map((r) => r.action)).toEqual(['session.open', 'session.close'])
    expect(logA.rows[0]).toMatchObject({ operator_name: 'Ada Operator', operator_email: 'ada@example.com' })
    expect(logA.rows[1].params.to).toEqual({ name: 'Production US', environment: 'production' })
    // Database B has no console schema: the switch still works, nothing is recorded there.
    const st = await call('profiles:state', {})
    expect(st.data.activeId).toBe(idB)
    expect(JSON.parse(readFileSync(join(userData, 'profiles.json'), 'utf8')).activeProfileId).toBe(idB)
  })

  it('reopens the last profile at the next start (in the background, then tells the renderer)', async () => {
    const emitted: string[] = []
    const next = createContext({
      migrationsDir: join(ROOT, 'migrations'),
      secrets: new KeytarStore({ workerPath: WORKER, appRoot: ROOT, env: kr.env, service: 'nchat-console-test' }),
      demo: null,
      platform: { userDataDir: userData, emit: (event) => void emitted.push(event) }
    })
    try {
      const restoring = next.profiles.restore()
      expect((await next.profiles.state()).restoring).toBe(true)
      await restoring
      expect((await next.profiles.state()).restoring).toBe(false)
      expect(next.db.target?.profile?.name).toBe('Production US')
      expect((await next.session.info()).connected).toBe(true)
      expect(emitted.at(-1)).toBe('session:changed')
    } finally {
      await next.profiles.shutdown()
    }
  })

  it('a keychain failure leaves the current connection untouched, with a clear message', async () => {
    const broken = new KeytarStore({
      workerPath: WORKER,
      appRoot: ROOT,
      env: { ...kr.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' },
      service: 'nchat-console-test'
    })
    const saved = ctx.profiles
    const ctx2 = createContext({
      db: ctx.db,
      migrationsDir: join(ROOT, 'migrations'),
      secrets: broken,
      platform: { userDataDir: userData, emit: () => {} }
    })
    const reg2 = createRegistry(ctx2, handlers, () => true)
    const r = (await reg2.invoke('profiles:activate', { id: idA }, { senderUrl: 'x' })) as { ok: boolean; error: { code: string; message: string } }
    responses.push(r)
    expect(r.ok).toBe(false)
    expect(r.error.code).toBe('KEYCHAIN_UNAVAILABLE')
    expect(r.error.message).toMatch(/Secret Service/)
    expect(ctx.db.target?.profile?.name).toBe('Production US')
    broken.dispose()
    expect(saved).toBe(ctx.profiles)
  })

  it('replaces and deletes a secret; the renderer only ever sees flags', async () => {
    const view = (await call('profiles:state', {})).data.profiles.find((p: { id: string }) => p.id === idA)
    const { id: _id, secrets: _s, createdAt: _c, updatedAt: _u, ...fields } = view
    const r = await call('profiles:save', { id: idA, fields, secrets: { stripeKey: { action: 'delete' } } })
    expect(r.data.secrets).toEqual({ password: true, stripeKey: false, redisPassword: true, webhookSecret: true })
    expect(JSON.parse((await ctx.secrets.get(idA))!)).toEqual({ password: CANARY, redisPassword: 'redis-canary-pw', webhookSecret: HOOK_CANARY })
    const d = await call('profiles:delete', { id: idA })
    expect(d.ok ? 'ok' : d.error).toBe('ok')
    expect(d.data.profiles.map((p: { id: string }) => p.id)).toEqual([idB])
    expect(await ctx.secrets.get(idA)).toBeNull()
  })

  it('reports a damaged profiles file and never overwrites it', async () => {
    const path = join(userData, 'profiles.json')
    const good = readFileSync(path, 'utf8')
    const damaged = good.slice(0, Math.floor(good.length / 2)) // truncated mid-write
    writeFileSync(path, damaged)
    await ctx.profileStore.load()
    const st = await call('profiles:state', {})
    expect(st.data.fileProblem).toMatch(/not valid JSON/)
    expect(st.data.fileProblem).toMatch(/left untouched/)
    expect(st.data.profiles).toEqual([])
    const s = await call('profiles:save', { fields: fieldsA, secrets: {} })
    expect(s.ok).toBe(false)
    expect(s.error!.code).toBe('CONFLICT')
    // Switching still works but is not remembered in the damaged file.
    await call('profiles:disconnect', {})
    expect(readFileSync(path, 'utf8')).toBe(damaged)
    // hand-edited into the wrong shape
    writeFileSync(path, JSON.stringify({ version: 1, profiles: [{ id: 'nope' }] }))
    await ctx.profileStore.load()
    expect((await call('profiles:state', {})).data.fileProblem).toMatch(/not a profiles list/)
    expect(readFileSync(path, 'utf8')).toContain('"nope"')
    const aside = await call('profiles:setAsideDamagedFile', {})
    expect(aside.data.fileProblem).toBeNull()
    expect(readdirSync(userData).some((f) => f.startsWith('profiles.json.damaged-'))).toBe(true)
  })

  it('never sends a secret back over IPC, and never logs one', () => {
    const all = JSON.stringify(responses) + JSON.stringify(events)
    for (const s of [CANARY, STRIPE_CANARY, 'redis-canary-pw']) {
      expect(all).not.toContain(s)
      expect(logLines.join('\n')).not.toContain(s)
    }
    expect(responses.length).toBeGreaterThan(10)
  })
})
