import { fork, type ChildProcess } from 'node:child_process'
import { AppError } from '../core/errors'
import { log, redact, registerSecret } from '../core/logger'

/** The OS keychain entry name: every secret of the console lives under it. */
export const KEYCHAIN_SERVICE = 'nchat-console'

/** Where secrets live. Only main holds an instance; nothing here ever reaches the renderer. */
export interface SecretStore {
  get(account: string): Promise<string | null>
  set(account: string, secret: string): Promise<void>
  delete(account: string): Promise<boolean>
  /** Throws KEYCHAIN_UNAVAILABLE with an actionable message when the keychain cannot be used. */
  probe(): Promise<void>
  dispose(): void
}

export type KeychainProblem = 'no-service' | 'locked' | 'timeout' | 'crashed' | 'module' | 'refused'

export function keychainError(reason: KeychainProblem, extra = ''): AppError {
  const messages: Record<KeychainProblem, string> = {
    'no-service':
      'No system keychain is available (on Linux: no Secret Service is running on the D-Bus session). Start GNOME Keyring or KWallet in your desktop session, then retry. Passwords are never written to a plain file instead.',
    locked:
      'The system keyring is locked, so saved passwords cannot be read or stored. Unlock it (for example the "Login" keyring in Passwords and Keys, or log out and in again), then retry.',
    timeout: `The system keychain did not answer${extra ? ` within ${extra}` : ''}. If an unlock prompt is open, answer it and retry; otherwise restart the keyring service (for example gnome-keyring-daemon) and retry.`,
    crashed:
      'The system keychain stopped responding while the console was using it. Make sure the keyring is unlocked and its service is running, then retry.',
    module:
      'The keychain module of the console could not be loaded (keytar is not built for this runtime). Reinstall the console, or run "npm rebuild keytar" in a development checkout.',
    refused: `The system keychain refused the request${extra ? ` (${extra})` : ''}. Check that the keyring is unlocked and retry.`
  }
  return new AppError('KEYCHAIN_UNAVAILABLE', messages[reason], { reason })
}

/** Maps the text of a keychain failure (never containing the secret) to an actionable error. */
export function classifyKeychainFailure(message: string, code: string | null): AppError {
  if (code === 'LOCKED') return keychainError('locked')
  if (code === 'MODULE_NOT_FOUND' || /NODE_MODULE_VERSION|keytar\.node|Cannot find module 'keytar'|was compiled against/i.test(message)) {
    return keychainError('module')
  }
  if (
    /Could not connect|Cannot autolaunch|was not provided by any \.service|ServiceUnknown|org\.freedesktop\.secrets|Failed to connect to socket|DBus|D-Bus|No such interface/i.test(
      message
    )
  ) {
    return keychainError('no-service')
  }
  if (/locked|interaction is not allowed|User canceled|Prompt dismissed/i.test(message)) return keychainError('locked')
  return keychainError('refused', redact(message).slice(0, 160))
}

/** A running helper process: a Node child (forkSpawner) or, in the app, an Electron utility process. */
export interface WorkerHandle {
  send(msg: unknown): void
  onMessage(cb: (msg: unknown) => void): void
  onExit(cb: (code: number | null) => void): void
  kill(): void
}
export type WorkerSpawner = (workerPath: string, env: NodeJS.ProcessEnv, cwd: string) => WorkerHandle

/**
 * Default spawner: a Node child, for Node (tests, the command-line tools). The Electron app
 * passes a utility-process spawner instead (src-main/index.ts): a packaged app has its
 * RunAsNode fuse off, so forking its binary would start a second console, not Node.
 */
export const forkSpawner: WorkerSpawner = (workerPath, env, cwd) => {
  if (process.versions.electron) throw new Error('Under Electron the keychain helper runs as a utility process.')
  const execArgv = workerPath.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child: ChildProcess = fork(workerPath, [], {
    cwd,
    env,
    execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json'
  })
  // libsecret warnings go to stderr; they never hold secrets, but keep them at debug level.
  child.stderr?.on('data', (d: Buffer) => log.debug('keychain helper:', d.toString('utf8').trim().slice(0, 300)))
  child.on('error', (e) => log.warn('keychain helper failed to start', e))
  return {
    send: (m) => {
      child.send(m as never)
    },
    onMessage: (cb) => child.on('message', cb),
    onExit: (cb) => child.on('exit', (code) => cb(code)),
    kill: () => {
      child.kill('SIGKILL')
    }
  }
}

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
  timer: NodeJS.Timeout
  worker: WorkerHandle
}

export interface KeytarStoreOptions {
  workerPath: string
  /** Folder whose node_modules holds keytar. */
  appRoot: string
  service?: string
  /** Bound on every call, including starting the helper. */
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  spawn?: WorkerSpawner
}

/**
 * keytar behind a helper process: every call is bounded by a timeout, after which the
 * helper is killed (a hung native call cannot be cancelled in-process, and would hold a
 * libuv thread forever). Failures become KEYCHAIN_UNAVAILABLE errors that say what is
 * wrong and what to do. There is no fallback store of any kind.
 */
export class KeytarStore implements SecretStore {
  private worker: WorkerHandle | null = null
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly service: string
  private readonly timeoutMs: number
  private idleTimer: NodeJS.Timeout | null = null

  constructor(private readonly opts: KeytarStoreOptions) {
    this.service = opts.service ?? KEYCHAIN_SERVICE
    this.timeoutMs = opts.timeoutMs ?? 15_000
  }

  private ensureWorker(): WorkerHandle {
    if (this.worker) return this.worker
    const spawn = this.opts.spawn ?? forkSpawner
    const env = { ...(this.opts.env ?? process.env), NCHAT_APP_ROOT: this.opts.appRoot }
    const w = spawn(this.opts.workerPath, env, this.opts.appRoot)
    w.onMessage((raw) => {
      const m = raw as { id: number; ok: boolean; value?: unknown; error?: string; code?: string | null }
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      clearTimeout(p.timer)
      if (m.ok) p.resolve(m.value)
      else p.reject(classifyKeychainFailure(m.error ?? '', m.code ?? null))
    })
    w.onExit((code) => {
      if (this.worker === w) this.worker = null
      if ([...this.pending.values()].some((p) => p.worker === w)) log.warn(`keychain helper exited (code ${code ?? 'signal'}) with requests pending`)
      for (const [id, p] of this.pending) {
        if (p.worker !== w) continue
        clearTimeout(p.timer)
        p.reject(keychainError('crashed'))
        this.pending.delete(id)
      }
    })
    this.worker = w
    return w
  }

  /** The helper exits after a quiet minute, so an idle console holds no keychain session open. */
  private scheduleIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0 && this.worker) {
        const w = this.worker
        this.worker = null
        w.kill()
      }
    }, 60_000)
    this.idleTimer.unref()
  }

  private call(op: 'get' | 'set' | 'delete' | 'probe', account?: string, secret?: string): Promise<unknown> {
    return this.callRaw(op, account, secret).finally(() => this.scheduleIdle())
  }

  private callRaw(op: 'get' | 'set' | 'delete' | 'probe', account?: string, secret?: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      const w = this.ensureWorker()
      const timer = setTimeout(() => {
        if (!this.pending.has(id)) return
        this.pending.delete(id)
        log.warn(`keychain ${op} timed out after ${this.timeoutMs} ms; restarting the helper`)
        // Kill the helper: the hung call dies with it. Other pending calls fail as "crashed".
        if (this.worker === w) this.worker = null
        w.kill()
        reject(keychainError('timeout', `${Math.round(this.timeoutMs / 1000)} seconds`))
      }, this.timeoutMs)
      this.pending.set(id, { resolve, reject, timer, worker: w })
      try {
        w.send({ id, op, service: this.service, account, secret })
      } catch {
        clearTimeout(timer)
        this.pending.delete(id)
        reject(keychainError('crashed'))
      }
    })
  }

  async get(account: string): Promise<string | null> {
    const v = await this.call('get', account)
    if (typeof v === 'string') {
      registerSecret(v)
      return v
    }
    return null
  }

  async set(account: string, secret: string): Promise<void> {
    registerSecret(secret)
    await this.call('set', account, secret)
  }

  async delete(account: string): Promise<boolean> {
    return Boolean(await this.call('delete', account))
  }

  async probe(): Promise<void> {
    await this.call('probe')
  }

  dispose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    const w = this.worker
    this.worker = null
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(keychainError('crashed'))
      this.pending.delete(id)
    }
    w?.kill()
  }
}

/** In-memory store for unit tests only. */
export class MemorySecretStore implements SecretStore {
  readonly entries = new Map<string, string>()
  failWith: AppError | null = null
  async get(account: string): Promise<string | null> {
    if (this.failWith) throw this.failWith
    return this.entries.get(account) ?? null
  }
  async set(account: string, secret: string): Promise<void> {
    if (this.failWith) throw this.failWith
    registerSecret(secret)
    this.entries.set(account, secret)
  }
  async delete(account: string): Promise<boolean> {
    if (this.failWith) throw this.failWith
    return this.entries.delete(account)
  }
  async probe(): Promise<void> {
    if (this.failWith) throw this.failWith
  }
  dispose(): void {}
}
