/**
 * The command line's connection: --database-url / NCHAT_DATABASE_URL (no keychain is
 * touched), or --profile NAME (the app's saved profiles, the password from the keychain),
 * and the operator identity for the audit trail.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { AppError } from '../core/errors'
import { registerSecret } from '../core/logger'
import { targetFromUrl, type ConnectionTarget, type Operator } from '../db/connection'
import { SECRET_KINDS } from '../../src-preload/contract'
import { ProfileStore, targetFor, viewFields } from '../profiles'
import { KeytarStore, type SecretStore } from '../secrets/keychain'

const ROOT = resolve(__dirname, '../..')

export interface Connection {
  target: ConnectionTarget | null
  operator: Operator | null
  secrets: SecretStore
  userDataDir: string
}

/** The app's user-data folder name: src-main/index.ts sets the same one for every build. */
const USER_DATA_FOLDER = 'nchat-console'

/** Where the app keeps its user data (profiles.json), per platform. */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const name = USER_DATA_FOLDER
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', name)
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), name)
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), name)
}

/** A keychain that is never opened: with --database-url nothing touches the OS keychain. */
const NO_KEYCHAIN: SecretStore = {
  async get() {
    throw new AppError('KEYCHAIN_UNAVAILABLE', 'The keychain is not used with --database-url; use --profile for saved profiles.')
  },
  async set() {
    throw new AppError('KEYCHAIN_UNAVAILABLE', 'The keychain is not used with --database-url; use --profile for saved profiles.')
  },
  async delete() {
    throw new AppError('KEYCHAIN_UNAVAILABLE', 'The keychain is not used with --database-url; use --profile for saved profiles.')
  },
  async probe() {
    throw new AppError('KEYCHAIN_UNAVAILABLE', 'The keychain is not used with --database-url; use --profile for saved profiles.')
  }
} as unknown as SecretStore

export function flagValue(flags: Map<string, string[]>, name: string): string | undefined {
  const v = flags.get(name)
  if (!v) return undefined
  if (v.length > 1) throw new AppError('INVALID_INPUT', `--${name} was given ${v.length} times; give it once.`)
  return v[0]
}

/** --dns-server, --check-ca-file and --check-https-port override the profile's reachability settings. */
function checkFlags(target: ConnectionTarget, flags: Map<string, string[]>): void {
  const dnsServer = flagValue(flags, 'dns-server')
  const caFile = flagValue(flags, 'check-ca-file')
  const port = flagValue(flags, 'check-https-port')
  if (dnsServer === undefined && caFile === undefined && port === undefined) return
  const httpsPort = port === undefined ? undefined : Number(port)
  if (httpsPort !== undefined && !(Number.isInteger(httpsPort) && httpsPort >= 1 && httpsPort <= 65535)) throw new AppError('INVALID_INPUT', '--check-https-port must be a port number (1-65535).')
  target.checks = {
    ...target.checks,
    ...(dnsServer !== undefined ? { dnsServer } : {}),
    ...(caFile !== undefined ? { caFile: resolve(caFile) } : {}),
    ...(httpsPort !== undefined ? { httpsPort } : {})
  }
}

export async function connect(flags: Map<string, string[]>, env: NodeJS.ProcessEnv): Promise<Connection> {
  const userDataDir = resolve(flagValue(flags, 'user-data-dir') ?? defaultUserDataDir(env))
  const url = flagValue(flags, 'database-url') ?? (env.NCHAT_DATABASE_URL || undefined)
  const profileName = flagValue(flags, 'profile')
  const name = flagValue(flags, 'operator-name') ?? (env.NCHAT_OPERATOR_NAME || undefined)
  const email = flagValue(flags, 'operator-email') ?? (env.NCHAT_OPERATOR_EMAIL || undefined)
  const given: Operator | null = name?.trim() ? { name: name.trim().slice(0, 100), email: (email ?? '').trim().slice(0, 200) } : null
  if (url && profileName) throw new AppError('INVALID_INPUT', 'Give either --database-url (or NCHAT_DATABASE_URL) or --profile, not both.')
  if (url) {
    try {
      const pw = new URL(url).password
      if (pw) registerSecret(decodeURIComponent(pw))
    } catch {
      /* targetFromUrl says what is wrong */
    }
    const target = targetFromUrl(url, {
      templateSchema: flagValue(flags, 'template-schema') ?? env.NCHAT_TEMPLATE_SCHEMA ?? 'nchat',
      tenantPrefix: flagValue(flags, 'tenant-prefix') ?? 'tenant_',
      pgBinDir: flagValue(flags, 'pg-bin-dir') ?? null,
      operator: given ?? { name: '', email: '' }
    })
    target.baseDomain = flagValue(flags, 'base-domain') ?? (env.NCHAT_BASE_DOMAIN || null)
    checkFlags(target, flags)
    return { target, operator: given, secrets: NO_KEYCHAIN, userDataDir }
  }
  const secrets = new KeytarStore({ workerPath: join(ROOT, 'src-main/secrets/keytar-worker.ts'), appRoot: ROOT })
  if (!profileName) return { target: null, operator: given, secrets, userDataDir }
  const store = new ProfileStore(userDataDir)
  await store.load()
  if (store.problem) throw new AppError('NOT_CONFIGURED', store.problem)
  const all = await store.list()
  const p = all.find((x) => x.id === profileName) ?? all.find((x) => x.name.toLowerCase() === profileName.toLowerCase())
  if (!p) {
    throw new AppError('NOT_FOUND', `No connection profile is named "${profileName}" in ${store.path}. Profiles: ${all.map((x) => x.name).join(', ') || 'none'}.`)
  }
  let stored: Record<string, string> = {}
  if (SECRET_KINDS.some((k) => p.secrets[k])) {
    const raw = await secrets.get(p.id)
    try {
      const o = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
      for (const k of SECRET_KINDS) if (typeof o[k] === 'string' && o[k]) stored[k] = o[k] as string
    } catch {
      stored = {}
    }
    if (p.secrets.password && !stored.password) {
      throw new AppError('KEYCHAIN_UNAVAILABLE', `The password of profile "${p.name}" is not in the system keychain. Open the app, edit the profile and enter the password again.`)
    }
  }
  const target = targetFor({ ...viewFields(p), id: p.id }, stored)
  if (flagValue(flags, 'pg-bin-dir')) target.pgBinDir = flagValue(flags, 'pg-bin-dir')!
  if (flagValue(flags, 'base-domain')) target.baseDomain = flagValue(flags, 'base-domain')!
  checkFlags(target, flags)
  const operator = given ?? (p.operatorName ? { name: p.operatorName, email: p.operatorEmail } : null)
  if (operator) target.operator = operator
  return { target, operator, secrets, userDataDir }
}

