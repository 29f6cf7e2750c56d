import { quoteIdent } from '../core/ident'
import type { Queryable } from '../db/connection'
import { FEATURE_KEYS, PLANS, PLAN_IDS, type PlanId, type PlanLimits } from '../domain/plans'
import { RowCounter, chatRows, type Volumes } from './chat'
import { Rng } from './random'
import { AUDIT_COLS, INVITE_COLS, SETTINGS_COLS, TENANT_COLS, USAGE_COLS, WEBHOOK_COLS, insert, lit, type Lit } from './sql'
import { APP_TABLES, templateDdl, type TemplateTables } from './template'
import { ADJ, AUDIT_ACTIONS, FIRST, KIND, LAST, NOUN, TIMEZONES, WEBHOOK_ERRORS, WEBHOOK_TYPES, WORDS, monthsBack, slugify } from './words'

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
  /** The template's table names: the app's (default) or others (tests of find-by-shape). */
  templateTables?: TemplateTables
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

const STATUSES = ['active', 'trial', 'suspended', 'cancelled', 'pending'] as const
type Status = (typeof STATUSES)[number]

const DAY = 86_400_000

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

const VOLUMES: Record<SeedTier, Volumes> = {
  rich: { users: [5, 30], channels: [2, 8], messages: [20, 120], threads: [1, 6], notifications: [5, 30], invites: [0, 4], audit: [3, 10], publicInvites: [0, 5], publicAudit: [3, 15], webhooks: [1, 6], batch: 10 },
  medium: { users: [3, 10], channels: [2, 4], messages: [8, 30], threads: [1, 3], notifications: [2, 8], invites: [0, 2], audit: [1, 4], publicInvites: [0, 2], publicAudit: [1, 5], webhooks: [1, 3], batch: 10 },
  small: { users: [2, 3], channels: [1, 2], messages: [3, 5], threads: [1, 1], notifications: [1, 2], invites: [1, 1], audit: [1, 1], publicInvites: [0, 1], publicAudit: [1, 2], webhooks: [0, 2], batch: 10 }
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

function tenantSql(
  spec: TenantSpec,
  seed: number,
  salt: number,
  tier: SeedTier,
  now: Date,
  out: RowCounter,
  existingDomains: Set<string>,
  tables: TemplateTables
): { publicSql: string[]; schemaSql: string } {
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
    else schemaSql = templateDdl(spec.realSchema, tables) + chatRows(spec.realSchema, rng, v, createdAt, now, spec.slug.toLowerCase(), out, tables)
  }
  return { publicSql, schemaSql }
}

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
  const tables = opts.templateTables ?? APP_TABLES
  const tier = tierFor(opts.tenants)
  await requireAppTables(db)

  let templateCreated = false
  const tpl = await db.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present', [templateSchema])
  if (!tpl.rows[0]?.present) {
    await db.query(templateDdl(templateSchema, tables))
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
      const part = tenantSql(spec, opts.seed, existing.count, tier, now, counter, existing.domains, tables)
      publicSql += part.publicSql.join('')
      schemaSql += part.schemaSql
      if (spec.realSchema) schemasCreated++
    }
    if (start === 0 && orphan) {
      // A schema left behind by a failed delete: template tables and data, no tenant row.
      const rng = new Rng(opts.seed, 0x0e9a7, existing.count)
      schemaSql += templateDdl(orphan, tables) + chatRows(orphan, rng, VOLUMES.small, new Date(now.getTime() - 400 * DAY), now, 'orphan', new RowCounter(), tables)
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
export { FEATURE_KEYS, Rng, lit }
