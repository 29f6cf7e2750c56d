import { randomUUID } from 'node:crypto'
import {
  DEMO_PROFILE_ID,
  SECRET_KINDS,
  type ConnectionTestReport,
  type DemoStatus,
  type MigrationsApplied,
  type ProfileFieldsParsed,
  type ProfilesState,
  type ProfileView,
  type SecretKind,
  type SessionInfo
} from '../../src-preload/contract'
import type { ProfileSaveInput, ProfileTestInput } from '../../src-preload/contract/profiles'
import type { z } from 'zod'
import type { Platform } from '../platform/platform'
import { AppError, toAppError } from '../core/errors'
import { log, registerSecret } from '../core/logger'
import type { ConnectionManager, ConnectionTarget } from '../db/connection'
import type { DemoService } from '../demo'
import type { SecretStore } from '../secrets/keychain'
import type { SessionService } from '../session'
import { migrateTarget, testTarget } from './probe'
import type { ProfileStore } from './store'
import { colorFor, splitRedisUrl, targetFor, viewFields, type Secrets } from './target'

type SaveInput = z.output<typeof ProfileSaveInput>
type TestInput = z.output<typeof ProfileTestInput>
type Changes = SaveInput['secrets']

export interface ProfileServiceDeps {
  store: ProfileStore
  secrets: SecretStore
  db: ConnectionManager
  session: SessionService
  platform: Platform
  demo: DemoService | null
  migrationsDir: string
  /** NCHAT_DATABASE_URL: developer/test override; profiles are then not opened at start-up. */
  envOverride: boolean
  /** The backup jobs of the current connection (BackupService). */
  jobs?: {
    /** What runs now, in words ("A backup of acme is"), or null. */
    runningWork(): string | null
    /** No new job starts until the returned function is called. */
    hold(): () => void
  }
}

function noSecrets(): Record<SecretKind, boolean> {
  return { password: false, stripeKey: false, redisPassword: false, webhookSecret: false }
}

function parseBlob(raw: string | null): Secrets {
  if (!raw) return {}
  try {
    const o = JSON.parse(raw) as Record<string, unknown>
    const out: Secrets = {}
    for (const k of SECRET_KINDS) if (typeof o[k] === 'string' && o[k]) out[k] = o[k] as string
    for (const v of Object.values(out)) registerSecret(v)
    return out
  } catch {
    // Not ours / damaged: treat as nothing stored rather than echo it anywhere.
    return {}
  }
}

/**
 * Connection profiles: non-secret fields in the profiles file, secrets in the OS keychain
 * (one entry per profile id, under the app's service name). Secrets are read only in
 * main, only to open a connection, and never returned to the renderer.
 */
export class ProfileService {
  private startupProblem: string | null = null
  private restoring = false

  constructor(private readonly d: ProfileServiceDeps) {}

  private demoStatus(): DemoStatus {
    return this.d.demo?.status() ?? { state: 'absent', seeded: false, dataDir: '', problem: 'The demo is not available in this build.' }
  }

  async state(): Promise<ProfilesState> {
    const profiles = await this.d.store.list()
    const current = this.d.db.target?.profile?.id ?? null
    return {
      profiles,
      activeId: current,
      fileProblem: this.d.store.problem,
      startupProblem: this.startupProblem,
      envOverride: this.d.envOverride,
      restoring: this.restoring,
      demo: this.demoStatus()
    }
  }

  private async readSecrets(id: string, flags: Record<SecretKind, boolean>): Promise<Secrets> {
    if (!SECRET_KINDS.some((k) => flags[k])) return {}
    return parseBlob(await this.d.secrets.get(id))
  }

  /** Draft fields with a password typed into the Redis URL moved to the secret changes. */
  private normalize(fields: ProfileFieldsParsed, changes: Changes): { fields: ProfileFieldsParsed; changes: Changes } {
    const { url, password } = splitRedisUrl(fields.redisUrl)
    const next = { ...changes }
    if (password && (!next.redisPassword || next.redisPassword.action === 'keep')) {
      next.redisPassword = { action: 'replace', value: password }
    }
    if (!url && (!next.redisPassword || next.redisPassword.action === 'keep')) next.redisPassword = { action: 'delete' }
    return { fields: { ...fields, redisUrl: url }, changes: next }
  }

  /** Secrets for a draft: typed values, else (for a saved profile) what the keychain holds. */
  private async draftSecrets(id: string | undefined, changes: Changes): Promise<Secrets> {
    const saved = id ? await this.d.store.get(id) : null
    if (id && !saved) throw new AppError('NOT_FOUND', 'That profile no longer exists.')
    const needKeychain = saved && SECRET_KINDS.some((k) => saved.secrets[k] && (changes[k]?.action ?? 'keep') === 'keep')
    const stored = needKeychain ? await this.readSecrets(saved.id, saved.secrets) : {}
    const out: Secrets = {}
    for (const k of SECRET_KINDS) {
      const c = changes[k] ?? { action: 'keep' as const }
      if (c.action === 'replace') out[k] = c.value
      else if (c.action === 'keep' && stored[k]) out[k] = stored[k]
    }
    for (const v of Object.values(out)) registerSecret(v)
    return out
  }

  async save(input: SaveInput): Promise<ProfileView> {
    if (this.d.store.problem) throw new AppError('CONFLICT', this.d.store.problem)
    const { fields, changes } = this.normalize(input.fields, input.secrets)
    const hook = changes.webhookSecret
    if (hook?.action === 'replace' && !/^whsec_[A-Za-z0-9]{8,}$/.test(hook.value.trim())) {
      // Never echo the value: it may be some other secret pasted into the wrong field.
      throw new AppError('INVALID_INPUT', 'The webhook signing secret must look like whsec_… (Stripe Dashboard → Developers → Webhooks → the endpoint → Signing secret).')
    }
    const existing = input.id ? await this.d.store.get(input.id) : null
    if (input.id && !existing) throw new AppError('NOT_FOUND', 'That profile no longer exists.')
    // Saving the open profile re-opens it: refused before anything is written while jobs run.
    if (existing && this.d.db.target?.profile?.id === existing.id) this.assertIdle()
    const id = existing?.id ?? randomUUID()
    const flags = existing ? { ...existing.secrets } : noSecrets()

    const touched = SECRET_KINDS.filter((k) => {
      const a = changes[k]?.action ?? 'keep'
      return a === 'replace' || (a === 'delete' && flags[k])
    })
    if (touched.length) {
      // Read-modify-write of the profile's one keychain entry; a keychain failure stops
      // the save before the file changes, and nothing is written anywhere else.
      const current = existing ? await this.readSecrets(id, flags) : {}
      for (const k of SECRET_KINDS) {
        const c = changes[k]
        if (c?.action === 'replace') current[k] = c.value
        else if (c?.action === 'delete') delete current[k]
      }
      if (Object.keys(current).length) await this.d.secrets.set(id, JSON.stringify(current))
      else await this.d.secrets.delete(id)
      for (const k of SECRET_KINDS) flags[k] = Boolean(current[k])
    }

    const now = new Date().toISOString()
    const view: ProfileView = {
      ...fields,
      id,
      color: colorFor(fields),
      secrets: flags,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now
    }
    await this.d.store.update((c) => {
      const i = c.profiles.findIndex((p) => p.id === id)
      if (i >= 0) c.profiles[i] = view
      else c.profiles.push(view)
    })
    log.info(existing ? 'profile updated' : 'profile created', { id, name: view.name, environment: view.environment })
    // Editing the open profile applies at once (the old pool closes, caches clear).
    if (this.d.db.target?.profile?.id === id) await this.activate(id)
    return view
  }

  async remove(id: string): Promise<ProfilesState> {
    const p = await this.d.store.get(id)
    if (!p) throw new AppError('NOT_FOUND', 'That profile no longer exists.')
    if (this.d.db.target?.profile?.id === id) await this.disconnect()
    if (SECRET_KINDS.some((k) => p.secrets[k])) await this.d.secrets.delete(id)
    await this.d.store.update((c) => {
      c.profiles = c.profiles.filter((x) => x.id !== id)
      if (c.activeProfileId === id) c.activeProfileId = null
    })
    log.info('profile deleted', { id, name: p.name })
    return this.state()
  }

  private async draftTarget(input: TestInput): Promise<ConnectionTarget> {
    const { fields, changes } = this.normalize(input.fields, input.secrets)
    const secrets = await this.draftSecrets(input.id, changes)
    return targetFor({ ...fields, id: input.id ?? 'draft' }, secrets)
  }

  async test(input: TestInput): Promise<ConnectionTestReport> {
    return testTarget(await this.draftTarget(input), this.d.migrationsDir)
  }

  async applyMigrations(input: TestInput): Promise<MigrationsApplied> {
    const out = await migrateTarget(await this.draftTarget(input), this.d.migrationsDir)
    log.info('console migrations applied from the profile editor', { applied: out.applied })
    return out
  }

  /** Opens a saved profile: secrets are read first, so a keychain failure leaves the current connection as it was. */
  async activate(id: string): Promise<SessionInfo> {
    this.assertIdle()
    if (id === DEMO_PROFILE_ID) return this.openDemo()
    const p = await this.d.store.get(id)
    if (!p) throw new AppError('NOT_FOUND', 'That profile no longer exists.')
    const secrets = await this.readSecrets(id, p.secrets)
    if (p.secrets.password && !secrets.password) {
      throw new AppError(
        'KEYCHAIN_UNAVAILABLE',
        `The password of profile "${p.name}" is no longer in the system keychain. Edit the profile and enter the password again.`,
        { reason: 'missing' }
      )
    }
    return this.switchTo(targetFor({ ...viewFields(p), id }, secrets), id)
  }

  async openDemo(): Promise<SessionInfo> {
    const demo = this.d.demo
    if (!demo) throw new AppError('UNSUPPORTED', 'The demo is not available in this build.')
    this.assertIdle()
    const t = await demo.start()
    return this.switchTo(t, DEMO_PROFILE_ID)
  }

  async resetDemo(): Promise<SessionInfo> {
    const demo = this.d.demo
    if (!demo) throw new AppError('UNSUPPORTED', 'The demo is not available in this build.')
    // Resetting ends in a switch to the demo: refused before the reset while jobs run.
    this.assertIdle()
    const wasActive = this.d.db.target?.profile?.id === DEMO_PROFILE_ID
    if (wasActive) {
      await this.quietly(() => this.d.db.setTarget(null))
      this.d.platform.emit('session:changed', await this.d.session.info())
    }
    const t = await demo.reset()
    return this.switchTo(t, DEMO_PROFILE_ID)
  }

  async disconnect(): Promise<SessionInfo> {
    await this.quietly(async () => {
      await this.record('session.close', {})
      await this.d.db.setTarget(null)
    })
    await this.persistActive(null)
    const info = await this.d.session.info()
    this.d.platform.emit('session:changed', info)
    return info
  }

  /**
   * Backups and restores run on the connection they started on: leaving it while one runs
   * would split its catalog records across two databases. The operator cancels or waits.
   */
  private assertIdle(): void {
    const work = this.d.jobs?.runningWork()
    if (!work) return
    const here = this.d.db.target?.profile?.name
    throw new AppError(
      'CONFLICT',
      `${work} running${here ? ` on ${here}` : ''}. Wait for it to finish or cancel it on the Backups screen, then change the connection.`
    )
  }

  /**
   * The switch: record leaving the old database, close its pool (setTarget), record the
   * arrival, remember the choice, and tell the renderer to drop every cache.
   */
  private async switchTo(target: ConnectionTarget, id: string): Promise<SessionInfo> {
    return this.quietly(() => this.switchNow(target, id))
  }

  /** Runs a connection change: refused while a job runs, and no job starts during it. */
  private async quietly<T>(change: () => Promise<T>): Promise<T> {
    this.assertIdle()
    const release = this.d.jobs?.hold() ?? (() => {})
    try {
      return await change()
    } finally {
      release()
    }
  }

  private async switchNow(target: ConnectionTarget, id: string): Promise<SessionInfo> {
    const from = this.d.db.target?.profile ?? null
    const to = target.profile ?? null
    if (from) await this.record('session.close', { to: to ? { name: to.name, environment: to.environment } : null })
    await this.d.db.setTarget(target)
    this.startupProblem = null
    await this.record('session.open', {
      profile: to ? { name: to.name, environment: to.environment } : null,
      from: from ? { name: from.name, environment: from.environment } : null
    })
    await this.persistActive(id)
    const info = await this.d.session.info()
    this.d.platform.emit('session:changed', info)
    log.info('connection switched', { from: from?.name ?? null, to: to?.name ?? null, environment: to?.environment ?? null })
    return info
  }

  private async persistActive(id: string | null): Promise<void> {
    if (this.d.envOverride || this.d.store.problem) return
    await this.d.store
      .update((c) => {
        c.activeProfileId = id
      })
      .catch((e) => log.warn('could not remember the active profile', e))
  }

  /** Best effort: a row in console.operator_log when the connected database has it. */
  private async record(action: string, params: Record<string, unknown>): Promise<void> {
    const t = this.d.db.target
    if (!t) return
    const gen = this.d.db.gen
    const write = async (): Promise<void> => {
      const ok = await this.d.db.query<{ ok: boolean }>(
        `SELECT to_regclass('console.operator_log') IS NOT NULL
                AND has_table_privilege('console.operator_log', 'INSERT') AS ok`
      )
      if (!ok.rows[0]?.ok || this.d.db.gen !== gen) return
      await this.d.db.query(
        `INSERT INTO console.operator_log (operator_name, operator_email, action, params) VALUES ($1, $2, $3, $4)`,
        [t.operator.name, t.operator.email, action, JSON.stringify({ ...params, database: t.label })]
      )
    }
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        write(),
        new Promise((_, rej) => {
          timer = setTimeout(() => rej(new Error('operator log write timed out')), 3_000)
        })
      ])
    } catch (e) {
      log.warn(`operator log: could not record ${action}`, toAppError(e).message)
    } finally {
      clearTimeout(timer)
    }
  }

  /** Start-up: reopen the last profile (or the demo). Never throws: problems are shown. */
  async restore(): Promise<void> {
    if (this.d.envOverride) return
    // Set before the first await: a window that asks meanwhile sees "reopening", not "first run".
    this.restoring = true
    try {
      await this.d.store.load()
      const id = await this.d.store.activeId()
      if (!id) return
      await this.activate(id)
    } catch (e) {
      const err = toAppError(e)
      this.startupProblem = `The last connection could not be reopened: ${err.message}`
      log.warn('start-up: could not reopen the last profile', err.message)
    } finally {
      this.restoring = false
      // Whatever happened, the renderer refreshes (session, profiles state).
      this.d.platform.emit('session:changed', await this.d.session.info())
    }
  }

  /** Quit: close the pool, stop the demo server cleanly, end the keychain helper. */
  async shutdown(): Promise<void> {
    await this.d.db.close().catch(() => {})
    await this.d.demo?.stop().catch((e) => log.warn('demo stop failed', e))
    this.d.secrets.dispose()
  }
}
