import type {
  BulkOutcome,
  CreateOutcome,
  DeletePreview,
  EditableTenant,
  HardDeleteOutcome,
  LifecycleAction,
  LifecycleCapabilities,
  LifecycleOutcome,
  ParsedInputOf,
  ActionPermission,
  BulkItemResult
} from '../../src-preload/contract'
import { SUSPEND_REASONS, SUSPEND_REASON_LABELS, checkAssetUrl, checkHostname, checkSlug } from '../../src-preload/contract'
import { FEATURE_KEYS, PLANS, isPlanId } from '../domain/plans'
import { AppError, toAppError } from '../core/errors'
import { assertIdentifier, isProtectedSchema, quoteIdent } from '../core/ident'
import { log } from '../core/logger'
import type { ConnectionManager, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import { ADMIN_ROLE, SUPPORT_ROLE, type SessionService } from '../session'
import { evictTenantKeys, tenantCacheKeys } from './cache'
import { readShape } from './catalog'
import { ClonePlanCache, executePlan, stripSchema } from './cloner'
import { compareShapes } from './parity'
import { actorFor, lockTenant, readTenant, writeOperatorLog, writeTenantAudit, type Actor } from './repository'

export interface LifecycleOptions {
  /** The app's base domain (NEXT_PUBLIC_BASE_DOMAIN); custom domains may not be under it. */
  baseDomain?: string
  /** The app's ALLOWED_CUSTOM_DOMAINS, when it uses one. */
  allowedDomains?: string[] | null
  /** Days a cancelled tenant is kept before it may be hard-deleted. */
  graceDays?: number
  trialDays?: number
}

type Row = Record<string, unknown>
type TransitionKind = 'suspend' | 'reactivate' | 'cancel' | 'restore'

const TRANSITIONS: Record<TransitionKind, { to: string; from: string[]; action: string; verb: string }> = {
  suspend: { to: 'suspended', from: ['active', 'trial', 'pending'], action: 'tenant.suspend', verb: 'suspended' },
  reactivate: { to: 'active', from: ['suspended'], action: 'tenant.reactivate', verb: 'reactivated' },
  cancel: { to: 'cancelled', from: ['active', 'trial', 'pending', 'suspended'], action: 'tenant.cancel', verb: 'cancelled' },
  restore: { to: 'active', from: ['cancelled'], action: 'tenant.restore', verb: 'restored' }
}

const HINT_ERRORS: Record<string, (slug: string) => AppError> = {
  'nchat:not_found': () => new AppError('NOT_FOUND', 'That tenant no longer exists. It may have been deleted by another operator.'),
  'nchat:not_cancelled': (s) => new AppError('CONFLICT', `Tenant ${s} is not cancelled. Only a cancelled tenant can be hard-deleted.`),
  'nchat:grace_period': (s) =>
    new AppError('CONFLICT', `Tenant ${s} is still inside its grace period. An admin may delete it earlier only with an override reason.`),
  'nchat:protected': (s) =>
    new AppError('FORBIDDEN', `Refused: the schema named by tenant ${s} is protected (the template, public, console or a system schema).`),
  'nchat:schema_mismatch': (s) =>
    new AppError('CONFLICT', `Refused: the schema of tenant ${s} does not match its row (it changed, or does not follow the <prefix><slug> convention).`),
  'nchat:no_backup': (s) =>
    new AppError('CONFLICT', `Refused: there is no verified backup of tenant ${s} younger than 24 hours. Export and verify a backup first.`)
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v)
}
function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}
function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null
  const d = new Date(String(v))
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString()
}

export class LifecycleService {
  readonly plans = new ClonePlanCache()
  private planGen = -1
  private readonly baseDomain: string
  private readonly allowedDomains: string[] | null
  readonly graceDays: number
  private readonly trialDays: number

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    opts: LifecycleOptions = {}
  ) {
    this.baseDomain = (opts.baseDomain ?? process.env.NCHAT_BASE_DOMAIN ?? 'nchat.app').toLowerCase()
    const env = process.env.NCHAT_ALLOWED_CUSTOM_DOMAINS
    this.allowedDomains =
      opts.allowedDomains !== undefined
        ? opts.allowedDomains
        : env
          ? env.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean)
          : null
    this.graceDays = opts.graceDays ?? 30
    this.trialDays = opts.trialDays ?? 14
  }

  private target() {
    const t = this.db.target
    if (!t) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return t
  }

  private async layout(): Promise<Layout> {
    const layout = await this.session.layout()
    if (!layout.tenantColumns.has('id') || !layout.tenantColumns.has('status')) {
      throw new AppError('UNSUPPORTED', 'This database has no public.tenants table, so there are no tenants to manage.')
    }
    return layout
  }

  private clonePlans(): ClonePlanCache {
    // Plans belong to one database: drop them when the target changes.
    if (this.planGen !== this.db.gen) {
      this.plans.clear()
      this.planGen = this.db.gen
    }
    return this.plans
  }

  // ---------------------------------------------------------------- capabilities

  async capabilities(): Promise<LifecycleCapabilities> {
    const t = this.target()
    const role = await this.session.role()
    const layout = await this.session.layout()
    const notes: string[] = []
    const hasFn = await this.db.query<{ ok: boolean }>(
      `SELECT to_regprocedure('public.hard_delete_tenant(uuid, text, text, text, integer, jsonb)') IS NOT NULL AS ok`
    )
    const allow: ActionPermission = { allowed: true, reason: null }
    const deny = (reason: string): ActionPermission => ({ allowed: false, reason })
    const needAdmin =
      role === 'admin'
        ? null
        : `Needs the admin console role; the connected database role has ${role === 'none' ? 'no console role' : 'the support role'}.`
    const needSupport = role === 'none' ? 'Needs the support or admin console role; the connected database role has no console role.' : null
    const noTenants = !layout.tenantColumns.has('id') ? 'This database has no public.tenants table.' : null
    const createBlock =
      noTenants ??
      needAdmin ??
      (layout.kind !== '030'
        ? 'Creating tenants is supported on the 030 tenancy layout only; this database uses a different layout.'
        : null)
    if (layout.kind !== '030' && layout.tenantColumns.has('id')) notes.push('Tenant creation is unavailable on this tenancy layout.')
    const hardBlock = noTenants ?? needAdmin ?? (!hasFn.rows[0]?.ok ? "The console's migrations have not been applied to this database (they provide hard_delete_tenant)." : null)
    const actions: Record<LifecycleAction, ActionPermission> = {
      create: createBlock ? deny(createBlock) : allow,
      edit: noTenants || needAdmin ? deny((noTenants ?? needAdmin)!) : allow,
      suspend: noTenants || needSupport ? deny((noTenants ?? needSupport)!) : allow,
      reactivate: noTenants || needSupport ? deny((noTenants ?? needSupport)!) : allow,
      bulk: noTenants || needSupport ? deny((noTenants ?? needSupport)!) : allow,
      cancel: noTenants || needAdmin ? deny((noTenants ?? needAdmin)!) : allow,
      restore: noTenants || needAdmin ? deny((noTenants ?? needAdmin)!) : allow,
      hardDelete: hardBlock ? deny(hardBlock) : allow
    }
    const plans = layout.plans.length ? layout.plans : [...Object.keys(PLANS)]
    const planDefaults: LifecycleCapabilities['planDefaults'] = {}
    for (const p of plans) {
      if (isPlanId(p)) planDefaults[p] = { limits: { ...PLANS[p].limits }, features: { ...PLANS[p].features } }
    }
    return {
      role,
      actions,
      reasons: SUSPEND_REASONS.map((id) => ({ id, label: SUSPEND_REASON_LABELS[id] })),
      plans,
      planDefaults,
      graceDays: this.graceDays,
      baseDomain: this.baseDomain,
      allowedDomains: this.allowedDomains,
      tenantPrefix: t.tenantPrefix,
      templateSchema: t.templateSchema,
      notes
    }
  }

  // ---------------------------------------------------------------- create

  async create(input: ParsedInputOf<'lifecycle:create'>): Promise<CreateOutcome> {
    const started = performance.now()
    const target = this.target()
    const layout = await this.layout()
    if (layout.kind !== '030') {
      throw new AppError('UNSUPPORTED', 'Creating tenants is supported on the 030 tenancy layout only; this database uses a different layout.')
    }
    const slugCheck = checkSlug(input.slug, target.tenantPrefix)
    if (!slugCheck.ok) throw new AppError('INVALID_INPUT', slugCheck.problem)
    const slug = slugCheck.slug
    const schemaName = assertIdentifier(slugCheck.schemaName, 'schema name')
    if (isProtectedSchema(schemaName, target.templateSchema)) {
      throw new AppError('INVALID_INPUT', `The schema name ${schemaName} is reserved.`)
    }
    if (!isPlanId(input.plan) || (layout.plans.length > 0 && !layout.plans.includes(input.plan))) {
      throw new AppError('INVALID_INPUT', `Unknown plan "${input.plan}". Choose one of: ${(layout.plans.length ? layout.plans : Object.keys(PLANS)).join(', ')}.`)
    }
    const plan = PLANS[input.plan]
    const template = target.templateSchema
    let cloneMs = 0
    let parityMs = 0
    let ddlCached = false

    const out = await this.db.tx(async (c) => {
      await c.query(`SELECT set_config('lock_timeout', '10s', true), pg_advisory_xact_lock(hashtext('nchat-console:create:' || $1))`, [slug])
      // One pass over tenants (slugs and schema names compare case-insensitively: old rows may have upper case).
      const clash = await c.query<{ slug: boolean; row: boolean; schema: boolean }>(
        `SELECT COALESCE(bool_or(lower(slug) = lower($1)), false) AS slug, COALESCE(bool_or(lower(schema_name) = lower($2)), false) AS row,
                EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) AS schema
           FROM public.tenants`,
        [slug, schemaName]
      )
      const cl = clash.rows[0]!
      const what = new Set((['slug', 'row', 'schema'] as const).filter((k) => cl[k]))
      if (what.has('slug')) throw new AppError('CONFLICT', `The slug "${slug}" is already used by another tenant.`)
      if (what.has('row')) throw new AppError('CONFLICT', `Another tenant already names the schema ${schemaName}.`)
      if (what.has('schema')) {
        throw new AppError('CONFLICT', `A schema named ${schemaName} already exists with no tenant row (an orphan). Remove or adopt it first.`)
      }

      const t0 = performance.now()
      const { plan: clonePlan, cached } = await this.clonePlans().plan(c, template)
      ddlCached = cached
      const who = await c.query<{ owner: string; is_owner: boolean; can_be_owner: boolean; admin_member: boolean; support_exists: boolean; login: string }>(
        `SELECT session_user AS login, n.nspowner::regrole::text AS owner, n.nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS is_owner,
                pg_has_role(current_user, n.nspowner, 'MEMBER') AS can_be_owner,
                COALESCE((SELECT pg_has_role(current_user, r.oid, 'MEMBER') FROM pg_roles r WHERE r.rolname = $2), false) AS admin_member,
                EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $3) AS support_exists
           FROM pg_namespace n WHERE n.nspname = $1`,
        [template, ADMIN_ROLE, SUPPORT_ROLE]
      )
      const w = who.rows[0]!
      const actor: Actor = { name: target.operator?.name ?? 'operator', email: target.operator?.email ?? '', dbRole: w.login }
      // Objects belong to the template's owner when this login can act as it (the app
      // keeps working exactly as on the template); otherwise to the admin group, with
      // the template's owner granted full use.
      let asGroup = false
      if (!w.is_owner) {
        if (w.can_be_owner) await c.query(`SET LOCAL ROLE ${quoteIdent(w.owner)}`)
        else if (w.admin_member) {
          await c.query(`SET LOCAL ROLE ${quoteIdent(ADMIN_ROLE)}`)
          asGroup = true
        } else throw new AppError('FORBIDDEN', 'The connected database role may not create tenant schemas (it needs the admin console role).')
      }
      await executePlan(c, clonePlan, schemaName)
      const q = quoteIdent(schemaName)
      // Grants name every object: GRANT ... ON ALL TABLES IN SCHEMA scans all of pg_class,
      // which costs most of a second on a database with 10,000 tenant schemas.
      const tpl = clonePlan.shape
      const rels = tpl.relations.map((r) => `${q}.${r.qn}`)
      const seqs = tpl.sequences.map((x) => `${q}.${x.qn}`)
      const fns = tpl.functions.filter((f) => f.def).map((f) => `${f.kind === 'p' ? 'PROCEDURE' : 'FUNCTION'} ${q}.${f.qn}(${f.args})`)
      const grants: string[] = []
      if (asGroup) {
        const o = quoteIdent(w.owner)
        grants.push(`GRANT USAGE, CREATE ON SCHEMA ${q} TO ${o}`)
        if (rels.length) grants.push(`GRANT ALL ON TABLE ${rels.join(', ')} TO ${o}`)
        if (seqs.length) grants.push(`GRANT ALL ON SEQUENCE ${seqs.join(', ')} TO ${o}`)
        for (const f of fns) grants.push(`GRANT EXECUTE ON ${f} TO ${o}`)
      }
      if (w.support_exists) {
        grants.push(`GRANT USAGE ON SCHEMA ${q} TO ${SUPPORT_ROLE}`)
        if (rels.length) grants.push(`GRANT SELECT ON TABLE ${rels.join(', ')} TO ${SUPPORT_ROLE}`)
        if (seqs.length) grants.push(`GRANT SELECT ON SEQUENCE ${seqs.join(', ')} TO ${SUPPORT_ROLE}`)
      }
      if (grants.length) await c.query(grants.join(';\n'))

      // The owner is the tenant's first user.
      let ownerUserId: string | null = null
      const ucols = clonePlan.usersColumns
      if (!ucols || !ucols.includes('email')) {
        throw new AppError('UNSUPPORTED', `The template schema "${template}" has no users table with an email column, so the owner cannot be added.`)
      }
      const nameCol = ['display_name', 'name', 'full_name'].find((x) => ucols.includes(x))
      const values: [string, unknown][] = [['email', input.ownerEmail]]
      if (nameCol) values.push([nameCol, input.ownerName])
      if (ucols.includes('role')) values.push(['role', 'owner'])
      const ins = await c.query<{ id: unknown }>(
        `INSERT INTO ${q}.users (${values.map(([k]) => quoteIdent(k)).join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})${ucols.includes('id') ? ' RETURNING id' : ''}`,
        values.map(([, v]) => v)
      )
      ownerUserId = ins.rows[0]?.id !== undefined ? String(ins.rows[0].id) : null
      if (!w.is_owner) await c.query('RESET ROLE')
      cloneMs = performance.now() - t0

      const t1 = performance.now()
      const shape = await readShape(c, schemaName)
      if (!shape) throw new AppError('INTERNAL', 'The new schema was not found after it was created.')
      const parity = compareShapes(clonePlan.shape, stripSchema(shape), { targetOwnerAliases: asGroup ? [w.owner] : [] })
      parityMs = performance.now() - t1
      if (!parity.ok) {
        throw new AppError(
          'INTERNAL',
          `The new schema does not match the template (${parity.differences.length} difference${parity.differences.length === 1 ? '' : 's'}, e.g. ${parity.differences.slice(0, 3).join('; ')}). Nothing was created.`,
          { differences: parity.differences.slice(0, 50) }
        )
      }

      const uuidOwner = ownerUserId && /^[0-9a-f-]{36}$/i.test(ownerUserId) ? ownerUserId : null
      const metadata = {
        createdBy: 'nchat-console',
        consoleOwnerUserId: ownerUserId,
        consoleOverrides: { limits: {}, features: {} }
      }
      const status = input.trial ? 'trial' : 'active'
      const cols: [string, string, unknown][] = [
        ['name', '$', input.name],
        ['slug', '$', slug],
        ['status', '$', status],
        ['owner_email', '$', input.ownerEmail],
        ['owner_name', '$', input.ownerName],
        ['owner_id', '$::uuid', uuidOwner],
        ['schema_name', '$', schemaName],
        ['billing_plan', '$', plan.id],
        ['billing_interval', '$', input.billingInterval],
        ['limits', '$::jsonb', JSON.stringify(plan.limits)],
        ['features', '$::jsonb', JSON.stringify(plan.features)],
        ['branding', '$::jsonb', JSON.stringify({ appName: input.name })],
        ['metadata', '$::jsonb', JSON.stringify(metadata)]
      ]
      const use = cols.filter(([k]) => layout.tenantColumns.has(k))
      const trialSql = input.trial && layout.tenantColumns.has('trial_ends_at') ? `, trial_ends_at` : ''
      const trialVal = input.trial && layout.tenantColumns.has('trial_ends_at') ? `, now() + make_interval(days => ${this.trialDays})` : ''
      const row = await c.query<{ row: Row }>(
        `INSERT INTO public.tenants (${use.map(([k]) => k).join(', ')}${trialSql})
         VALUES (${use.map(([, cast], i) => cast.replace('$', `$${i + 1}`)).join(', ')}${trialVal})
         RETURNING to_jsonb(tenants.*) AS row`,
        use.map(([, , v]) => v)
      )
      const created = row.rows[0]!.row
      const tenantId = String(created.id)
      if (layout.hasSettings) await c.query(`INSERT INTO public.tenant_settings (tenant_id) VALUES ($1)`, [tenantId])
      const after = {
        status,
        slug,
        schemaName,
        plan: plan.id,
        billingInterval: input.billingInterval,
        trialEndsAt: str(created.trial_ends_at),
        ownerEmail: input.ownerEmail
      }
      await writeTenantAudit(c, layout, { tenantId, action: 'tenant.create', actor, before: null, after, extra: { template, fingerprint: clonePlan.fingerprint } })
      await writeOperatorLog(c, {
        action: 'tenant.create',
        actor,
        tenantId,
        slug,
        schema: schemaName,
        params: { ...after, name: input.name, template, ddlCached, parityObjects: parity.objectsCompared }
      })
      await this.protectTemplate(c, template)
      return { tenantId, status }
    })

    const ev = await evictTenantKeys(target.redisUrl, tenantCacheKeys(slug))
    return {
      tenantId: out.tenantId,
      slug,
      status: out.status,
      changed: true,
      message: `Tenant ${slug} was created with schema ${schemaName}.`,
      warnings: ev.warning ? [ev.warning] : [],
      evictedKeys: ev.evicted,
      schemaName,
      timings: { totalMs: Math.round(performance.now() - started), cloneMs: Math.round(cloneMs), parityMs: Math.round(parityMs), ddlCached }
    }
  }

  private protectedOnce = new Map<string, number>()

  /** Registers the template as protected (add-only) once per connection. */
  private async protectTemplate(c: Queryable, template: string): Promise<void> {
    if (this.protectedOnce.get(template) === this.db.gen) return
    // No error may happen here: it would abort the caller's transaction.
    const fn = await c.query<{ fn: string | null; tbl: string | null }>(
      `SELECT to_regprocedure('console.protect_schema(text)')::text AS fn, to_regclass('console.protected_schemas')::text AS tbl`
    )
    if (!fn.rows[0]?.fn || !fn.rows[0]?.tbl) return
    const r = await c.query<{ can: boolean; has: boolean }>(
      `SELECT has_function_privilege('console.protect_schema(text)', 'EXECUTE') AS can,
              EXISTS (SELECT 1 FROM console.protected_schemas WHERE schema_name = $1) AS has`,
      [template]
    )
    const x = r.rows[0]!
    if (x.can && !x.has) await c.query(`SELECT console.protect_schema($1)`, [template])
    if (x.can || x.has) this.protectedOnce.set(template, this.db.gen)
  }

  // ---------------------------------------------------------------- edit

  private editableFrom(row: Row, version: string): EditableTenant {
    const b = obj(row.branding)
    const meta = obj(row.metadata)
    const ov = obj(meta.consoleOverrides)
    return {
      id: String(row.id),
      slug: String(row.slug ?? ''),
      status: String(row.status ?? ''),
      version,
      name: String(row.name ?? ''),
      plan: str(row.billing_plan ?? row.plan),
      billingInterval: str(row.billing_interval),
      customDomain: str(row.custom_domain),
      branding: {
        appName: str(b.appName),
        primaryColor: str(b.primaryColor),
        secondaryColor: str(b.secondaryColor),
        logoUrl: str(b.logoUrl),
        faviconUrl: str(b.faviconUrl),
        customCSS: str(b.customCSS)
      },
      limitOverrides: Object.fromEntries(Object.entries(obj(ov.limits)).filter(([, v]) => typeof v === 'number')) as Record<string, number>,
      featureOverrides: Object.fromEntries(Object.entries(obj(ov.features)).filter(([, v]) => typeof v === 'boolean')) as Record<string, boolean>,
      limits: row.limits && typeof row.limits === 'object' ? (row.limits as Record<string, unknown>) : null,
      features: row.features && typeof row.features === 'object' ? (row.features as Record<string, boolean>) : null,
      updatedAt: iso(row.updated_at)
    }
  }

  async editable(id: string): Promise<EditableTenant> {
    await this.layout()
    const r = await readTenant(this.db, id)
    if (!r) throw new AppError('NOT_FOUND', 'That tenant no longer exists. It may have been deleted by another operator.')
    return this.editableFrom(r.row, r.version)
  }

  private checkDomain(host: string): string {
    const h = host.trim().toLowerCase().replace(/\.$/, '')
    const problem = checkHostname(h)
    if (problem) throw new AppError('INVALID_INPUT', problem)
    if (h === this.baseDomain || h.endsWith('.' + this.baseDomain)) {
      throw new AppError('INVALID_INPUT', `A custom domain may not be under the base domain ${this.baseDomain}; tenants already get <slug>.${this.baseDomain}.`)
    }
    if (this.allowedDomains && !this.allowedDomains.includes(h)) {
      throw new AppError('INVALID_INPUT', `${h} is not on the allowed custom domain list (ALLOWED_CUSTOM_DOMAINS).`)
    }
    return h
  }

  async update(input: ParsedInputOf<'lifecycle:update'>): Promise<LifecycleOutcome> {
    const target = this.target()
    const layout = await this.layout()
    const has = (c: string) => layout.tenantColumns.has(c)
    // Validate what does not need the row first.
    if (input.customDomain !== undefined && !has('custom_domain')) {
      throw new AppError(
        'UNSUPPORTED',
        layout.kind === 'newer'
          ? 'This database keeps custom domains in public.tenant_domains (newer tenancy layout); the console cannot edit them there yet.'
          : "This database's tenants table has no custom_domain column, so the custom domain cannot be changed."
      )
    }
    const domain = input.customDomain === undefined ? undefined : input.customDomain === null || input.customDomain === '' ? null : this.checkDomain(input.customDomain)
    if (input.branding) {
      for (const k of ['logoUrl', 'faviconUrl'] as const) {
        const v = input.branding[k]
        if (v) {
          const p = checkAssetUrl(v)
          if (p) throw new AppError('INVALID_INPUT', `${k === 'logoUrl' ? 'Logo' : 'Favicon'} URL: ${p}`)
        }
      }
    }
    if (input.plan !== undefined && layout.plans.length && !layout.plans.includes(input.plan)) {
      throw new AppError('INVALID_INPUT', `Unknown plan "${input.plan}". Choose one of: ${layout.plans.join(', ')}.`)
    }
    const limitKeys = new Set(Object.keys(PLANS.free.limits))
    for (const k of Object.keys(input.limitOverrides ?? {})) {
      if (!limitKeys.has(k)) throw new AppError('INVALID_INPUT', `Unknown limit "${k}".`)
    }
    for (const k of Object.keys(input.featureOverrides ?? {})) {
      if (!(FEATURE_KEYS as readonly string[]).includes(k)) throw new AppError('INVALID_INPUT', `Unknown feature "${k}".`)
    }

    const res = await this.db.tx(async (c) => {
      await c.query(`SET LOCAL lock_timeout = '5s'`)
      const cur = await lockTenant(c, input.id)
      const current = this.editableFrom(cur.row, cur.version)
      if (cur.version !== input.version) {
        throw new AppError('CONFLICT', 'Someone changed this tenant after you opened it. Your edit was not saved; the current values are shown.', { current })
      }
      const row = cur.row
      const sets: { col: string; cast: string; value: unknown }[] = []
      const before: Record<string, unknown> = {}
      const after: Record<string, unknown> = {}
      const change = (col: string, key: string, oldV: unknown, newV: unknown, cast = '') => {
        if (JSON.stringify(oldV ?? null) === JSON.stringify(newV ?? null)) return
        if (!has(col)) throw new AppError('UNSUPPORTED', `This database's tenants table has no ${col} column, so ${key} cannot be changed.`)
        before[key] = oldV ?? null
        after[key] = newV ?? null
        sets.push({ col, cast, value: cast === '::jsonb' ? JSON.stringify(newV) : newV })
      }
      if (input.name !== undefined) change('name', 'name', row.name, input.name)
      if (input.branding) {
        const old = obj(row.branding)
        const next: Record<string, unknown> = { ...old }
        for (const [k, v] of Object.entries(input.branding)) {
          if (v === null || v === '') delete next[k]
          else next[k] = v
        }
        change('branding', 'branding', old, next, '::jsonb')
      }
      if (domain !== undefined) {
        if (domain) {
          const taken = await c.query<{ slug: string }>(
            `SELECT slug FROM public.tenants WHERE lower(custom_domain) = $1 AND id <> $2 LIMIT 1`,
            [domain, input.id]
          )
          if (taken.rows[0]) throw new AppError('CONFLICT', `The domain ${domain} is already used by tenant ${taken.rows[0].slug}.`)
        }
        change('custom_domain', 'customDomain', row.custom_domain, domain)
      }
      const planCol = has('billing_plan') ? 'billing_plan' : 'plan'
      const oldPlan = str(row[planCol])
      const newPlan = input.plan ?? oldPlan
      if (input.plan !== undefined) change(planCol, 'plan', oldPlan, input.plan)
      if (input.billingInterval !== undefined) change('billing_interval', 'billingInterval', row.billing_interval, input.billingInterval)

      const meta = obj(row.metadata)
      const oldOv = obj(meta.consoleOverrides)
      const limitOv = input.limitOverrides ?? (obj(oldOv.limits) as Record<string, number>)
      const featureOv = input.featureOverrides ?? (obj(oldOv.features) as Record<string, boolean>)
      const ovChanged = input.limitOverrides !== undefined || input.featureOverrides !== undefined
      if (ovChanged || newPlan !== oldPlan) {
        // Limits and features follow the plan unless overridden.
        const base = newPlan && isPlanId(newPlan) ? PLANS[newPlan] : null
        const prevOvL = obj(oldOv.limits)
        const prevOvF = obj(oldOv.features)
        const baseLimits = base ? base.limits : Object.fromEntries(Object.entries(obj(row.limits)).filter(([k]) => !(k in prevOvL)))
        const baseFeatures = base ? base.features : Object.fromEntries(Object.entries(obj(row.features)).filter(([k]) => !(k in prevOvF)))
        change('limits', 'limits', row.limits ?? null, { ...baseLimits, ...limitOv }, '::jsonb')
        change('features', 'features', row.features ?? null, { ...baseFeatures, ...featureOv }, '::jsonb')
        if (ovChanged) {
          change('metadata', 'overrides', meta, { ...meta, consoleOverrides: { limits: limitOv, features: featureOv } }, '::jsonb')
          if (after.overrides) {
            before.overrides = oldOv
            after.overrides = { limits: limitOv, features: featureOv }
          }
        }
      }
      if (sets.length === 0) return { row, changed: false, before, after }
      const actor = await actorFor(c, target.operator)
      const upd = await c.query<{ row: Row }>(
        `UPDATE public.tenants SET ${sets.map((s, i) => `${s.col} = $${i + 2}${s.cast}`).join(', ')}
          WHERE id = $1 RETURNING to_jsonb(tenants.*) AS row`,
        [input.id, ...sets.map((s) => s.value)]
      )
      await writeTenantAudit(c, layout, { tenantId: input.id, action: 'tenant.update', actor, before, after })
      await writeOperatorLog(c, {
        action: 'tenant.update',
        actor,
        tenantId: input.id,
        slug: str(row.slug),
        schema: str(row.schema_name),
        params: { before, after }
      })
      return { row: upd.rows[0]!.row, changed: true, before, after }
    })
    const slug = String(res.row.slug ?? '')
    const keys = res.changed ? tenantCacheKeys(slug, [str(res.before.customDomain), str(res.after.customDomain), str(res.row.custom_domain)]) : []
    const ev = await evictTenantKeys(target.redisUrl, keys)
    return {
      tenantId: input.id,
      slug,
      status: String(res.row.status ?? ''),
      changed: res.changed,
      message: res.changed ? `Tenant ${slug} was updated (${Object.keys(res.after).join(', ')}).` : `Nothing to change for tenant ${slug}.`,
      warnings: ev.warning ? [ev.warning] : [],
      evictedKeys: ev.evicted
    }
  }

  // ---------------------------------------------------------------- status transitions

  suspend(input: ParsedInputOf<'lifecycle:suspend'>): Promise<LifecycleOutcome> {
    return this.transition('suspend', input.id, { reason: input.reason, note: input.note, expectedStatus: input.expectedStatus })
  }
  reactivate(input: ParsedInputOf<'lifecycle:reactivate'>): Promise<LifecycleOutcome> {
    return this.transition('reactivate', input.id, { reason: input.reason, note: input.note, expectedStatus: input.expectedStatus })
  }
  cancel(input: ParsedInputOf<'lifecycle:cancel'>): Promise<LifecycleOutcome> {
    return this.transition('cancel', input.id, { reason: 'owner_request', note: input.note, expectedStatus: input.expectedStatus })
  }
  restore(input: ParsedInputOf<'lifecycle:restore'>): Promise<LifecycleOutcome> {
    return this.transition('restore', input.id, { reason: null, note: input.note, expectedStatus: input.expectedStatus })
  }

  private async transition(
    kind: TransitionKind,
    id: string,
    opts: { reason: string | null; note?: string; expectedStatus?: string }
  ): Promise<LifecycleOutcome> {
    const target = this.target()
    const layout = await this.layout()
    const spec = TRANSITIONS[kind]
    if (layout.statuses.length && !layout.statuses.includes(spec.to)) {
      throw new AppError('UNSUPPORTED', `This database does not allow the status "${spec.to}".`)
    }
    const note = opts.note?.trim() || null
    if (opts.reason === 'other' && !note) throw new AppError('INVALID_INPUT', 'Reason "other" needs a note saying why.')
    const has = (c: string) => layout.tenantColumns.has(c)

    const res = await this.db.tx(async (c) => {
      await c.query(`SET LOCAL lock_timeout = '5s'`)
      const cur = await lockTenant(c, id)
      const row = cur.row
      const from = String(row.status ?? '')
      const slug = String(row.slug ?? '')
      const summary = { id, slug, status: from, updatedAt: iso(row.updated_at), version: cur.version }
      if (from === spec.to) return { row, changed: false }
      if (opts.expectedStatus && opts.expectedStatus !== from) {
        throw new AppError('CONFLICT', `Tenant ${slug} is now ${from} (another operator changed it). Nothing was done.`, { current: summary })
      }
      if (!spec.from.includes(from)) {
        throw new AppError('CONFLICT', `Tenant ${slug} is ${from}; it cannot be ${spec.verb} from that status.`, { current: summary })
      }
      const actor = await actorFor(c, target.operator)
      const now = new Date().toISOString()
      const sets: string[] = ['status = $2']
      const params: unknown[] = [id, spec.to, from]
      const meta = obj(row.metadata)
      let nextMeta: Record<string, unknown> | null = null
      const stamp = { at: now, by: actor.email || actor.name, dbRole: actor.dbRole }
      if (kind === 'suspend') {
        if (has('suspended_at')) sets.push('suspended_at = now()')
        nextMeta = { ...meta, consoleSuspension: { reason: opts.reason, note, previousStatus: from, ...stamp } }
      } else if (kind === 'reactivate') {
        if (has('suspended_at')) sets.push('suspended_at = NULL')
        const { consoleSuspension: _s, ...rest } = meta
        nextMeta = { ...rest, consoleLastReactivation: { reason: opts.reason, note, ...stamp } }
      } else if (kind === 'cancel') {
        if (has('cancelled_at')) sets.push('cancelled_at = now()')
        const subscription = str(row.stripe_subscription_id ?? meta.stripeSubscriptionId)
        // Billing (issue: Stripe) cancels at period end; until it exists the request is recorded.
        nextMeta = { ...meta, consoleCancellation: { note, previousStatus: from, stripe: subscription ? 'pending' : 'none', subscriptionId: subscription, ...stamp } }
      } else {
        const cancelledAt = row.cancelled_at ? new Date(String(row.cancelled_at)) : null
        if (cancelledAt && Date.now() - cancelledAt.getTime() > this.graceDays * 86_400_000) {
          throw new AppError('CONFLICT', `Tenant ${slug} was cancelled more than ${this.graceDays} days ago; the grace period for restoring it is over.`, { current: summary })
        }
        if (has('cancelled_at')) sets.push('cancelled_at = NULL')
        if (has('suspended_at')) sets.push('suspended_at = NULL')
        const { consoleCancellation: _c, consoleSuspension: _s, ...rest } = meta
        nextMeta = { ...rest, consoleLastRestore: { note, ...stamp } }
      }
      if (nextMeta && has('metadata')) {
        params.push(JSON.stringify(nextMeta))
        sets.push(`metadata = $${params.length}::jsonb`)
      }
      // Compare-and-set on status, on top of the row lock.
      const upd = await c.query<{ row: Row }>(
        `UPDATE public.tenants SET ${sets.join(', ')} WHERE id = $1 AND status = $3 RETURNING to_jsonb(tenants.*) AS row`,
        params
      )
      if (!upd.rows[0]) throw new AppError('CONFLICT', `Tenant ${slug} changed at the same time. Nothing was done.`, { current: summary })
      const nrow = upd.rows[0].row
      const pick = (r: Row) => ({ status: r.status ?? null, suspended_at: r.suspended_at ?? null, cancelled_at: r.cancelled_at ?? null })
      const before = pick(row)
      const after = pick(nrow)
      await writeTenantAudit(c, layout, { tenantId: id, action: spec.action, actor, reason: opts.reason, note, before, after })
      await writeOperatorLog(c, {
        action: spec.action,
        actor,
        tenantId: id,
        slug,
        schema: str(row.schema_name),
        params: { reason: opts.reason, note, before, after }
      })
      return { row: nrow, changed: true }
    })
    const slug = String(res.row.slug ?? '')
    const ev = res.changed ? await evictTenantKeys(target.redisUrl, tenantCacheKeys(slug, [str(res.row.custom_domain)])) : { evicted: [], warning: null }
    return {
      tenantId: id,
      slug,
      status: String(res.row.status ?? ''),
      changed: res.changed,
      message: res.changed ? `Tenant ${slug} was ${spec.verb}.` : `Tenant ${slug} already was ${spec.to}; nothing changed.`,
      warnings: ev.warning ? [ev.warning] : [],
      evictedKeys: ev.evicted
    }
  }

  // ---------------------------------------------------------------- bulk

  async bulk(input: ParsedInputOf<'lifecycle:bulk'>): Promise<BulkOutcome> {
    const results: BulkItemResult[] = []
    const warnings = new Set<string>()
    const ids = [...new Set(input.ids)]
    for (const id of ids) {
      try {
        const r = await this.transition(input.action, id, { reason: input.reason, note: input.note })
        r.warnings.forEach((w) => warnings.add(w))
        results.push({ id, slug: r.slug, outcome: r.changed ? 'changed' : 'unchanged', status: r.status, code: null, message: r.message })
      } catch (e) {
        const err = toAppError(e)
        if (err.code === 'INTERNAL') log.error('bulk lifecycle item failed', e)
        const cur = (err.details as { current?: { slug?: string; status?: string } } | undefined)?.current
        results.push({ id, slug: cur?.slug ?? null, outcome: 'failed', status: cur?.status ?? null, code: err.code, message: err.message })
        if (err.code === 'DB_UNAVAILABLE') this.session.invalidate()
      }
    }
    return {
      action: input.action,
      changed: results.filter((r) => r.outcome === 'changed').length,
      unchanged: results.filter((r) => r.outcome === 'unchanged').length,
      failed: results.filter((r) => r.outcome === 'failed').length,
      results,
      warnings: [...warnings]
    }
  }

  // ---------------------------------------------------------------- hard delete

  async deletePreview(id: string): Promise<DeletePreview> {
    const target = this.target()
    await this.layout()
    return this.db.tx(async (c) => {
      const cur = await readTenant(c, id)
      if (!cur) throw new AppError('NOT_FOUND', 'That tenant no longer exists. It may have been deleted by another operator.')
      const row = cur.row
      const slug = String(row.slug ?? '')
      const schemaName = String(row.schema_name ?? '')
      const status = String(row.status ?? '')
      const blockers: string[] = []
      if (status !== 'cancelled') blockers.push(`The tenant is ${status}. Cancel it first; only a cancelled tenant can be hard-deleted.`)
      const expected = (target.tenantPrefix + slug.replace(/-/g, '_')).toLowerCase()
      const prot = await c.query<{ p: boolean }>(
        `SELECT to_regclass('console.protected_schemas') IS NOT NULL
                AND EXISTS (SELECT 1 FROM console.protected_schemas WHERE lower(schema_name) = lower($1)) AS p`,
        [schemaName]
      )
      if (!schemaName || isProtectedSchema(schemaName, target.templateSchema) || prot.rows[0]?.p) {
        blockers.push(`The schema "${schemaName}" is protected (the template, public, console or a system schema) and can never be dropped.`)
      } else if (schemaName.toLowerCase() !== expected) {
        blockers.push(`The schema "${schemaName}" does not match this tenant's slug (expected ${expected}); the console refuses to drop it.`)
      }
      const nsp = await c.query<{ oid: number; nspname: string }>(
        `SELECT oid, nspname FROM pg_namespace WHERE nspname = $1 OR nspname = lower($1) ORDER BY (nspname = $1) DESC LIMIT 1`,
        [schemaName]
      )
      const resolved = nsp.rows[0]?.nspname ?? null
      let tables: DeletePreview['tables'] = []
      if (resolved && blockers.every((b) => !b.includes('protected'))) {
        const t = await c.query<{ relname: string; size: number }>(
          `SELECT c.relname, pg_total_relation_size(c.oid)::bigint AS size
             FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
            WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_namespace'::regclass AND d.refobjid = $1
              AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
          [nsp.rows[0]!.oid]
        )
        if (t.rows.length) {
          await c.query(`SET LOCAL statement_timeout = '20s'`)
          const counts = await c.query<{ t: string; n: number }>(
            t.rows.map((r, i) => `SELECT $${i + 1}::text AS t, count(*)::bigint AS n FROM ${quoteIdent(resolved)}.${quoteIdent(r.relname)}`).join(' UNION ALL '),
            t.rows.map((r) => r.relname)
          )
          const byName = new Map(counts.rows.map((r) => [r.t, Number(r.n)]))
          tables = t.rows.map((r) => ({ name: r.relname, rows: byName.get(r.relname) ?? 0, sizeBytes: Number(r.size) }))
        }
      }
      const backup = await c.query<{ id: string; file_name: string; finished_at: string | null; verified_at: string | null }>(
        `SELECT id::text, file_name, finished_at, verified_at FROM console.backup_catalog
          WHERE tenant_id = $1 AND lower(tenant_schema) = lower($2) AND status = 'succeeded' AND verified_at IS NOT NULL
            AND coalesce(finished_at, started_at) > now() - interval '24 hours'
          ORDER BY coalesce(finished_at, started_at) DESC LIMIT 1`,
        [id, schemaName]
      )
      const b = backup.rows[0]
      if (!b) blockers.push('There is no verified backup of this tenant younger than 24 hours. Export and verify a backup first (Backups).')
      const fn = await c.query<{ ok: boolean }>(
        `SELECT to_regprocedure('public.hard_delete_tenant(uuid, text, text, text, integer, jsonb)') IS NOT NULL AS ok`
      )
      if (!fn.rows[0]?.ok) blockers.push("The console's migrations have not been applied to this database (they provide hard_delete_tenant).")
      const cancelledAt = iso(row.cancelled_at)
      const graceEnds = cancelledAt ? new Date(new Date(cancelledAt).getTime() + this.graceDays * 86_400_000) : null
      const insideGrace = status === 'cancelled' && (!graceEnds || graceEnds.getTime() > Date.now())
      return {
        tenantId: id,
        slug,
        status,
        schemaName,
        resolvedSchemaName: resolved,
        tables,
        totalRows: tables.reduce((a, t) => a + t.rows, 0),
        totalBytes: tables.reduce((a, t) => a + t.sizeBytes, 0),
        cancelledAt,
        graceDays: this.graceDays,
        graceEndsAt: graceEnds ? graceEnds.toISOString() : null,
        insideGrace,
        backup: b ? { id: b.id, fileName: b.file_name, finishedAt: iso(b.finished_at), verifiedAt: iso(b.verified_at) } : null,
        blockers,
        canDelete: blockers.length === 0
      }
    })
  }

  async hardDelete(input: ParsedInputOf<'lifecycle:hardDelete'>): Promise<HardDeleteOutcome> {
    const target = this.target()
    await this.layout()
    const cur = await readTenant(this.db, input.id)
    if (!cur) throw new AppError('NOT_FOUND', 'That tenant no longer exists. It may have been deleted by another operator.')
    const slug = String(cur.row.slug ?? '')
    if (input.confirmSlug !== slug) {
      throw new AppError('INVALID_INPUT', 'The slug you typed does not match this tenant’s slug. Nothing was deleted.')
    }
    const override = input.overrideReason?.trim() || null
    let actor: Actor | null = null
    try {
      const r = await this.db.tx(async (c) => {
        actor = await actorFor(c, target.operator)
        const x = await c.query<{ r: { schema: string | null; tables: string[] } }>(
          `SELECT public.hard_delete_tenant($1, $2, $3, $4, $5, $6::jsonb) AS r`,
          [
            input.id,
            input.expectedSchema,
            target.templateSchema,
            target.tenantPrefix,
            this.graceDays,
            JSON.stringify({ operatorName: actor.name, operatorEmail: actor.email, overrideReason: override, source: 'nchat-console' })
          ]
        )
        return x.rows[0]!.r
      })
      const ev = await evictTenantKeys(target.redisUrl, tenantCacheKeys(slug, [str(cur.row.custom_domain)]))
      return {
        tenantId: input.id,
        slug,
        schemaName: r.schema ?? String(cur.row.schema_name ?? ''),
        droppedTables: r.tables ?? [],
        warnings: ev.warning ? [ev.warning] : [],
        evictedKeys: ev.evicted
      }
    } catch (e) {
      const hint = (e as { hint?: string }).hint ?? ''
      const mapped = HINT_ERRORS[hint]?.(slug) ?? toAppError(e)
      // The refusal is on record too (in its own transaction: the failed one rolled back).
      await this.db
        .tx(async (c) => {
          const a = actor ?? (await actorFor(c, target.operator))
          await writeOperatorLog(c, {
            action: 'tenant.hard_delete',
            actor: a,
            tenantId: input.id,
            slug,
            schema: str(cur.row.schema_name),
            params: { expectedSchema: input.expectedSchema, overrideReason: override },
            outcome: 'refused',
            error: `${mapped.code}: ${mapped.message}`.slice(0, 500)
          })
        })
        .catch((le) => log.warn('could not record refused hard delete', le))
      throw mapped
    }
  }
}
