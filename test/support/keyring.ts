import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A private D-Bus session bus with its own unlocked gnome-keyring, started by the test
 * itself (so a test may lock it without disturbing any other test). `env` is what a
 * keychain helper needs to talk to it.
 */
export interface PrivateKeyring {
  env: NodeJS.ProcessEnv
  address: string
  lock(): void
  isLocked(): boolean
  stop(): void
}

function readLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const t = setTimeout(() => reject(new Error('dbus-daemon did not print its address')), timeoutMs)
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(t)
        resolve(buf.slice(0, nl).trim())
      }
    })
  })
}

export async function startPrivateKeyring(): Promise<PrivateKeyring> {
  const home = mkdtempSync(join(tmpdir(), 'nchat-keyring-'))
  const runtime = join(home, 'run')
  mkdirSync(join(home, '.local/share'), { recursive: true })
  mkdirSync(runtime, { mode: 0o700 })
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_RUNTIME_DIR: runtime,
    LANG: 'C.UTF-8'
  }
  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { env: baseEnv, stdio: ['ignore', 'pipe', 'ignore'] })
  const address = await readLine(bus, 10_000)
  const env: NodeJS.ProcessEnv = { ...baseEnv, DBUS_SESSION_BUS_ADDRESS: address }
  const daemon = spawnSync('gnome-keyring-daemon', ['--unlock', '--components=secrets', '--daemonize'], {
    env,
    input: 'nchat-test-keyring',
    encoding: 'utf8',
    timeout: 15_000
  })
  if (daemon.status !== 0) throw new Error(`gnome-keyring-daemon failed: ${daemon.stderr}`)
  // dbus-send ships with dbus itself (gdbus needs libglib2.0-bin, which CI may not have).
  const dbusSend = (args: string[]): string => {
    const r = spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', ...args], { env, encoding: 'utf8', timeout: 10_000 })
    if (r.status !== 0) throw new Error(`dbus-send failed: ${r.stderr}`)
    return r.stdout
  }
  function collectionLocked(): boolean {
    return /boolean true/.test(
      dbusSend(['/org/freedesktop/secrets/aliases/default', 'org.freedesktop.DBus.Properties.Get', 'string:org.freedesktop.Secret.Collection', 'string:Locked'])
    )
  }
  // --daemonize returns before the daemon owns its bus name and has unlocked the login
  // collection; a test that starts at once would see "no Secret Service" or "locked".
  const deadline = Date.now() + 20_000
  for (;;) {
    let state = 'not on the bus'
    const owner = spawnSync(
      'dbus-send',
      ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'],
      { env, encoding: 'utf8', timeout: 5_000 }
    )
    if (/boolean true/.test(owner.stdout ?? '')) {
      try {
        state = collectionLocked() ? 'locked' : 'ready'
      } catch {
        state = 'without a default collection'
      }
    }
    if (state === 'ready') break
    if (Date.now() > deadline) {
      bus.kill('SIGTERM')
      rmSync(home, { recursive: true, force: true })
      throw new Error(`gnome-keyring-daemon is still ${state} after 20 s`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  const kr = {
    env,
    address,
    lock() {
      dbusSend(['/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/aliases/default'])
    },
    isLocked: collectionLocked,
    stop() {
      // gnome-keyring-daemon exits when its bus goes away.
      bus.kill('SIGTERM')
      rmSync(home, { recursive: true, force: true })
    }
  }
  return kr
}
