import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ProfileFields, ProfileSaveInput } from '../../src-preload/contract'
import { classifyKeychainFailure } from '../../src-main/secrets/keychain'
import { ProfileStore } from '../../src-main/profiles/store'
import { windowTitle } from '../../src-main/profiles/startup'
import { connectError, splitRedisUrl, sslConfig, targetFor } from '../../src-main/profiles/target'

const dirs: string[] = []
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nchat-store-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const fields = ProfileFields.parse({
  name: 'Prod',
  environment: 'production',
  host: 'db.example.com',
  database: 'chat',
  user: 'ops',
  operatorName: 'Ada',
  operatorEmail: 'ada@example.com'
})

describe('profile fields', () => {
  it('defaults: port 5432, SSL require, template nchat, prefix tenant_', () => {
    expect(fields).toMatchObject({ port: 5432, sslMode: 'require', templateSchema: 'nchat', tenantPrefix: 'tenant_', redisUrl: '' })
  })
  it('rejects unknown keys and unbounded values', () => {
    expect(ProfileSaveInput.safeParse({ fields, secrets: {}, password: 'x' }).success).toBe(false)
    expect(ProfileFields.safeParse({ ...fields, templateSchema: 'Bad-Name' }).success).toBe(false)
    expect(ProfileSaveInput.safeParse({ fields, secrets: { password: { action: 'replace', value: 'x'.repeat(5000) } } }).success).toBe(false)
  })
})

describe('connection target', () => {
  it('keeps secrets in pg config and the redis URL, never in the label', () => {
    const t = targetFor({ ...fields, redisUrl: 'redis://cache:6379/0', id: 'p1' }, { password: 'pw-abc', redisPassword: 'r-pw', stripeKey: 'sk_test_x' })
    expect(t.label).toBe('ops@db.example.com:5432/chat')
    expect(t.pg.password).toBe('pw-abc')
    expect(t.redisUrl).toBe('redis://:r-pw@cache:6379/0')
    expect(t.profile).toEqual({ id: 'p1', name: 'Prod', environment: 'production', color: '#d93f3f' })
  })
  it('moves a password typed into a Redis URL out of it', () => {
    expect(splitRedisUrl('rediss://user:s%40cret@cache:6380/1')).toEqual({ url: 'rediss://user@cache:6380/1', password: 's@cret' })
    expect(() => splitRedisUrl('http://x')).toThrow(/redis:\/\//)
  })
  it('maps SSL modes like libpq', () => {
    expect(sslConfig({ sslMode: 'disable', caFile: '' })).toBe(false)
    expect(sslConfig({ sslMode: 'require', caFile: '' })).toEqual({ rejectUnauthorized: false })
    expect(sslConfig({ sslMode: 'verify-full', caFile: '' })).toEqual({ rejectUnauthorized: true })
    expect(() => sslConfig({ sslMode: 'verify-full', caFile: '/nonexistent/ca.pem' })).toThrow(/CA file/)
  })
  it('explains connection failures without echoing secrets', () => {
    const where = { host: 'db', port: 5432, database: 'chat', user: 'ops' }
    expect(connectError({ code: '28P01', message: 'password authentication failed' }, where).message).toMatch(/refused the password for user "ops"/)
    expect(connectError({ code: 'ECONNREFUSED' }, where).code).toBe('DB_UNAVAILABLE')
    expect(connectError({ code: '3D000' }, where).message).toMatch(/"chat" does not exist/)
    expect(connectError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, where).message).toMatch(/CA file/)
  })
  it('puts the environment first in the window title', () => {
    expect(windowTitle({ profileName: 'Prod EU', environment: 'production', databaseLabel: 'x' } as never)).toBe('[PRODUCTION] Prod EU — nChat Console')
  })
})

describe('keychain failures', () => {
  it('are classified into actionable messages', () => {
    expect(classifyKeychainFailure('Could not connect: No such file or directory', null).details).toEqual({ reason: 'no-service' })
    expect(classifyKeychainFailure('Cannot autolaunch D-Bus without X11 $DISPLAY', null).details).toEqual({ reason: 'no-service' })
    expect(classifyKeychainFailure('x', 'LOCKED').details).toEqual({ reason: 'locked' })
    expect(classifyKeychainFailure('Cannot create an item in a locked collection', null).details).toEqual({ reason: 'locked' })
    expect(classifyKeychainFailure("Cannot find module 'keytar'", 'MODULE_NOT_FOUND').details).toEqual({ reason: 'module' })
    const other = classifyKeychainFailure('weird failure password=hunter22', null)
    expect(other.details).toEqual({ reason: 'refused' })
    expect(other.message).not.toContain('hunter22')
  })
})

describe('profiles file', () => {
  const view = (id: string, name: string) => ({
    ...fields,
    name,
    color: '#d93f3f',
    id,
    secrets: { password: true, stripeKey: false, redisPassword: false, webhookSecret: false },
    createdAt: 'now',
    updatedAt: 'now'
  })

  it('writes atomically, serialized, owner-only, no temp files left', async () => {
    const dir = tmp()
    const s = new ProfileStore(dir)
    const ids = Array.from({ length: 20 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
    await Promise.all(ids.map((id, i) => s.update((c) => void c.profiles.push(view(id, `p${i}`)))))
    const again = new ProfileStore(dir)
    expect((await again.list()).map((p) => p.id).sort()).toEqual(ids)
    expect(readdirSync(dir)).toEqual(['profiles.json'])
    if (process.platform !== 'win32') {
      const { statSync } = await import('node:fs')
      expect(statSync(join(dir, 'profiles.json')).mode & 0o777).toBe(0o600)
    }
  })

  it.each([
    ['truncated', (good: string) => good.slice(0, 40), /not valid JSON/],
    ['empty', () => '', /it is empty/],
    ['wrong shape', () => JSON.stringify({ version: 1, profiles: [{ id: 1 }] }), /not a profiles list/],
    ['future version', () => JSON.stringify({ version: 9, profiles: [] }), /not a profiles list/]
  ])('a %s file is reported and never overwritten', async (_name, damage, re) => {
    const dir = tmp()
    const s = new ProfileStore(dir)
    await s.update((c) => void c.profiles.push(view('00000000-0000-4000-8000-000000000001', 'p')))
    const bad = damage(readFileSync(join(dir, 'profiles.json'), 'utf8'))
    writeFileSync(join(dir, 'profiles.json'), bad)
    const s2 = new ProfileStore(dir)
    await s2.load()
    expect(s2.problem).toMatch(re)
    expect(s2.problem).toMatch(/left untouched/)
    await expect(s2.update((c) => void (c.activeProfileId = null))).rejects.toThrow(/could not be used/)
    expect(readFileSync(join(dir, 'profiles.json'), 'utf8')).toBe(bad)
    const aside = await s2.setAsideDamaged()
    expect(aside).toMatch(/profiles\.json\.damaged-/)
    expect(readFileSync(aside!, 'utf8')).toBe(bad)
    await s2.update((c) => void c.profiles.push(view('00000000-0000-4000-8000-000000000002', 'fresh')))
    expect((await new ProfileStore(dir).list()).map((p) => p.name)).toEqual(['fresh'])
  })
})
