import type * as ChildProcessModule from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CHANNELS } from '../../src-preload/contract'

/**
 * The Electron bootstrap (src-main/index.ts) with `electron` replaced by a recording stand-in:
 * what it asks of Electron (window options, IPC handlers, permission and navigation
 * handlers) is checked here, on machines without the Electron binary. Where the binary
 * exists, test/e2e/electron-launch.spec.ts checks the running app.
 */

type Listener = (...args: unknown[]) => unknown

const electron = vi.hoisted(() => {
  const on = (map: Map<string, Listener[]>) => (event: string, fn: Listener) => {
    map.set(event, [...(map.get(event) ?? []), fn])
  }
  const appEvents = new Map<string, Listener[]>()
  const windows: { options: Record<string, unknown>; loaded: string | null; title: string | null }[] = []
  const ipc = new Map<string, Listener>()
  const permission: { request: Listener | null; check: Listener | null } = { request: null, check: null }
  const openExternal: string[] = []
  const state = { userData: '', appPath: '', exitCodes: [] as number[], paths: [] as string[] }
  /** Utility processes the app started, and what each was sent; each answers like the keytar helper. */
  const utility: { modulePath: string; options: { env?: Record<string, string | undefined> }; sent: Record<string, unknown>[] }[] = []
  class UtilityProcess {
    private readonly listeners = new Map<string, Listener[]>()
    stderr = null
    constructor(private readonly rec: (typeof utility)[number]) {}
    on(event: string, fn: Listener): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn])
      return this
    }
    postMessage(m: Record<string, unknown>): void {
      this.rec.sent.push(m)
      setTimeout(() => {
        for (const fn of this.listeners.get('message') ?? []) fn({ id: m.id, ok: true, value: m.op === 'get' ? null : true })
      }, 1)
    }
    kill(): boolean {
      return true
    }
  }
  class BrowserWindow {
    private readonly rec: (typeof windows)[number]
    webContents = { send: () => {} }
    constructor(options: Record<string, unknown>) {
      this.rec = { options, loaded: null, title: null }
      windows.push(this.rec)
    }
    once(): void {}
    on(): void {}
    show(): void {}
    focus(): void {}
    restore(): void {}
    isMinimized(): boolean {
      return false
    }
    setTitle(t: string): void {
      this.rec.title = t
    }
    async loadFile(path: string): Promise<void> {
      this.rec.loaded = path
    }
    static getAllWindows(): unknown[] {
      return windows
    }
    static getFocusedWindow(): null {
      return null
    }
  }
  const module = {
    app: {
      requestSingleInstanceLock: () => true,
      quit: () => {},
      exit: (code: number) => void state.exitCodes.push(code),
      on: on(appEvents),
      whenReady: async () => {},
      getPath: (name: string) => (name === 'appData' ? join(state.userData, '..') : state.userData),
      setPath: (name: string, path: string) => void state.paths.push(`${name}=${path}`),
      getAppPath: () => state.appPath
    },
    BrowserWindow,
    ipcMain: { handle: (channel: string, fn: Listener) => ipc.set(channel, fn) },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: Listener) => (permission.request = fn),
        setPermissionCheckHandler: (fn: Listener) => (permission.check = fn)
      }
    },
    shell: { openExternal: async (url: string) => void openExternal.push(url), showItemInFolder: () => {} },
    dialog: {},
    Notification: { isSupported: () => false },
    utilityProcess: {
      fork: (modulePath: string, _args: string[], options: (typeof utility)[number]['options']) => {
        const rec = { modulePath, options, sent: [] }
        utility.push(rec)
        return new UtilityProcess(rec)
      }
    }
  }
  return { module, appEvents, windows, ipc, permission, openExternal, state, utility }
})

vi.mock('electron', () => ({ ...electron.module, default: electron.module }))

/** Node children the app forks (the keychain must not be one: that needs the RunAsNode fuse). */
const forked = vi.hoisted(() => [] as string[])
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof ChildProcessModule>()
  const fork = ((modulePath: string, ...rest: unknown[]) => {
    forked.push(modulePath)
    return (real.fork as (...a: unknown[]) => unknown)(modulePath, ...rest)
  }) as typeof real.fork
  return { ...real, fork, default: { ...real, fork } }
})

const ROOT = resolve(__dirname, '../..')
/** Under test the bootstrap runs from src-main, and resolves the renderer beside it. */
const OUT_MAIN = join(ROOT, 'src-main')
const RENDERER_URL = pathToFileURL(join(OUT_MAIN, '../renderer')).href + '/index.html'

/** The order in which quitting calls the services. */
const quitCalls: string[] = []

beforeAll(async () => {
  vi.stubEnv('NCHAT_DATABASE_URL', '')
  const { BackupService } = await import('../../src-main/backup/service')
  const { ProfileService } = await import('../../src-main/profiles/service')
  const cancelAll = BackupService.prototype.cancelAll
  vi.spyOn(BackupService.prototype, 'cancelAll').mockImplementation(async function (this: InstanceType<typeof BackupService>) {
    quitCalls.push('cancel jobs')
    await new Promise((r) => setTimeout(r, 50)) // a job taking a moment to clean up
    await cancelAll.call(this)
    quitCalls.push('jobs cancelled')
  })
  const shutdown = ProfileService.prototype.shutdown
  vi.spyOn(ProfileService.prototype, 'shutdown').mockImplementation(async function (this: InstanceType<typeof ProfileService>) {
    quitCalls.push('shutdown')
    await shutdown.call(this)
  })
  electron.state.userData = mkdtempSync(join(tmpdir(), 'nchat-boot-'))
  electron.state.appPath = ROOT
  await import('../../src-main/index')
  await vi.waitFor(() => expect(electron.windows[0]?.loaded).toBeTruthy(), { timeout: 10_000 })
})

afterAll(() => {
  vi.unstubAllEnvs()
})

describe('Electron bootstrap', () => {
  it('opens one window, hardened: isolated, sandboxed, no Node, no webviews, our preload', () => {
    expect(electron.windows).toHaveLength(1)
    const prefs = electron.windows[0]!.options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false
    })
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/)
    expect(electron.windows[0]!.loaded).toMatch(/renderer[\\/]index\.html$/)
  })

  it('keeps one user-data folder, whatever the product name of the build', () => {
    expect(electron.state.paths).toEqual([`userData=${join(electron.state.userData, '..', 'nchat-console')}`])
  })

  it('registers exactly the contract channels with ipcMain, and refuses other senders', async () => {
    expect([...electron.ipc.keys()].sort()).toEqual([...CHANNELS].sort())
    const handler = electron.ipc.get('session:info')!
    const refused = await handler({ senderFrame: { url: 'https://evil.example/' } }, {})
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    const missingFrame = await handler({ senderFrame: null }, {})
    expect(missingFrame).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    const ours = await handler({ senderFrame: { url: RENDERER_URL } }, {})
    expect(ours).toMatchObject({ ok: true, data: { connected: false } })
  })

  it('denies every permission request and check', () => {
    const answers: boolean[] = []
    electron.permission.request!(null, 'media', (ok: boolean) => answers.push(ok))
    electron.permission.request!(null, 'notifications', (ok: boolean) => answers.push(ok))
    expect(answers).toEqual([false, false])
    expect(electron.permission.check!(null, 'geolocation')).toBe(false)
  })

  it('every web contents: navigation, redirects and webviews prevented; new windows denied, https links go to the OS browser', () => {
    const events = new Map<string, Listener>()
    let openHandler: Listener | null = null
    const contents = {
      on: (e: string, fn: Listener) => events.set(e, fn),
      setWindowOpenHandler: (fn: Listener) => (openHandler = fn)
    }
    for (const fn of electron.appEvents.get('web-contents-created') ?? []) fn({}, contents)
    for (const e of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      let prevented = false
      events.get(e)!({ preventDefault: () => (prevented = true) })
      expect(prevented, e).toBe(true)
    }
    expect(openHandler!({ url: 'https://docs.example/help' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    expect(electron.openExternal).toEqual(['https://docs.example/help'])
  })

  it('the keychain helper is an Electron utility process, never the app binary run as Node', async () => {
    const save = electron.ipc.get('profiles:save')!
    const r = await save(
      { senderFrame: { url: RENDERER_URL } },
      {
        fields: { name: 'Staging', environment: 'staging', host: '127.0.0.1', database: 'nchat', user: 'ops', operatorName: 'Ops', operatorEmail: 'ops@example.com' },
        secrets: { password: { action: 'replace', value: 'boot-test-secret' } }
      }
    )
    expect(r).toMatchObject({ ok: true, data: { secrets: { password: true } } })
    expect(electron.utility).toHaveLength(1)
    const helper = electron.utility[0]!
    expect(helper.modulePath).toMatch(/keytar-worker\.js$/)
    expect(helper.options.env?.ELECTRON_RUN_AS_NODE).toBeUndefined()
    expect(helper.options.env?.NCHAT_APP_ROOT).toBe(ROOT)
    expect(helper.sent).toContainEqual(expect.objectContaining({ op: 'set', service: 'nchat-console' }))
    expect(forked).toEqual([])
  })

  it('quitting waits for running jobs to be cancelled and the connection to close, then exits', async () => {
    let prevented = false
    for (const fn of electron.appEvents.get('will-quit') ?? []) fn({ preventDefault: () => (prevented = true) })
    expect(prevented).toBe(true)
    await vi.waitFor(() => expect(electron.state.exitCodes).toEqual([0]), { timeout: 10_000 })
    expect(quitCalls).toEqual(['cancel jobs', 'jobs cancelled', 'shutdown'])
  })
})
