import { quoteIdent } from '../core/ident'
import type { Queryable } from '../db/connection'
import { FEATURE_KEYS, PLANS, PLAN_IDS, type PlanId, type PlanLimits } from '../domain/plans'
import { templateDdl } from './template'

/**
 * Demo fleet generator. Everything it writes is a function of the seed (and `now`):
 * the same seed on two empty databases gives identical rows, ids included.
 *
 * Work is done in batches of tenants. Each batch is ONE multi-statement query,
 * which PostgreSQL runs as one implicit transaction: a failure rolls the whole
 * batch back, and it works on a pool as well as on a single client. Batches are
 * sized so the locks held by one transaction (122 per cloned schema, measured:
 * tables, TOAST tables, indexes, sequences, the schema) stay well inside the
 * server's shared lock table: 10 schemas = ~1,200 locks, against 6,400 slots with
 * the defaults (max_locks_per_transaction = 64, max_connections = 100). A 10,000
 * tenant fleet was seeded against a server with exactly those defaults.
 *
 * Values are inlined as SQL literals (simple protocol is what allows many
 * statements per round trip); every literal goes through `lit`, every name
 * through `quoteIdent`.
 */

export type SeedTier = 'rich' | 'medium' | 'small'

export interface SeedOptions {
  tenants: number
  seed: number
  templateSchema?: string
  tenantPrefix?: string
  now?: Date
  onProgress?: (done: number, total: number) => void
}

export interface SeedQuirks {
  demoTenantId: string | null
  missingSchemaTenantId: string | null
  upperCaseTenantId: string | null
  orphanSchema: string | null
  stripeMetadataOnlyTenantIds: string[]
  nullUsageTenantIds: string[]
  noUsageTenantIds: string[]
  noSettingsTenantIds: string[]
  /** Tenants whose names contain LIKE wildcards ("%", "_"), for literal-search checks. */
  wildcardNameTenantIds: string[]
}

export interface SeedSummary {
  seed: number
  tenants: number
  tier: SeedTier
  templateSchema: string
  templateCreated: boolean
  schemasCreated: number
  rows: Record<string, number>
  quirks: SeedQuirks
  elapsedMs: number
}

// ---------------------------------------------------------------------------
// Deterministic randomness

/** Mixes numbers into one 32-bit seed (so each tenant gets its own stream). */
function mix(...parts: number[]): number {
  let h = 0x811c9dc5
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0
    h ^= h >>> 15
  }
  return h >>> 0
}

/** sfc32: 128-bit state. */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    let t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    t = (t + d) | 0
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
}

/**
 * A deterministic stream keyed by any number of integers (seed, purpose, tenant...).
 * The state is 128 bits: with a 32-bit generator (mulberry32) every stream is a
 * shifted window of one 2^32 cycle, and at 10,000 tenants two tenants' streams
 * overlapped and produced the same uuids.
 */
export class Rng {
  private readonly next: () => number
  constructor(...key: number[]) {
    this.next = sfc32(mix(0x9e3779b9, ...key), mix(0x85ebca6b, ...key), mix(0xc2b2ae35, ...key), mix(0x27d4eb2f, ...key))
    for (let i = 0; i < 12; i++) this.next()
  }
  float(): number {
    return this.next()
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0)
    let r = this.next() * total
    for (const [v, w] of items) {
      r -= w
      if (r < 0) return v
    }
    return items[items.length - 1]![0]
  }
  /** Fisher-Yates on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const a = [...items]
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      ;[a[i], a[j]] = [a[j]!, a[i]!]
    }
    return a
  }
  hex(n: number): string {
    let s = ''
    for (let i = 0; i < n; i++) s += Math.floor(this.next() * 16).toString(16)
    return s
  }
  alnum(n: number): string {
    const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    let s = ''
    for (let i = 0; i < n; i++) s += a[Math.floor(this.next() * a.length)]
    return s
  }
  /** RFC 4122 version-4 uuid built from this stream (valid for zod's uuid()). */
  uuid(): string {
    const h = this.hex(32).split('')
    h[12] = '4'
    h[16] = '89ab'[parseInt(h[16]!, 16) & 3]!
    const s = h.join('')
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
  }
}

// ---------------------------------------------------------------------------
// SQL literals

type Lit = string | number | boolean | null | undefined | Date | Raw | object
class Raw {
  constructor(readonly sql: string) {}
}

function strLit(s: string): string {
  if (s.includes('\u0000')) throw new Error('NUL in generated text')
  const body = s.replace(/'/g, "''")
  // E'' with doubled backslashes is read the same whatever standard_conforming_strings says.
  return s.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`
}

export function lit(v: Lit): string {
  if (v === null || v === undefined) return 'NULL'
  if (v instanceof Raw) return v.sql
  if (v instanceof Date) return strLit(v.toISOString())
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('non-finite number in generated data')
    return String(v)
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'string') return strLit(v)
  return strLit(JSON.stringify(v))
}

function insert(table: string, cols: readonly string[], rows: readonly Lit[][]): string {
  if (rows.length === 0) return ''
  const values = rows.map((r) => `(${r.map(lit).join(',')})`).join(',\n')
  return `INSERT INTO ${table} (${cols.map(quoteIdent).join(',')}) VALUES\n${values};\n`
}

// ---------------------------------------------------------------------------
// Word lists

const ADJ = ['Blue', 'Bright', 'Silver', 'Rapid', 'Quiet', 'Golden', 'Northern', 'Clever', 'Bold', 'Green', 'Swift', 'Lunar', 'Solar', 'Crimson', 'Urban', 'Prime', 'Open', 'True', 'Iron', 'Coastal', 'Alpine', 'Atomic', 'Happy', 'Misty']
const NOUN = ['River', 'Falcon', 'Harbor', 'Summit', 'Pixel', 'Forge', 'Orbit', 'Maple', 'Beacon', 'Canyon', 'Cedar', 'Comet', 'Delta', 'Ember', 'Fjord', 'Grove', 'Heron', 'Lantern', 'Meadow', 'Nimbus', 'Otter', 'Quarry', 'Ridge', 'Willow']
const KIND = ['Labs', 'Studio', 'Works', 'Group', 'Co', 'Collective', 'Systems', 'Partners', 'Health', 'Logistics', 'Media', 'Foods', 'Robotics', 'Capital', 'Academy']
const FIRST = ['Ava', 'Ben', 'Chloe', 'Dmitri', 'Elena', 'Farah', 'Gabriel', 'Hana', 'Ivan', 'Jun', 'Kofi', 'Lena', 'Mateo', 'Nadia', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Yara', 'Zoe', "Seán", 'Renée', "D'Arcy"]
const LAST = ['Adams', 'Bauer', 'Chen', 'Diaz', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Müller', 'Nakamura', "O'Brien", 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Usman', 'Varga', 'Weber', 'Young', 'Zhang']
const CHANNELS = ['general', 'random', 'engineering', 'design', 'sales', 'support', 'ops', 'announcements', 'marketing', 'hiring', 'incidents', 'watercooler', 'product', 'finance']
const WORDS = ['deploy', 'review', 'meeting', 'lunch', 'release', 'bug', 'customer', 'roadmap', 'draft', 'budget', 'launch', 'metrics', 'coffee', 'sprint', 'demo', 'feedback', 'ticket', 'invoice', 'design', 'test']
const EMOJI = ['👍', '🎉', '❤️', '😂', '🚀', '👀', '✅', '🔥']
const FILES: readonly (readonly [string, string])[] = [
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['pdf', 'application/pdf'],
  ['zip', 'application/zip'],
  ['mp4', 'video/mp4'],
  ['txt', 'text/plain']
]
const AUDIT_ACTIONS = ['tenant.created', 'tenant.updated', 'user.invited', 'user.removed', 'settings.updated', 'billing.plan_changed', 'channel.created', 'domain.verified', 'tenant.suspended', 'tenant.reactivated']
const WEBHOOK_TYPES = ['invoice.paid', 'invoice.payment_failed', 'customer.subscription.updated', 'customer.subscription.deleted', 'checkout.session.completed', 'customer.subscription.trial_will_end']
const WEBHOOK_ERRORS = [
  'No tenant found for customer',
  'Signature verification failed: timestamp outside the tolerance zone',
  'duplicate key value violates unique constraint "tenants_stripe_subscription_id_key"',
  'Tenant metadata missing on subscription',
  'connect ETIMEDOUT 10.0.4.12:5432'
]
const TIMEZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney', 'Europe/London', 'Asia/Kolkata']

const STATUSES = ['active', 'trial', 'suspended', 'cancelled', 'pending'] as const
type Status = (typeof STATUSES)[number]

const DAY = 86_400_000

function slugify(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

function monthsBack(now: Date, k: number): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1))
  return d.toISOString().slice(0, 7)
}

function tierFor(n: number): SeedTier {
  return n <= 500 ? 'rich' : n <= 2_000 ? 'medium' : 'small'
}

// ---------------------------------------------------------------------------
// Tenant plans

type Special = 'demo' | 'missingSchema' | 'upperCase' | 'stripeMeta' | 'nullUsage' | 'noUsage' | 'noSettings' | 'percent' | 'underscore'

interface TenantSpec {
  index: number
  id: string
  name: string
  slug: string
  /** As stored in public.tenants.schema_name. */
  schemaName: string
  /** As the schema really exists in the catalog (null = not created). */
  realSchema: string | null
  /** true: CREATE SCHEMA only, no tables. */
  emptySchema: boolean
  status: Status
  plan: PlanId
  special: Special | null
}

/** Quirk tenants come first (in this order) when the fleet is big enough. */
const SPECIAL_ORDER: Special[] = ['demo', 'missingSchema', 'upperCase', 'stripeMeta', 'nullUsage', 'noUsage', 'noSettings', 'percent', 'underscore', 'stripeMeta', 'nullUsage', 'noUsage', 'noSettings']

interface Existing {
  /** Tenants already in the database: salts every stream, so --append with the same seed adds new ids. */
  count: number
  ids: Set<string>
  slugs: Set<string>
  schemas: Set<string>
  domains: Set<string>
}

function planTenants(opts: Required<Pick<SeedOptions, 'tenants' | 'seed'>> & { prefix: string }, existing: Existing): { specs: TenantSpec[]; orphan: string | null } {
  const rng = new Rng(opts.seed, 0x5eed, existing.count)
  const slugs = new Set([...existing.slugs].map((s) => s.toLowerCase()))
  const schemas = new Set([...existing.schemas].map((s) => s.toLowerCase()))
  const ids = new Set<string>(existing.ids)
  const specs: TenantSpec[] = []
  const useSpecials = opts.tenants >= 12
  const specials = useSpecials ? SPECIAL_ORDER.filter((s) => !(s === 'demo' && (slugs.has('demo') || schemas.has(`${opts.prefix}demo`)))) : []
  const uniqueSlug = (base: string): string => {
    let s = base.slice(0, 90) || 'tenant'
    for (let n = 2; slugs.has(s.toLowerCase()) || schemas.has(schemaFor(s).toLowerCase()); n++) s = `${base.slice(0, 90)}-${n}`
    return s
  }
  const schemaFor = (slug: string) => `${opts.prefix}${slug.replace(/-/g, '_')}`.slice(0, 63)
  for (let i = 0; i < opts.tenants; i++) {
    const special = specials[i] ?? null
    let id = rng.uuid()
    while (ids.has(id)) id = rng.uuid()
    ids.add(id)
    let name = `${rng.pick(ADJ)} ${rng.pick(NOUN)} ${rng.pick(KIND)}`
    // Statuses and plans: the first regular tenants cycle through all of them, then weighted.
    const regular = i - specials.length
    let status: Status =
      regular >= 0 && regular < STATUSES.length
        ? STATUSES[regular]!
        : rng.weighted<Status>([
            ['active', 55],
            ['trial', 15],
            ['suspended', 10],
            ['cancelled', 10],
            ['pending', 10]
          ])
    let plan: PlanId =
      regular >= 0 && regular < PLAN_IDS.length
        ? PLAN_IDS[regular]!
        : rng.weighted<PlanId>([
            ['free', 45],
            ['pro', 35],
            ['enterprise', 15],
            ['custom', 5]
          ])
    if (status === 'trial' || status === 'pending') plan = plan === 'custom' ? 'pro' : plan
    let slugBase = slugify(name)
    let emptySchema = false
    let realSchemaOverride: string | null | undefined
    let schemaOverride: string | undefined
    switch (special) {
      case 'demo':
        name = 'Demo Workspace'
        slugBase = 'demo'
        status = 'active'
        plan = 'free'
        emptySchema = true
        break
      case 'missingSchema':
        name = `${name} (schema lost)`
        status = 'suspended'
        realSchemaOverride = null
        break
      case 'upperCase':
        name = 'NorthWind Traders'
        slugBase = 'NorthWind'
        status = 'active'
        plan = 'pro'
        break
      case 'stripeMeta':
        plan = 'pro'
        status = 'active'
        break
      case 'percent':
        name = '100% Uptime Co'
        slugBase = 'uptime-100'
        break
      case 'underscore':
        name = 'Under_score Labs'
        slugBase = 'underscore-labs'
        break
      default:
        break
    }
    const slug = uniqueSlug(slugBase)
    slugs.add(slug.toLowerCase())
    const schemaName = schemaOverride ?? schemaFor(slug)
    schemas.add(schemaName.toLowerCase())
    // The app created schemas unquoted: PostgreSQL folded them to lower case.
    const realSchema = realSchemaOverride === undefined ? schemaName.toLowerCase() : realSchemaOverride
    specs.push({ index: i, id, name, slug, schemaName, realSchema, emptySchema, status, plan, special })
  }
  let orphan: string | null = null
  if (useSpecials) {
    do orphan = `${opts.prefix}orphan_${rng.hex(6)}`
    while (schemas.has(orphan))
  }
  return { specs, orphan }
}

// ---------------------------------------------------------------------------
// Rows

const TENANT_COLS = [
  'id', 'name', 'slug', 'custom_domain', 'status', 'owner_id', 'owner_email', 'owner_name', 'branding', 'schema_name',
  'billing_plan', 'billing_interval', 'stripe_customer_id', 'stripe_subscription_id', 'stripe_price_id',
  'current_period_start', 'current_period_end', 'cancel_at_period_end', 'last_payment_date', 'last_payment_amount',
  'last_payment_status', 'limits', 'features', 'metadata', 'created_at', 'updated_at', 'trial_ends_at', 'suspended_at', 'cancelled_at'
] as const
const USAGE_COLS = [
  'id', 'tenant_id', 'period', 'users_active', 'users_total', 'messages_sent', 'messages_total', 'files_count', 'storage_bytes',
  'calls_total_minutes', 'calls_total_count', 'api_calls_total', 'api_calls_by_endpoint', 'created_at', 'updated_at'
] as const
const SETTINGS_COLS = [
  'id', 'tenant_id', 'timezone', 'language', 'date_format', 'require_email_verification', 'require_two_factor',
  'session_timeout_minutes', 'password_policy', 'email_notifications', 'slack_notifications', 'webhook_notifications',
  'message_retention_days', 'file_retention_days', 'audit_log_retention_days', 'created_at', 'updated_at'
] as const
const INVITE_COLS = ['id', 'tenant_id', 'email', 'role', 'invited_by', 'token', 'expires_at', 'accepted_at', 'created_at'] as const
const AUDIT_COLS = ['id', 'tenant_id', 'user_id', 'action', 'resource', 'resource_id', 'details', 'ip_address', 'user_agent', 'created_at'] as const
const WEBHOOK_COLS = ['id', 'stripe_event_id', 'event_type', 'tenant_id', 'payload', 'processed', 'error', 'created_at', 'processed_at'] as const

interface Volumes {
  users: [number, number]
  channels: [number, number]
  messages: [number, number]
  threads: [number, number]
  notifications: [number, number]
  invites: [number, number]
  audit: [number, number]
  publicInvites: [number, number]
  publicAudit: [number, number]
  webhooks: [number, number]
  batch: number
}

const VOLUMES: Record<SeedTier, Volumes> = {
  rich: { users: [5, 30], channels: [2, 8], messages: [20, 120], threads: [1, 6], notifications: [5, 30], invites: [0, 4], audit: [3, 10], publicInvites: [0, 5], publicAudit: [3, 15], webhooks: [1, 6], batch: 10 },
  medium: { users: [3, 10], channels: [2, 4], messages: [8, 30], threads: [1, 3], notifications: [2, 8], invites: [0, 2], audit: [1, 4], publicInvites: [0, 2], publicAudit: [1, 5], webhooks: [1, 3], batch: 10 },
  small: { users: [2, 3], channels: [1, 2], messages: [3, 5], threads: [1, 1], notifications: [1, 2], invites: [1, 1], audit: [1, 1], publicInvites: [0, 1], publicAudit: [1, 2], webhooks: [0, 2], batch: 10 }
}

class RowCounter {
  readonly rows: Record<string, number> = {}
  add(table: string, n: number): void {
    this.rows[table] = (this.rows[table] ?? 0) + n
  }
}

function limitsFor(plan: PlanId, rng: Rng): PlanLimits {
  const base = { ...PLANS[plan].limits }
  if (plan === 'custom') {
    // Negotiated contracts: some custom tenants have real caps.
    if (rng.chance(0.5)) base.maxUsers = rng.pick([250, 500, 2_000])
    if (rng.chance(0.5)) base.maxStorageGB = rng.pick([500, 1_000])
  }
  return base
}

function tenantSql(spec: TenantSpec, seed: number, salt: number, tier: SeedTier, now: Date, out: RowCounter, existingDomains: Set<string>): { publicSql: string[]; schemaSql: string } {
  const rng = new Rng(seed, 0x7e4a47, salt, spec.index)
  const v = VOLUMES[tier]
  const nowMs = now.getTime()
  const ownerFirst = rng.pick(FIRST)
  const ownerLast = rng.pick(LAST)
  const mailDomain = `${spec.slug.toLowerCase()}.example.com`
  const ownerEmailLocal = slugify(`${ownerFirst}.${ownerLast}`).replace(/-/g, '.') || 'owner'
  const ownerEmail = spec.special === 'upperCase' ? `Ops.Team@NorthWind.example` : `${ownerEmailLocal}@${mailDomain}`
  let customDomain: string | null = null
  if (spec.special === 'upperCase' || (spec.special !== 'demo' && rng.chance(0.15))) {
    const d = spec.special === 'upperCase' ? 'chat.northwind-traders.example' : `chat.${spec.slug.toLowerCase()}.example.org`
    if (!existingDomains.has(d)) {
      customDomain = d
      existingDomains.add(d)
    }
  }
  const ageDays = spec.special === 'demo' ? 900 : rng.int(20, 1_000)
  const createdAt = new Date(nowMs - ageDays * DAY - rng.int(0, DAY - 1))
  const updatedAt = new Date(Math.min(nowMs, createdAt.getTime() + rng.int(0, ageDays) * DAY))
  const interval = rng.chance(0.3) ? 'yearly' : 'monthly'
  const paid = spec.plan === 'pro' || spec.plan === 'enterprise'
  const hasStripe = paid && spec.status !== 'pending' && spec.special !== 'demo'
  const cus = hasStripe ? `cus_${rng.alnum(14)}` : null
  const sub = hasStripe ? `sub_${rng.alnum(14)}` : null
  const price = hasStripe ? `price_${rng.alnum(14)}` : null
  const periodStart = hasStripe ? new Date(nowMs - rng.int(1, 28) * DAY) : null
  const periodEnd = periodStart ? new Date(periodStart.getTime() + (interval === 'yearly' ? 365 : 30) * DAY) : null
  const paymentStatus = hasStripe ? rng.weighted<'succeeded' | 'failed' | 'pending'>([['succeeded', 85], ['failed', 10], ['pending', 5]]) : null
  const amount = hasStripe ? (interval === 'yearly' ? PLANS[spec.plan].priceYearly : PLANS[spec.plan].priceMonthly) : null
  let trialEndsAt: Date | null = null
  if (spec.status === 'trial') {
    // Most trials end within two weeks, a third within three days, some already lapsed.
    const r = rng.float()
    trialEndsAt = new Date(nowMs + (r < 0.35 ? rng.int(2, 72) * 3_600_000 : r < 0.85 ? rng.int(4, 14) * DAY : -rng.int(1, 10) * DAY))
  } else if (spec.status === 'active' && rng.chance(0.3)) {
    trialEndsAt = new Date(createdAt.getTime() + 14 * DAY)
  }
  const suspendedAt = spec.status === 'suspended' ? new Date(nowMs - rng.int(1, 60) * DAY) : null
  const cancelledAt = spec.status === 'cancelled' ? new Date(nowMs - rng.int(1, 120) * DAY) : null
  const metadata: Record<string, unknown> = { source: rng.pick(['signup', 'sales', 'import', 'partner']) }
  let row: Record<(typeof TENANT_COLS)[number], Lit> = {
    id: spec.id,
    name: spec.name,
    slug: spec.slug,
    custom_domain: customDomain,
    status: spec.status,
    owner_id: rng.uuid(),
    owner_email: ownerEmail,
    owner_name: `${ownerFirst} ${ownerLast}`,
    branding: {
      appName: spec.name,
      logoUrl: `https://cdn.example.com/${spec.slug.toLowerCase()}/logo.png`,
      faviconUrl: `https://cdn.example.com/${spec.slug.toLowerCase()}/favicon.ico`,
      primaryColor: `#${rng.hex(6)}`,
      secondaryColor: `#${rng.hex(6)}`,
      customCSS: rng.chance(0.1) ? '.sidebar { font-weight: 600; }' : ''
    },
    schema_name: spec.schemaName,
    billing_plan: spec.plan,
    billing_interval: interval,
    stripe_customer_id: cus,
    stripe_subscription_id: sub,
    stripe_price_id: price,
    current_period_start: periodStart,
    current_period_end: periodEnd,
    cancel_at_period_end: spec.status === 'cancelled' ? true : hasStripe && rng.chance(0.05),
    last_payment_date: hasStripe ? periodStart : null,
    last_payment_amount: amount,
    last_payment_status: paymentStatus,
    limits: limitsFor(spec.plan, rng),
    features: PLANS[spec.plan].features,
    metadata,
    created_at: createdAt,
    updated_at: updatedAt,
    trial_ends_at: trialEndsAt,
    suspended_at: suspendedAt,
    cancelled_at: cancelledAt
  }
  if (spec.special === 'stripeMeta') {
    // The webhook handler wrote billing state into metadata only; typed columns are stale.
    const metaCus = `cus_${rng.alnum(14)}`
    const metaSub = `sub_${rng.alnum(14)}`
    row = {
      ...row,
      billing_plan: 'free',
      stripe_customer_id: null,
      stripe_subscription_id: null,
      stripe_price_id: null,
      last_payment_status: 'failed',
      last_payment_amount: 0,
      last_payment_date: new Date(nowMs - 200 * DAY),
      limits: PLANS.free.limits,
      features: PLANS.free.features,
      metadata: {
        ...metadata,
        stripeCustomerId: metaCus,
        stripeSubscriptionId: metaSub,
        stripeSubscriptionStatus: 'active',
        billingPlan: 'pro',
        billingInterval: interval,
        lastPaymentStatus: 'succeeded',
        lastPaymentAmount: PLANS.pro.priceMonthly,
        lastPaymentDate: new Date(nowMs - 3 * DAY).toISOString()
      }
    }
  }
  if (spec.special === 'demo') row = { ...row, metadata: { ...metadata, demo: true, createdBy: 'app' } }
  const publicSql: string[] = []
  publicSql.push(insert('public.tenants', TENANT_COLS, [TENANT_COLS.map((c) => row[c])]))
  out.add('tenants', 1)

  // Usage: 12 to 24 months up to the current one, unless the app never wrote any.
  const limits = row.limits as PlanLimits
  if (spec.special !== 'noUsage' && spec.special !== 'demo') {
    const months = rng.int(12, 24)
    const usageRows: Lit[][] = []
    const capUsers = limits.maxUsers > 0 ? limits.maxUsers : 400
    const capApi = limits.maxApiCallsPerMonth > 0 ? limits.maxApiCallsPerMonth : 400_000
    const capStorage = (limits.maxStorageGB > 0 ? limits.maxStorageGB : 500) * 1024 ** 3
    // Some tenants run close to or over their limits.
    const pressure = rng.weighted<number>([[0.3, 50], [0.7, 30], [0.95, 12], [1.15, 8]])
    for (let k = months - 1; k >= 0; k--) {
      const growth = (months - k) / months
      const usersTotal = Math.max(1, Math.round(capUsers * pressure * growth * (0.85 + rng.float() * 0.15)))
      const nullRow = spec.special === 'nullUsage' && (k === 0 || rng.chance(0.4))
      const periodDate = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1))
      const messagesSent = Math.round(usersTotal * rng.int(20, 200))
      usageRows.push([
        rng.uuid(),
        spec.id,
        monthsBack(now, k),
        nullRow ? null : Math.round(usersTotal * (0.4 + rng.float() * 0.5)),
        nullRow ? null : usersTotal,
        nullRow ? null : messagesSent,
        nullRow ? null : messagesSent * (months - k),
        nullRow ? null : Math.round(messagesSent * 0.05),
        nullRow ? null : Math.round(capStorage * pressure * growth * (0.8 + rng.float() * 0.2)),
        nullRow ? null : rng.int(0, usersTotal * 30),
        nullRow ? null : rng.int(0, usersTotal * 4),
        nullRow ? null : Math.round(capApi * pressure * (0.7 + rng.float() * 0.3)),
        nullRow ? null : { '/api/messages': rng.int(0, 5_000), '/api/channels': rng.int(0, 800), '/api/users': rng.int(0, 400) },
        periodDate,
        new Date(Math.min(nowMs, periodDate.getTime() + 27 * DAY))
      ])
    }
    publicSql.push(insert('public.tenant_usage', USAGE_COLS, usageRows))
    out.add('tenant_usage', usageRows.length)
  }

  if (spec.special !== 'noSettings') {
    publicSql.push(
      insert('public.tenant_settings', SETTINGS_COLS, [
        [
          rng.uuid(),
          spec.id,
          rng.pick(TIMEZONES),
          rng.pick(['en', 'en', 'de', 'fr', 'es', 'ja']),
          rng.pick(['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY']),
          rng.chance(0.8),
          spec.plan === 'enterprise' ? rng.chance(0.7) : rng.chance(0.1),
          rng.pick([60, 240, 480, 480, 1_440]),
          { minLength: rng.pick([8, 10, 12]), requireNumbers: rng.chance(0.7), requireSymbols: rng.chance(0.4) },
          rng.chance(0.9),
          rng.chance(0.2),
          rng.chance(0.15),
          rng.pick([0, 0, 90, 365]),
          rng.pick([0, 0, 180, 730]),
          rng.pick([90, 90, 365]),
          createdAt,
          updatedAt
        ]
      ])
    )
    out.add('tenant_settings', 1)
  }

  const inviteRows: Lit[][] = []
  for (let k = rng.int(...v.publicInvites); k > 0; k--) {
    const created = new Date(nowMs - rng.int(0, 60) * DAY)
    const expired = rng.chance(0.35)
    const accepted = !expired && rng.chance(0.4)
    inviteRows.push([
      rng.uuid(),
      spec.id,
      `${slugify(rng.pick(FIRST))}.${slugify(rng.pick(LAST))}${rng.int(1, 99)}@${mailDomain}`,
      rng.weighted([['member', 80], ['admin', 18], ['owner', 2]] as const),
      rng.uuid(),
      rng.hex(40),
      expired ? new Date(nowMs - rng.int(1, 30) * DAY) : new Date(created.getTime() + 7 * DAY + DAY),
      accepted ? new Date(created.getTime() + rng.int(1, 5) * 3_600_000) : null,
      created
    ])
  }
  publicSql.push(insert('public.tenant_invitations', INVITE_COLS, inviteRows))
  out.add('tenant_invitations', inviteRows.length)

  const auditRows: Lit[][] = []
  const auditN = rng.int(...v.publicAudit)
  for (let k = 0; k < auditN; k++) {
    const action = k === 0 ? 'tenant.created' : rng.pick(AUDIT_ACTIONS)
    auditRows.push([
      rng.uuid(),
      spec.id,
      k === 0 || rng.chance(0.2) ? null : rng.uuid(),
      action,
      action.split('.')[0]!,
      rng.chance(0.5) ? rng.uuid() : null,
      { via: rng.pick(['web', 'api', 'system']), note: rng.pick(WORDS) },
      `203.0.113.${rng.int(1, 254)}`,
      rng.pick(['Mozilla/5.0 (X11; Linux x86_64)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)', 'nchat-worker/1.4', null]),
      k === 0 ? createdAt : new Date(createdAt.getTime() + rng.float() * (nowMs - createdAt.getTime()))
    ])
  }
  publicSql.push(insert('public.tenant_audit_logs', AUDIT_COLS, auditRows))
  out.add('tenant_audit_logs', auditRows.length)

  const hookRows: Lit[][] = []
  if (hasStripe || spec.special === 'stripeMeta') {
    for (let k = rng.int(...v.webhooks); k > 0; k--) {
      const type = rng.pick(WEBHOOK_TYPES)
      const failed = rng.chance(0.12)
      const created = new Date(nowMs - rng.int(0, 45 * 24) * 3_600_000)
      const evt = `evt_${rng.alnum(24)}`
      hookRows.push([
        rng.uuid(),
        evt,
        type,
        spec.id,
        { id: evt, type, created: Math.floor(created.getTime() / 1000), data: { object: { customer: cus ?? (row.metadata as { stripeCustomerId?: string }).stripeCustomerId ?? null, subscription: sub } } },
        !failed,
        failed ? rng.pick(WEBHOOK_ERRORS) : null,
        created,
        failed ? null : new Date(created.getTime() + rng.int(50, 4_000))
      ])
    }
  }
  publicSql.push(insert('public.stripe_webhooks', WEBHOOK_COLS, hookRows))
  out.add('stripe_webhooks', hookRows.length)

  // The tenant's own schema.
  let schemaSql = ''
  if (spec.realSchema) {
    if (spec.emptySchema) schemaSql = `CREATE SCHEMA ${quoteIdent(spec.realSchema)};\n`
    else schemaSql = templateDdl(spec.realSchema) + chatRows(spec.realSchema, rng, v, createdAt, now, spec.slug.toLowerCase(), out)
  }
  return { publicSql, schemaSql }
}

/** Chat data inside one tenant schema. Identity ids are 1..n in insert order (fresh tables). */
function chatRows(schema: string, rng: Rng, v: Volumes, since: Date, now: Date, slug: string, out: RowCounter): string {
  const s = quoteIdent(schema)
  const t = (name: string) => `${s}.${quoteIdent(name)}`
  const span = Math.max(DAY, now.getTime() - since.getTime())
  const at = () => new Date(since.getTime() + Math.floor(rng.float() * span))
  let sql = ''

  const nUsers = rng.int(...v.users)
  const users: Lit[][] = []
  for (let i = 1; i <= nUsers; i++) {
    const f = rng.pick(FIRST)
    const l = rng.pick(LAST)
    const created = at()
    users.push([
      `${slugify(f)}.${slugify(l)}.${i}@${slug}.example.com`,
      `${f} ${l}`,
      i === 1 ? 'owner' : rng.weighted([['member', 80], ['admin', 12], ['guest', 8]] as const),
      rng.chance(0.6) ? `https://cdn.example.com/avatars/${rng.hex(12)}.png` : null,
      rng.chance(0.92),
      rng.chance(0.8) ? at() : null,
      created,
      created
    ])
  }
  sql += insert(t('users'), ['email', 'display_name', 'role', 'avatar_url', 'is_active', 'last_seen_at', 'created_at', 'updated_at'], users)

  const nChannels = Math.min(rng.int(...v.channels), CHANNELS.length)
  const channelNames = rng.shuffle(CHANNELS).slice(0, nChannels)
  if (!channelNames.includes('general')) channelNames[0] = 'general'
  const channels = channelNames.map((name) => {
    const c = at()
    return [name, rng.chance(0.5) ? `All about ${name}` : null, rng.chance(0.2), rng.int(1, nUsers), c, c] as Lit[]
  })
  sql += insert(t('channels'), ['name', 'topic', 'is_private', 'created_by', 'created_at', 'updated_at'], channels)

  const members: Lit[][] = []
  for (let c = 1; c <= nChannels; c++) {
    for (let u = 1; u <= nUsers; u++) if (c === 1 || rng.chance(0.5)) members.push([c, u, u === 1 ? 'owner' : 'member', at()])
  }
  sql += insert(t('channel_members'), ['channel_id', 'user_id', 'role', 'joined_at'], members)

  const nThreads = rng.int(...v.threads)
  const threads: Lit[][] = []
  for (let i = 0; i < nThreads; i++) threads.push([rng.int(1, nChannels), `${rng.pick(WORDS)} ${rng.pick(WORDS)}`, at()])
  sql += insert(t('threads'), ['channel_id', 'title', 'created_at'], threads)

  const nMessages = rng.int(...v.messages)
  const messages: Lit[][] = []
  for (let i = 0; i < nMessages; i++) {
    const created = at()
    const words = Array.from({ length: rng.int(3, 14) }, () => rng.pick(WORDS)).join(' ')
    messages.push([
      rng.int(1, nChannels),
      nThreads && rng.chance(0.15) ? rng.int(1, nThreads) : null,
      rng.chance(0.97) ? rng.int(1, nUsers) : null,
      words.charAt(0).toUpperCase() + words.slice(1) + rng.pick(['.', '!', '?', ' 🙂', '']),
      rng.chance(0.08) ? created : null,
      created,
      created
    ])
  }
  sql += insert(t('messages'), ['channel_id', 'thread_id', 'user_id', 'body', 'edited_at', 'created_at', 'updated_at'], messages)

  const reactions: Lit[][] = []
  const seen = new Set<string>()
  const nReactions = Math.max(1, Math.round(nMessages * 0.3))
  for (let i = 0; i < nReactions; i++) {
    const m = rng.int(1, nMessages)
    const u = rng.int(1, nUsers)
    const e = rng.pick(EMOJI)
    const key = `${m}:${u}:${e}`
    if (seen.has(key)) continue
    seen.add(key)
    reactions.push([m, u, e, at()])
  }
  sql += insert(t('reactions'), ['message_id', 'user_id', 'emoji', 'created_at'], reactions)

  const attachments: Lit[][] = []
  const nAttachments = Math.max(1, Math.round(nMessages * 0.1))
  for (let i = 0; i < nAttachments; i++) {
    const [ext, type] = rng.pick(FILES)
    const size = ext === 'mp4' ? rng.int(5_000_000, 900_000_000) : ext === 'zip' ? rng.int(100_000, 200_000_000) : rng.int(2_000, 8_000_000)
    attachments.push([rng.int(1, nMessages), `${rng.pick(WORDS)}-${rng.int(1, 999)}.${ext}`, type, size, `${slug}/${rng.hex(24)}.${ext}`, at()])
  }
  sql += insert(t('attachments'), ['message_id', 'file_name', 'content_type', 'size_bytes', 'storage_key', 'created_at'], attachments)

  const invites: Lit[][] = []
  for (let i = rng.int(...v.invites); i > 0; i--) {
    const created = at()
    invites.push([
      `${slugify(rng.pick(FIRST))}${rng.int(1, 999)}@example.net`,
      rng.int(1, nUsers),
      rng.hex(20),
      new Date(created.getTime() + 7 * DAY),
      rng.chance(0.4) ? new Date(created.getTime() + DAY) : null
    ])
  }
  sql += insert(t('invites'), ['email', 'invited_by', 'code', 'expires_at', 'accepted_at'], invites)

  const notifications: Lit[][] = []
  for (let i = rng.int(...v.notifications); i > 0; i--) {
    const created = at()
    notifications.push([
      rng.int(1, nUsers),
      rng.pick(['mention', 'reply', 'reaction', 'invite', 'system']),
      { messageId: rng.int(1, nMessages) },
      rng.chance(0.6) ? new Date(created.getTime() + 3_600_000) : null,
      created
    ])
  }
  sql += insert(t('notifications'), ['user_id', 'kind', 'payload', 'read_at', 'created_at'], notifications)

  const audit: Lit[][] = []
  for (let i = rng.int(...v.audit); i > 0; i--) {
    audit.push([rng.chance(0.9) ? rng.int(1, nUsers) : null, rng.pick(['login', 'logout', 'channel.create', 'message.delete', 'user.invite', 'settings.change']), { ip: `198.51.100.${rng.int(1, 254)}` }, at()])
  }
  sql += insert(t('audit_log'), ['user_id', 'action', 'details', 'created_at'], audit)

  out.add('schema.users', users.length)
  out.add('schema.channels', channels.length)
  out.add('schema.channel_members', members.length)
  out.add('schema.threads', threads.length)
  out.add('schema.messages', messages.length)
  out.add('schema.reactions', reactions.length)
  out.add('schema.attachments', attachments.length)
  out.add('schema.invites', invites.length)
  out.add('schema.notifications', notifications.length)
  out.add('schema.audit_log', audit.length)
  return sql
}

// ---------------------------------------------------------------------------

async function readExisting(db: Queryable, prefix: string): Promise<Existing> {
  const slugs = await db.query<{ id: string; slug: string; schema_name: string; custom_domain: string | null }>(
    'SELECT id::text AS id, slug, schema_name, custom_domain FROM public.tenants'
  )
  const schemas = await db.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [prefix.toLowerCase()])
  return {
    count: slugs.rows.length,
    ids: new Set(slugs.rows.map((r) => r.id)),
    slugs: new Set(slugs.rows.map((r) => r.slug)),
    schemas: new Set([...slugs.rows.map((r) => r.schema_name), ...schemas.rows.map((r) => r.nspname)]),
    domains: new Set(slugs.rows.map((r) => r.custom_domain).filter((d): d is string => Boolean(d)))
  }
}

async function requireAppTables(db: Queryable): Promise<void> {
  const need = ['tenants', 'tenant_usage', 'tenant_settings', 'tenant_invitations', 'tenant_audit_logs', 'stripe_webhooks']
  const r = await db.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY($1)`,
    [need]
  )
  const have = new Set(r.rows.map((x) => x.relname))
  const missing = need.filter((t) => !have.has(t))
  if (missing.length) {
    throw new Error(
      `The demo generator writes the app's "030" layout, but this database has no public.${missing.join(', public.')}. Run the console migrations on an empty database first.`
    )
  }
}

/**
 * Creates (or adds to) a demo fleet. Safe on an empty migrated database; with
 * existing tenants it avoids their slugs, schemas and domains.
 *
 * `db` may be a client or a pool: every batch is a single query. For thousands of
 * tenants pass a pool that recycles its sessions (pg's `maxUses`): one session that
 * creates tens of thousands of relations gets several times slower per statement.
 */
export async function seedFleet(db: Queryable, opts: SeedOptions): Promise<SeedSummary> {
  const started = Date.now()
  if (!Number.isInteger(opts.tenants) || opts.tenants < 0 || opts.tenants > 100_000) throw new Error('tenants must be an integer between 0 and 100000')
  if (!Number.isInteger(opts.seed)) throw new Error('seed must be an integer')
  const templateSchema = opts.templateSchema ?? 'nchat'
  const prefix = opts.tenantPrefix ?? 'tenant_'
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new Error('tenantPrefix must be lower-case letters, digits and underscores')
  const now = opts.now ?? new Date()
  const tier = tierFor(opts.tenants)
  await requireAppTables(db)

  let templateCreated = false
  const tpl = await db.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present', [templateSchema])
  if (!tpl.rows[0]?.present) {
    await db.query(templateDdl(templateSchema))
    templateCreated = true
  }

  const existing = await readExisting(db, prefix)
  const { specs, orphan } = planTenants({ tenants: opts.tenants, seed: opts.seed, prefix }, existing)
  const counter = new RowCounter()
  const batchSize = VOLUMES[tier].batch
  let schemasCreated = 0
  opts.onProgress?.(0, specs.length)
  for (let start = 0; start < specs.length; start += batchSize) {
    const batch = specs.slice(start, start + batchSize)
    let publicSql = ''
    let schemaSql = ''
    for (const spec of batch) {
      const part = tenantSql(spec, opts.seed, existing.count, tier, now, counter, existing.domains)
      publicSql += part.publicSql.join('')
      schemaSql += part.schemaSql
      if (spec.realSchema) schemasCreated++
    }
    if (start === 0 && orphan) {
      // A schema left behind by a failed delete: template tables and data, no tenant row.
      const rng = new Rng(opts.seed, 0x0e9a7, existing.count)
      schemaSql += templateDdl(orphan) + chatRows(orphan, rng, VOLUMES.small, new Date(now.getTime() - 400 * DAY), now, 'orphan', new RowCounter())
      schemasCreated++
    }
    await db.query(publicSql + schemaSql)
    opts.onProgress?.(Math.min(specs.length, start + batch.length), specs.length)
  }

  const ids = (s: Special) => specs.filter((x) => x.special === s).map((x) => x.id)
  return {
    seed: opts.seed,
    tenants: specs.length,
    tier,
    templateSchema,
    templateCreated,
    schemasCreated,
    rows: counter.rows,
    quirks: {
      demoTenantId: ids('demo')[0] ?? null,
      missingSchemaTenantId: ids('missingSchema')[0] ?? null,
      upperCaseTenantId: ids('upperCase')[0] ?? null,
      orphanSchema: orphan,
      stripeMetadataOnlyTenantIds: ids('stripeMeta'),
      nullUsageTenantIds: ids('nullUsage'),
      noUsageTenantIds: [...ids('noUsage'), ...ids('demo')],
      noSettingsTenantIds: ids('noSettings'),
      wildcardNameTenantIds: [...ids('percent'), ...ids('underscore')]
    },
    elapsedMs: Date.now() - started
  }
}

/** Feature flag names, re-exported for tests that check a plan's features. */
export { FEATURE_KEYS }
