import { z } from 'zod'
import type { SessionInfo } from './session'

/**
 * Connection profiles and the embedded demo. Secrets (database password, Stripe key,
 * Redis password, Stripe webhook signing secret) travel renderer → main only, when a person types them; main never
 * sends one back: the renderer learns only which secrets are stored.
 */

export const ENVIRONMENTS = ['production', 'staging', 'development', 'custom'] as const
export type Environment = (typeof ENVIRONMENTS)[number]
export const SSL_MODES = ['disable', 'require', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]
export const SECRET_KINDS = ['password', 'stripeKey', 'redisPassword', 'webhookSecret'] as const
export type SecretKind = (typeof SECRET_KINDS)[number]

/** Default frame colours; a profile may pick its own. */
export const ENVIRONMENT_COLORS: Record<Environment | 'demo', string> = {
  production: '#d93f3f',
  staging: '#e0a100',
  development: '#2f9e5a',
  custom: '#3f7fd9',
  demo: '#8a5cf6'
}

export const DEMO_PROFILE_ID = 'demo'

const Identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier')
const Path = z.string().max(1024)
const HexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #d93f3f')

/** The non-secret fields of a profile, as the form edits them. */
export const ProfileFields = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(100),
  environment: z.enum(ENVIRONMENTS),
  /** Shown instead of the environment for `custom` (e.g. "eu-west"). */
  environmentLabel: z.string().trim().max(40).default(''),
  color: HexColor.optional(),
  host: z.string().trim().min(1, 'is required').max(255),
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().trim().min(1, 'is required').max(63),
  user: z.string().trim().min(1, 'is required').max(63),
  sslMode: z.enum(SSL_MODES).default('require'),
  /** CA certificate file for verify-full. */
  caFile: Path.default(''),
  templateSchema: Identifier.default('nchat'),
  tenantPrefix: z.string().regex(/^[a-z_][a-z0-9_]{0,30}$/, 'must be lower-case letters, digits or _').default('tenant_'),
  /** Redis URL without credentials; a password typed into it is moved to the keychain. */
  redisUrl: z.string().trim().max(500).default(''),
  /** Folder holding pg_dump and pg_restore; empty = search PATH and usual places. */
  pgBinDir: Path.default(''),
  operatorName: z.string().trim().min(1, 'is required').max(100),
  operatorEmail: z.string().trim().email('must be an email address').max(200),
  /**
   * The app's base domain (NEXT_PUBLIC_BASE_DOMAIN): tenants live at <slug>.<base domain>.
   * Empty: the console uses NCHAT_BASE_DOMAIN, and reachability checks are not configured.
   */
  baseDomain: z
    .string()
    .trim()
    .toLowerCase()
    .max(253)
    .regex(/^$|^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, 'must be a domain name like nchat.example.com')
    .default(''),
  /** DNS server for reachability checks ("10.0.0.2" or "10.0.0.2:5353"); empty: the system's. */
  dnsServer: z
    .string()
    .trim()
    .max(100)
    .regex(/^$|^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:.]+\](:\d{1,5})?|[0-9a-fA-F:]*:[0-9a-fA-F:.]+)$/, 'must be an IP address, optionally with :port')
    .default(''),
  /** An extra CA certificate (PEM file) trusted by reachability checks, for private deployments. */
  checkCaFile: Path.default('')
})
export type ProfileFieldsInput = z.input<typeof ProfileFields>
export type ProfileFieldsParsed = z.output<typeof ProfileFields>

/** What to do with one stored secret. The value is write-only: it never comes back. */
export const SecretChange = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('keep') }),
  z.strictObject({ action: z.literal('replace'), value: z.string().min(1).max(4096) }),
  z.strictObject({ action: z.literal('delete') })
])
export type SecretChange = z.infer<typeof SecretChange>

export const SecretChanges = z
  .strictObject({
    password: SecretChange.optional(),
    stripeKey: SecretChange.optional(),
    redisPassword: SecretChange.optional(),
    /** The endpoint's Stripe signing secret (whsec_…), the same value as the app's STRIPE_WEBHOOK_SECRET. */
    webhookSecret: SecretChange.optional()
  })
  .default({})
export type SecretChanges = z.input<typeof SecretChanges>

export const ProfileSaveInput = z.strictObject({
  /** Absent: create a new profile. */
  id: z.string().uuid().optional(),
  fields: ProfileFields,
  secrets: SecretChanges
})
export type ProfileSaveInput = z.input<typeof ProfileSaveInput>

/** Test a draft before saving; with `id`, kept secrets are read from the keychain. */
export const ProfileTestInput = z.strictObject({
  id: z.string().uuid().optional(),
  fields: ProfileFields,
  secrets: SecretChanges
})
export type ProfileTestInput = z.input<typeof ProfileTestInput>

export const ProfileIdInput = z.strictObject({ id: z.string().uuid() })
export const ProfileActivateInput = z.strictObject({ id: z.union([z.string().uuid(), z.literal(DEMO_PROFILE_ID)]) })

export interface ProfileView {
  id: string
  name: string
  environment: Environment
  environmentLabel: string
  color: string
  host: string
  port: number
  database: string
  user: string
  sslMode: SslMode
  caFile: string
  templateSchema: string
  tenantPrefix: string
  redisUrl: string
  pgBinDir: string
  operatorName: string
  operatorEmail: string
  baseDomain: string
  dnsServer: string
  checkCaFile: string
  /** Which secrets the keychain holds for this profile (never the values). */
  secrets: Record<SecretKind, boolean>
  createdAt: string
  updatedAt: string
}

export type DemoState = 'absent' | 'stopped' | 'starting' | 'running' | 'failed'
export interface DemoStatus {
  state: DemoState
  seeded: boolean
  dataDir: string
  problem: string | null
}

export interface ProfilesState {
  profiles: ProfileView[]
  /** Profile id, `demo`, or null. */
  activeId: string | null
  /** The profiles file could not be read; it is left untouched until the person acts. */
  fileProblem: string | null
  /** Why the last profile could not be reopened at start-up (keychain, network...). */
  startupProblem: string | null
  /** NCHAT_DATABASE_URL is set: a developer override, profiles are not used. */
  envOverride: boolean
  /** The last profile (or the demo) is being reopened at start-up. */
  restoring: boolean
  demo: DemoStatus
}

export interface ConnectionTestReport {
  serverVersion: string
  serverVersionNum: number
  connectedAs: string
  database: string
  ssl: boolean
  /** readable: false when the ledger exists but the connected role may not read it. */
  migrations: { ledger: boolean; readable: boolean; applied: string[]; pending: string[]; upToDate: boolean }
  templateSchema: { name: string; exists: boolean; tableCount: number }
  tenantsTable: boolean
  role: {
    consoleRole: 'none' | 'support' | 'admin'
    superuser: boolean
    createRole: boolean
    canCreateInDatabase: boolean
    canReadTenants: boolean
    canUpdateTenants: boolean
    canDeleteTenants: boolean
    memberOf: string[]
    summary: string
  }
  pgDump: {
    found: boolean
    path: string | null
    version: string | null
    major: number | null
    compatible: boolean
    message: string
  }
  /** Plain-language warnings (nothing here stops saving). */
  warnings: string[]
}

export interface MigrationsApplied {
  applied: string[]
  report: ConnectionTestReport
}

export type { SessionInfo }
