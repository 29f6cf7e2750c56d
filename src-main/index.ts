/**
 * Electron bootstrap: the only file in src-main that imports `electron`.
 * It builds the window (hardened), wires the handler registry to ipcMain, and
 * hands native services (events, dialogs, notifications) to the context.
 */
import { app, BrowserWindow, dialog, ipcMain, Notification, session, shell, utilityProcess, type WebContents } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createContext } from './context'
import { createDemo } from './demo'
import { installCrashRedaction, openStartupConnection, windowTitle } from './profiles'
import { KeytarStore, type WorkerSpawner } from './secrets/keychain'
import { log } from './core/logger'
import { createRegistry, handlers } from './ipc'
import { backupPlatform } from './platform'

const RENDERER_DIR = join(__dirname, '../renderer')
const RENDERER_INDEX = join(RENDERER_DIR, 'index.html')
const RENDERER_URL_PREFIX = pathToFileURL(RENDERER_DIR).href + '/'

let mainWindow: BrowserWindow | null = null

/**
 * The keytar helper runs as an Electron utility process: a Node environment of Electron's
 * own, so the app binary never has to run as plain Node (the RunAsNode fuse stays off).
 * Tests run the same worker file as a Node child (secrets/keychain.ts forkSpawner).
 */
const utilitySpawner: WorkerSpawner = (workerPath, env) => {
  const childEnv = { ...env }
  delete childEnv.ELECTRON_RUN_AS_NODE
  // The app path may be inside app.asar (a file): the helper runs in the user-data folder
  // and finds keytar through NCHAT_APP_ROOT (Electron reads keytar.node from app.asar.unpacked).
  const child = utilityProcess.fork(workerPath, [], { env: childEnv, cwd: app.getPath('userData'), stdio: ['ignore', 'ignore', 'pipe'], serviceName: 'nChat Console keychain' })
  // libsecret warnings go to stderr; they never hold secrets, but keep them at debug level.
  child.stderr?.on('data', (d: Buffer) => log.debug('keychain helper:', d.toString('utf8').trim().slice(0, 300)))
  return {
    send: (m) => void child.postMessage(m),
    onMessage: (cb) => void child.on('message', cb),
    onExit: (cb) => void child.on('exit', (code) => cb(code)),
    kill: () => void child.kill()
  }
}

/** Only our own built files may talk to main. */
function isTrustedSender(url: string): boolean {
  return url.startsWith(RENDERER_URL_PREFIX)
}

function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (e) => e.preventDefault())
  contents.on('will-redirect', (e) => e.preventDefault())
  contents.on('will-attach-webview', (e) => e.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    // External links open in the OS browser, https only; no new Electron windows ever.
    try {
      if (new URL(url).protocol === 'https:') void shell.openExternal(url)
    } catch {
      /* ignore malformed */
    }
    return { action: 'deny' }
  })
}

async function createWindow(): Promise<void> {
  mainWindow = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'nChat Console',
    backgroundColor: '#0f1419',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      // Middle-click would otherwise open links in new windows.
      disableBlinkFeatures: 'Auxclick'
    }
  })
  mainWindow.once('ready-to-show', () => mainWindow?.show())
  mainWindow.on('closed', () => {
    mainWindow = null
  })
  await mainWindow.loadFile(RENDERER_INDEX)
}

async function main(): Promise<void> {
  installCrashRedaction((code) => app.exit(code))
  // One user-data folder whatever the product name of the build (a checkout is
  // "nchat-console", an installer "nChat Console"): profiles and the demo stay where they
  // were, and the command-line tools find them.
  app.setPath('userData', join(app.getPath('appData'), 'nchat-console'))
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore()
      mainWindow.focus()
    }
  })
  app.on('web-contents-created', (_e, contents) => hardenContents(contents))

  await app.whenReady()

  // Deny every permission request (camera, notifications via web API, geolocation, ...).
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false))
  session.defaultSession.setPermissionCheckHandler(() => false)

  const userDataDir = app.getPath('userData')
  const migrationsDir = join(app.getAppPath(), 'migrations')
  const ctx = createContext({
    migrationsDir,
    // Secrets: OS keychain through keytar, in a helper process (bounded, killable).
    secrets: new KeytarStore({ workerPath: join(__dirname, 'keytar-worker.js'), appRoot: app.getAppPath(), spawn: utilitySpawner }),
    demo: createDemo(userDataDir, migrationsDir),
    envOverride: Boolean(process.env.NCHAT_DATABASE_URL),
    platform: {
      userDataDir,
      ...backupPlatform({ BrowserWindow, dialog, Notification, shell }, () => mainWindow),
      openExternal: (url) => {
        if (new URL(url).protocol === 'https:') void shell.openExternal(url)
      },
      emit: (event, payload) => {
        if (event === 'session:changed') mainWindow?.setTitle(windowTitle(payload as Parameters<typeof windowTitle>[0]))
        mainWindow?.webContents.send(event, payload)
      }
    }
  })
  await openStartupConnection(ctx)

  const registry = createRegistry(ctx, handlers, isTrustedSender)
  for (const channel of registry.channels) {
    ipcMain.handle(channel, (event, input: unknown) =>
      registry.invoke(channel, input, { senderUrl: event.senderFrame?.url ?? '' })
    )
  }

  await createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow()
  })
  app.on('window-all-closed', () => app.quit())
  // Quit waits (bounded) for the pool to close and the demo server to stop cleanly.
  let quitting = false
  app.on('will-quit', (e) => {
    if (quitting) return
    quitting = true
    e.preventDefault()
    const done = (): void => app.exit(0)
    const force = setTimeout(done, 30_000)
    // Running backups are cancelled (their temporary files removed, the catalog told);
    // a running restore rolls back.
    void ctx.backups
      .cancelAll()
      .catch((err) => log.warn('cancelling jobs at quit failed', err))
      .then(() => ctx.profiles.shutdown())
      .finally(() => {
        clearTimeout(force)
        done()
      })
  })
}

main().catch((e) => {
  log.error('console failed to start', e)
  app.exit(1)
})
