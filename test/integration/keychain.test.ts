import { createServer, type Server, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/errors'
import { KeytarStore } from '../../src-main/secrets/keychain'
import { startPrivateKeyring, type PrivateKeyring } from '../support/keyring'

const ROOT = resolve(__dirname, '../..')
const WORKER = join(ROOT, 'src-main/secrets/keytar-worker.ts')

function store(env: NodeJS.ProcessEnv, timeoutMs = 8000): KeytarStore {
  // DISPLAY is unset on purpose: no unlock prompt can appear, as on a headless machine.
  const { DISPLAY: _d, WAYLAND_DISPLAY: _w, ...rest } = env
  return new KeytarStore({ workerPath: WORKER, appRoot: ROOT, service: 'nchat-console-test', env: rest, timeoutMs })
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return e as AppError
  }
  throw new Error('expected a failure')
}

describe('keychain store against a real Secret Service (gnome-keyring)', () => {
  let kr: PrivateKeyring
  beforeAll(async () => {
    kr = await startPrivateKeyring()
  })
  afterAll(() => kr?.stop())

  it('stores, reads, replaces and deletes a secret', async () => {
    const s = store(kr.env)
    try {
      await s.probe()
      expect(await s.get('p1')).toBeNull()
      await s.set('p1', 'first-secret-value')
      expect(await s.get('p1')).toBe('first-secret-value')
      await s.set('p1', 'second-secret-value')
      expect(await s.get('p1')).toBe('second-secret-value')
      expect(await s.delete('p1')).toBe(true)
      expect(await s.get('p1')).toBeNull()
      expect(await s.delete('p1')).toBe(false)
    } finally {
      s.dispose()
    }
  })

  it('says the keyring is locked (not "no password stored") and writes nothing', async () => {
    const s = store(kr.env)
    try {
      await s.set('locked-case', 'value-before-lock')
      kr.lock()
      expect(kr.isLocked()).toBe(true)
      const e1 = await failure(s.get('locked-case'))
      expect(e1.code).toBe('KEYCHAIN_UNAVAILABLE')
      expect(e1.details).toEqual({ reason: 'locked' })
      expect(e1.message).toMatch(/locked/)
      expect(e1.message).toMatch(/Unlock/)
      const e2 = await failure(s.set('locked-case-2', 'never-stored'))
      expect(e2.details).toEqual({ reason: 'locked' })
      const e3 = await failure(s.probe())
      expect(e3.details).toEqual({ reason: 'locked' })
    } finally {
      s.dispose()
    }
  })

  it('with a display whose unlock prompt cannot appear, still says "locked", within the timeout', async () => {
    expect(kr.isLocked()).toBe(true)
    const s = new KeytarStore({ workerPath: WORKER, appRoot: ROOT, service: 'nchat-console-test', env: { ...kr.env, DISPLAY: ':97' }, timeoutMs: 8000 })
    try {
      const started = Date.now()
      const e = await failure(s.get('locked-case'))
      expect(e.code).toBe('KEYCHAIN_UNAVAILABLE')
      expect(e.details).toEqual({ reason: 'locked' })
      expect(Date.now() - started).toBeLessThan(12_000)
    } finally {
      s.dispose()
    }
  })
})

describe('keychain store without a usable Secret Service', () => {
  it('explains that no Secret Service is running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nchat-nobus-'))
    const s = store({ ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'nothing-here')}` })
    try {
      for (const p of [s.get('x'), s.set('x', 'not-written-anywhere'), s.probe()]) {
        const e = await failure(p)
        expect(e.code).toBe('KEYCHAIN_UNAVAILABLE')
        expect(e.details).toEqual({ reason: 'no-service' })
        expect(e.message).toMatch(/Secret Service/)
        expect(e.message).toMatch(/never written to a plain file/)
        expect(e.message).not.toContain('not-written-anywhere')
      }
    } finally {
      s.dispose()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('bounds a call that hangs with a timeout, then recovers with a fresh helper', async () => {
    // A "bus" that accepts connections and never answers: libsecret waits forever.
    const dir = mkdtempSync(join(tmpdir(), 'nchat-deadbus-'))
    const sock = join(dir, 'bus')
    const sockets: Socket[] = []
    const server: Server = createServer((c) => sockets.push(c))
    await new Promise<void>((r) => server.listen(sock, r))
    const s = store({ ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${sock}` }, 1500)
    try {
      const started = Date.now()
      const e = await failure(s.get('x'))
      expect(Date.now() - started).toBeLessThan(6000)
      expect(e.details).toEqual({ reason: 'timeout' })
      expect(e.message).toMatch(/did not answer within 2 seconds/)
      // The next call starts a new helper (and times out again, bounded).
      const e2 = await failure(s.set('x', 'hang-secret'))
      expect(e2.details).toEqual({ reason: 'timeout' })
    } finally {
      s.dispose()
      for (const c of sockets) c.destroy()
      server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
