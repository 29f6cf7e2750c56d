import type { EventMap, EventName } from '../src-preload/contract'
import { randomUUID } from 'node:crypto'
import { join, resolve } from 'node:path'
import { tmpdir } from 'node:os'
import { ConnectionManager } from './db/connection'
import { createDemo } from './demo'
import type { DemoService } from './demo/service'
import { LifecycleService } from './lifecycle/service'
import { ProfileService } from './profiles/service'
import { ProfileStore } from './profiles/store'
import { KeytarStore, type SecretStore } from './secrets/keychain'
import { SessionService } from './services/session'
import { TenantDirectoryService } from './services/tenants'
import { BackupService, type BackupOptions } from './backup/service'

/** Native things only the Electron bootstrap can do; tests supply fakes. */
export interface Platform {
  /** Sends an event to the renderer. */
  emit<E extends EventName>(event: E, payload: EventMap[E]): void
  /** The app's user-data folder (profiles file, demo cluster). Tests use a temp folder. */
  userDataDir?: string
  /** Native save dialog; resolves to the chosen path, or null when closed. (Backups) */
  saveDialog?(opts: FileDialogOptions): Promise<string | null>
  /** Native open-file dialog; the chosen path, or null. (Backups: restore from a file) */
  openFileDialog?(opts: FileDialogOptions): Promise<string | null>
  /** Native choose-folder dialog; the chosen folder, or null. (Backups: back up many) */
  chooseFolder?(opts: { title: string; defaultPath: string }): Promise<string | null>
  /** OS notification (e.g. a long backup ended). */
  notify?(n: { title: string; body: string }): void
  /** Reveals a file in the OS file manager. */
  showInFolder?(path: string): void
}

export interface FileDialogOptions {
  title: string
  defaultPath: string
  filters: { name: string; extensions: string[] }[]
}

export interface AppContext {
  db: ConnectionManager
  session: SessionService
  tenants: TenantDirectoryService
  lifecycle: LifecycleService
  backups: BackupService
  platform: Platform
  migrationsDir: string
  profiles: ProfileService
  profileStore: ProfileStore
  secrets: SecretStore
  demo: DemoService | null
}

export function createContext(opts: {
  platform: Platform
  migrationsDir: string
  db?: ConnectionManager
  /** The OS keychain; default: keytar through its helper process, from this checkout. */
  secrets?: SecretStore
  demo?: DemoService | null
  /** NCHAT_DATABASE_URL is in force: profiles are listed but not reopened at start-up. */
  envOverride?: boolean
  /** Tuning of backup runs (the command line sizes batch chunks to the server). */
  backupTuning?: Pick<BackupOptions, 'maxRelationsPerRun' | 'maxSchemasPerRun'>
}): AppContext {
  const db = opts.db ?? new ConnectionManager()
  const session = new SessionService(db)
  // Without a real user-data folder (tests), each context gets its own; created only on first write.
  const userDataDir = opts.platform.userDataDir ?? join(tmpdir(), `nchat-console-${process.pid}-${randomUUID().slice(0, 8)}`)
  const profileStore = new ProfileStore(userDataDir)
  const secrets =
    opts.secrets ??
    new KeytarStore({ workerPath: resolve('src-main/secrets/keytar-worker.ts'), appRoot: resolve('.') })
  // The demo is created lazily: nothing starts until someone opens it.
  const demo = opts.demo === undefined ? createDemo(userDataDir, opts.migrationsDir) : opts.demo
  const backups = new BackupService(db, session, opts.platform, {
    consoleVersion: process.env.npm_package_version ?? '0.1.0',
    backupsDir: join(userDataDir, 'backups'),
    ...opts.backupTuning
  })
  return {
    db,
    session,
    tenants: new TenantDirectoryService(db, session),
    lifecycle: new LifecycleService(db, session),
    backups,
    platform: opts.platform,
    migrationsDir: opts.migrationsDir,
    profileStore,
    secrets,
    demo,
    profiles: new ProfileService({
      store: profileStore,
      secrets,
      db,
      session,
      platform: opts.platform,
      demo,
      migrationsDir: opts.migrationsDir,
      envOverride: Boolean(opts.envOverride),
      jobs: backups
    })
  }
}
