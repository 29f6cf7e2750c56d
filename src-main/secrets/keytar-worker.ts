/**
 * Child process that owns every keytar call. Running keytar out of the main process
 * means a call that hangs (a locked keyring waiting on an unlock prompt, a D-Bus peer
 * that never answers) or crashes (libsecret aborts on some locked collections) is
 * contained: main kills this process on timeout and starts a fresh one.
 *
 * Protocol (process IPC): main sends { id, op, service, account?, secret? }, the worker
 * answers { id, ok: true, value } or { id, ok: false, error, code? }. Error text comes
 * from the OS keychain (never contains the secret); main maps it to a message.
 */
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type * as KeytarModule from 'keytar'

interface Request {
  id: number
  op: 'get' | 'set' | 'delete' | 'probe'
  service: string
  account?: string
  secret?: string
}

type Keytar = typeof KeytarModule

// NCHAT_APP_ROOT: where node_modules lives (main passes it; keytar may be unpacked from asar).
const appRoot = process.env.NCHAT_APP_ROOT || process.cwd()
let keytar: Keytar | null = null
function load(): Keytar {
  if (!keytar) keytar = createRequire(join(appRoot, 'package.json'))('keytar') as Keytar
  return keytar
}

/**
 * Linux only: whether the default Secret Service collection is locked. keytar cannot tell
 * "locked" from "not stored" (a lookup in a locked collection returns null), so ask D-Bus.
 * null = could not tell (no dbus-send, another OS).
 */
function linuxLocked(): boolean | null {
  if (process.platform !== 'linux') return null
  const r = spawnSync(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--reply-timeout=3000',
      '--dest=org.freedesktop.secrets',
      '/org/freedesktop/secrets/aliases/default',
      'org.freedesktop.DBus.Properties.Get',
      'string:org.freedesktop.Secret.Collection',
      'string:Locked'
    ],
    { encoding: 'utf8', timeout: 4000 }
  )
  if (r.error || r.status !== 0) return null
  if (/boolean true/.test(r.stdout)) return true
  if (/boolean false/.test(r.stdout)) return false
  return null
}

const hasDisplay = (): boolean => Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)

class LockedError extends Error {
  code = 'LOCKED'
}

async function run(req: Request): Promise<unknown> {
  const k = load()
  // Without a display no unlock prompt can appear: say "locked" instead of waiting or
  // reading a misleading "not stored".
  const checkLocked = (): void => {
    if (!hasDisplay() && linuxLocked() === true) throw new LockedError('The keyring is locked.')
  }
  switch (req.op) {
    case 'probe':
      checkLocked()
      await k.findCredentials(req.service)
      return true
    case 'get': {
      checkLocked()
      const v = await k.getPassword(req.service, req.account!)
      // A lookup in a collection that stayed locked (unlock prompt dismissed or impossible)
      // answers null: that is "locked", not "nothing stored".
      if (v === null && linuxLocked() === true) throw new LockedError('The keyring is locked.')
      return v
    }
    case 'set':
      checkLocked()
      await k.setPassword(req.service, req.account!, req.secret!)
      return true
    case 'delete':
      checkLocked()
      return await k.deletePassword(req.service, req.account!)
  }
}

// Works as a Node child (process.send) and as an Electron utility process (parentPort).
interface ParentPort {
  postMessage(m: unknown): void
  on(ev: 'message', cb: (e: { data: Request }) => void): void
}
const port = (process as unknown as { parentPort?: ParentPort }).parentPort
const send = (m: unknown): void => {
  if (port) port.postMessage(m)
  else process.send?.(m)
}
function handle(msg: Request): void {
  run(msg).then(
    (value) => send({ id: msg.id, ok: true, value }),
    (e: unknown) => {
      const err = e as { message?: string; code?: string }
      send({ id: msg.id, ok: false, error: String(err?.message ?? e).slice(0, 500), code: err?.code ?? null })
    }
  )
}
if (port) port.on('message', (e) => handle(e.data))
else {
  process.on('message', (m: Request) => handle(m))
  process.on('disconnect', () => process.exit(0))
}
send({ id: 0, ok: true, value: 'ready' })
