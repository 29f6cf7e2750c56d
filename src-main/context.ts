import { randomUUID } from 'node:crypto'
import { join, resolve } from 'node:path'
import { tmpdir } from 'node:os'
import { ConnectionManager } from './db/connection'
import type { Platform } from './platform/platform'
import { KeytarStore, type SecretStore } from './secrets/keychain'
import { BackupService, type BackupOptions } from './backup'
import { createDemo, type DemoService } from './demo'
import { LifecycleService } from './lifecycle'
import { ProfileService, ProfileStore } from './profiles'
import { SessionService } from './session'
import { TenantDirectoryService } from './tenants'
import { InsightsService } from './insights'
import { HealthOpsService, HealthService } from './health'
import { AuditService, Maintenance } from './audit'
import { IndexService } from './indexes'
import { BillingService, type BillingOptions } from './billing'
import { ReachService } from './reach'

export type { FileDialogOptions, Platform } from './platform/platform'

/**
 * The composition root: every feature's service, built once and handed to the IPC
 * handlers (ipc/handlers) as one object. It imports the features (through their
 * index.ts); no feature imports it.
 */
export interface AppContext {
  db: ConnectionManager
  session: SessionService
  tenants: TenantDirectoryService
  lifecycle: LifecycleService
  backups: BackupService
  insights: InsightsService
  health: HealthService
  healthOps: HealthOpsService
  audit: AuditService
  indexes: IndexService
  maintenance: Maintenance
  billing: BillingService
  reach: ReachService
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
  /** Tests and benchmarks only: where Stripe is (a local fake) and gateway timings. */
  billing?: BillingOptions
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
  const billing = new BillingService(db, session, opts.platform, opts.billing)
  const indexes = new IndexService(db, session)
  const tenants = new TenantDirectoryService(db, session, indexes)
  const lifecycle = new LifecycleService(db, session, {
    resolveMatching: (filter, expected, max) => tenants.resolveConfirmed(filter, expected, max),
    // Cancel with the tenant: the subscription ends as the operator chose (the marker's), once
    // (billing/cancel.ts). Through ctx, so a context whose billing is replaced (tests) uses that one.
    afterCancel: (tenantId) => ctx.billing.cancelWithTenant({ tenantId })
  })
  const ctx: AppContext = {
    db,
    session,
    tenants,
    lifecycle,
    billing,
    backups,
    insights: new InsightsService(db, session, opts.platform),
    health: new HealthService(db, session, opts.platform),
    healthOps: new HealthOpsService(db, session, { lifecycle, backupSchema: (schema, slug) => backups.backupSchemaNow(schema, slug) }),
    audit: new AuditService(db, session, opts.platform, indexes),
    indexes,
    maintenance: new Maintenance(db, session),
    reach: new ReachService(db, session),
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
  return ctx
}
