import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createContext } from '../../src-main/context'
import { createRegistry, handlers } from '../../src-main/ipc'
import { KeytarStore } from '../../src-main/secrets/keychain'
import { EXIT_CODES } from '../../src-main/cli/exit-codes'
import type { freshDatabase } from '../support/db'
import { nchatConsole } from '../support/console-cli'
import { startPrivateKeyring, type PrivateKeyring } from '../support/keyring'
import { makeTenant, migratedDatabase } from './backup-support'
import { dropRole, loginRole } from './lifecycle-support'

/**
 * --profile NAME: a profile saved by the app (profiles.json in the user-data folder, the
 * password in a real Secret Service), its operator identity in the audit trail. And
 * --database-url never touches the keychain.
 */
const ROOT = resolve(__dirname, '../..')
let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
let kr: PrivateKeyring
let support: { name: string; password: string }
let userData: string
let acme: string

beforeAll(async () => {
  db = await migratedDatabase('cliprof')
  c = db.client
  acme = await makeTenant(c, 'acme')
  support = await loginRole(c, 'nchat_console_support', 'cliprof')
  kr = await startPrivateKeyring()
  userData = mkdtempSync(join(tmpdir(), 'nchat-cli-userdata-'))
  // Saved the way the app saves it: through the profiles channel, password into the keychain.
  const { DISPLAY: _d, WAYLAND_DISPLAY: _w, ...env } = kr.env
  const secrets = new KeytarStore({ workerPath: join(ROOT, 'src-main/secrets/keytar-worker.ts'), appRoot: ROOT, env })
  const ctx = createContext({ platform: { emit: () => {}, userDataDir: userData }, migrationsDir: join(ROOT, 'migrations'), secrets, demo: null })
  const u = new URL(db.url)
  const saved = await createRegistry(ctx, handlers, () => true).invoke(
    'profiles:save',
    {
      fields: {
        name: 'Staging EU',
        environment: 'staging',
        host: u.hostname,
        port: Number(u.port),
        database: u.pathname.slice(1),
        user: support.name,
        sslMode: 'disable',
        operatorName: 'Profile Operator',
        operatorEmail: 'profile@ops.test'
      },
      secrets: { password: { action: 'replace', value: support.password } }
    },
    { senderUrl: 'test://' }
  )
  secrets.dispose()
  await ctx.db.close()
  expect(saved.ok).toBe(true)
}, 120_000)

afterAll(async () => {
  kr?.stop()
  const url = db ? new URL(db.url) : null
  await db?.close()
  if (url && support) {
    url.pathname = '/postgres'
    await dropRole(url.toString(), support.name)
  }
})

const keyringEnv = () => {
  const { DISPLAY: _d, WAYLAND_DISPLAY: _w, ...env } = kr.env
  return { ...env, DISPLAY: '', WAYLAND_DISPLAY: '' }
}

it('--profile reads the password from the keychain and acts as the profile’s operator', async () => {
  const list = await nchatConsole(['tenants', 'list', '--profile', 'staging eu', '--user-data-dir', userData, '--json'], { env: keyringEnv() })
  expect(list.stderr).toBe('')
  expect(list.code).toBe(0)
  expect(JSON.parse(list.stdout).rows.map((r: { slug: string }) => r.slug)).toEqual(['acme'])

  const s = await nchatConsole(['lifecycle', 'suspend', '--slug', 'acme', '--reason', 'owner_request', '--profile', 'Staging EU', '--user-data-dir', userData], { env: keyringEnv() })
  expect(s.code).toBe(0)
  const log = await c.query(`SELECT operator_name, operator_email, db_role FROM console.operator_log WHERE action = 'tenant.suspend' AND tenant_id = $1`, [acme])
  expect(log.rows).toEqual([{ operator_name: 'Profile Operator', operator_email: 'profile@ops.test', db_role: support.name }])
})

it('--profile without a reachable keychain says so (KEYCHAIN_UNAVAILABLE)', async () => {
  const r = await nchatConsole(['tenants', 'list', '--profile', 'Staging EU', '--user-data-dir', userData], {
    env: { ...keyringEnv(), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }
  })
  expect(r.code).toBe(EXIT_CODES.KEYCHAIN_UNAVAILABLE)
  expect(r.stderr).toMatch(/^error KEYCHAIN_UNAVAILABLE: /)
})

it('--database-url works with no keychain at all (a server without a desktop session)', async () => {
  const r = await nchatConsole(['tenants', 'get', '--slug', 'acme', '--json', '--database-url', db.url], {
    env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: '', HOME: mkdtempSync(join(tmpdir(), 'nchat-nohome-')) }
  })
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  expect(JSON.parse(r.stdout)).toMatchObject({ slug: 'acme', status: 'suspended' })
})
