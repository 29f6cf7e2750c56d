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
import { MAX_MATCHING, SUSPEND_REASONS, SUSPEND_REASON_LABELS, checkAssetUrl, checkHostname, type TenantFilter } from '../../src-preload/contract'
import { PLANS } from '../domain/plans'
import { mergePlanValues, plansFor } from '../domain/plan-layouts'
import { templateTenantReason } from '../domain/template-tenant'
import { AppError, toAppError } from '../core/errors'
import type { ConnectionManager, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import type { SessionService } from '../session'
import { bulkSummary, failedItem } from './bulk'
import { evictTenantKeys, tenantCacheKeys } from './cache'
import { ClonePlanCache } from './cloner'
import { TenantCreator } from './create'
import type { LifecycleEnv } from './env'
import { HardDelete } from './hard-delete'
import { actorFor, lockTenant, readTenant, writeOperatorLog, writeTenantAudit } from './repository'
import { planOwner } from './owner'
import { iso, obj, str, type Row } from './values'

export interface LifecycleOptions {
  /** The app's base domain (NEXT_PUBLIC_BASE_DOMAIN); custom domains may not be under it. */
  baseDomain?: string
  /** The app's ALLOWED_CUSTOM_DOMAINS, when it uses one. */
  allowedDomains?: string[] | null
  /** Days a cancelled tenant is kept before it may be hard-deleted. */
  graceDays?: number
  trialDays?: number
  /**
   * After a cancel committed: cancels the tenant's Stripe subscription once (billing).
   * Its message becomes a warning of the outcome unless the state is 'done' or 'none'.
   */
  afterCancel?: (tenantId: string) => Promise<{ state: string; message: string }>
  /** "Select all matching": the directory resolves a filter to ids (refused if the count changed). */
  resolveMatching?: (filter: TenantFilter, expected: number, max: number) => Promise<string[]>
}

/** A transaction of the caller's, and where the changed rows go. */
export interface Within {
  client: Queryable
  rows: Row[]
}

type TransitionKind = 'suspend' | 'reactivate' | 'cancel' | 'restore'

const TRANSITIONS: Record<TransitionKind, { to: string; from: string[]; action: string; verb: string }> = {
  suspend: { to: 'suspended', from: ['active', 'trial', 'pending'], action: 'tenant.suspend', verb: 'suspended' },
  reactivate: { to: 'active', from: ['suspended'], action: 'tenant.reactivate', verb: 'reactivated' },
  cancel: { to: 'cancelled', from: ['active', 'trial', 'pending', 'suspended'], action: 'tenant.cancel', verb: 'cancelled' },
  restore: { to: 'active', from: ['cancelled'], action: 'tenant.restore', verb: 'restored' }
}

export class LifecycleService {
  readonly plans = new ClonePlanCache()
  private planGen = -1
  /** NCHAT_BASE_DOMAIN (or the option), used when the connection's profile names none. */
  private readonly fallbackBaseDomain: string
  private readonly allowedDomains: string[] | null
  readonly graceDays: number
  private readonly trialDays: number
  private readonly creator: TenantCreator
  private readonly deleter: HardDelete
  private readonly afterCancel: LifecycleOptions['afterCancel']
  private readonly resolveMatching: LifecycleOptions['resolveMatching']

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    opts: LifecycleOptions = {}
  ) {
    this.fallbackBaseDomain = (opts.baseDomain ?? process.env.NCHAT_BASE_DOMAIN ?? 'nchat.app').toLowerCase()
    const env = process.env.NCHAT_ALLOWED_CUSTOM_DOMAINS
    this.allowedDomains =
      opts.allowedDomains !== undefined
        ? opts.allowedDomains
        : env
          ? env.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean)
          : null
    this.graceDays = opts.graceDays ?? 30
    this.afterCancel = opts.afterCancel
    this.resolveMatching = opts.resolveMatching
    this.trialDays = opts.trialDays ?? 14
    const parts: LifecycleEnv = {
      db,
      target: () => this.target(),
      layout: () => this.layout(),
      clonePlans: () => this.clonePlans(),
      graceDays: this.graceDays,
      trialDays: this.trialDays
    }
    this.creator = new TenantCreator(parts)
    this.deleter = new HardDelete(parts)
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

  /** The profile's base domain when it names one, else the fallback. */
  private get baseDomain(): string {
    return this.db.target?.baseDomain?.toLowerCase() || this.fallbackBaseDomain
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
    let createBlock =
      noTenants ??
      needAdmin ??
      (layout.kind === 'unknown' ? 'Creating tenants is supported on the 030 and the newer tenancy layouts; this database uses neither.' : null)
    // Say in advance how the owner will be added: that depends on what the template has.
    let createOwner: LifecycleCapabilities['createOwner'] = null
    if (!createBlock) {
      try {
        // In a transaction, as creation does: the shape is read with a transaction-local search_path.
        const { plan } = await this.db.tx((c) => this.clonePlans().plan(c, t.templateSchema))
        createOwner = planOwner(t.templateSchema, plan.users, layout.hasInvitations)
        if (createOwner.mode !== 'user') notes.push(createOwner.message)
      } catch (e) {
        createBlock = toAppError(e).message
      }
    }
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
      const d = plansFor(layout.kind).defaults(p)
      if (d) planDefaults[p] = d
    }
    return {
      role,
      actions,
      reasons: SUSPEND_REASONS.map((id) => ({ id, label: SUSPEND_REASON_LABELS[id] })),
      plans,
      planDefaults,
      createOwner,
      graceDays: this.graceDays,
      baseDomain: this.baseDomain,
      allowedDomains: this.allowedDomains,
      tenantPrefix: t.tenantPrefix,
      templateSchema: t.templateSchema,
      notes
    }
  }

  // ---------------------------------------------------------------- create (create.ts)

  create(input: ParsedInputOf<'lifecycle:create'>): Promise<CreateOutcome> {
    return this.creator.create(input)
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
    const catalog = plansFor(layout.kind)

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
        // Keys this layout's plans know, plus any key the row already has (never refuse or drop those).
        const limitKeys = new Set([...catalog.limitKeys, ...Object.keys(obj(row.limits))])
        const featureKeys = new Set([...catalog.featureKeys, ...Object.keys(obj(row.features))])
        for (const k of Object.keys(input.limitOverrides ?? {})) {
          if (!limitKeys.has(k)) throw new AppError('INVALID_INPUT', `Unknown limit "${k}". This database's limits are: ${[...limitKeys].join(', ')}.`)
        }
        for (const k of Object.keys(input.featureOverrides ?? {})) {
          if (!featureKeys.has(k)) throw new AppError('INVALID_INPUT', `Unknown feature "${k}". This database's features are: ${[...featureKeys].join(', ')}.`)
        }
        // Limits and features follow the plan unless overridden.
        const base = newPlan ? catalog.defaults(newPlan) : null
        const baseLimits = mergePlanValues(obj(row.limits), base?.limits ?? null, {})
        const baseFeatures = mergePlanValues(obj(row.features), base?.features ?? null, {})
        change('limits', 'limits', row.limits ?? null, mergePlanValues(baseLimits, null, limitOv), '::jsonb')
        change('features', 'features', row.features ?? null, mergePlanValues(baseFeatures, null, featureOv), '::jsonb')
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

  /** The billing hook after a cancel; never undoes the cancel: says what Stripe did, or warns. */
  private async cancelBilling(id: string): Promise<{ done: string | null; warning: string | null }> {
    if (!this.afterCancel) return { done: null, warning: null }
    try {
      const r = await this.afterCancel(id)
      if (r.state === 'done') return { done: r.message, warning: null }
      return { done: null, warning: r.state === 'none' ? null : r.message }
    } catch (e) {
      return { done: null, warning: `The Stripe subscription was not cancelled: ${toAppError(e).message}` }
    }
  }

  // ---------------------------------------------------------------- status transitions

  suspend(input: ParsedInputOf<'lifecycle:suspend'>): Promise<LifecycleOutcome> {
    return this.transition('suspend', input.id, { reason: input.reason, note: input.note, expectedStatus: input.expectedStatus })
  }
  reactivate(input: ParsedInputOf<'lifecycle:reactivate'>): Promise<LifecycleOutcome> {
    return this.transition('reactivate', input.id, { reason: input.reason, note: input.note, expectedStatus: input.expectedStatus, returnTo: input.returnTo })
  }
  cancel(input: ParsedInputOf<'lifecycle:cancel'>): Promise<LifecycleOutcome> {
    return this.transition('cancel', input.id, { reason: 'owner_request', note: input.note, expectedStatus: input.expectedStatus, subscription: input.subscription })
  }
  restore(input: ParsedInputOf<'lifecycle:restore'>): Promise<LifecycleOutcome> {
    return this.transition('restore', input.id, { reason: null, note: input.note, expectedStatus: input.expectedStatus })
  }

  /**
   * Suspend or reactivate inside the caller's transaction (incident mode: many tenants, one
   * transaction), with the same rules and audit rows as one at a time. The caller commits
   * and evicts the app's cache; `rows` receives the tenant's row after the change.
   */
  transitionWithin(kind: 'suspend' | 'reactivate', id: string, within: Within, opts: { reason: string; note?: string; returnTo?: 'active' | 'trial' }): Promise<LifecycleOutcome> {
    return this.transition(kind, id, { ...opts, within })
  }

  private async transition(
    kind: TransitionKind,
    id: string,
    opts: { reason: string | null; note?: string; expectedStatus?: string; returnTo?: 'active' | 'trial'; within?: Within; subscription?: 'period_end' | 'now' }
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

    const step = async (c: Queryable): Promise<{ row: Row; changed: boolean }> => {
      await c.query(`SET LOCAL lock_timeout = '5s'`)
      const cur = await lockTenant(c, id)
      const row = cur.row
      const from = String(row.status ?? '')
      const slug = String(row.slug ?? '')
      const summary = { id, slug, status: from, updatedAt: iso(row.updated_at), version: cur.version }
      const back = kind === 'reactivate' && from === 'suspended' ? this.returnStatus(row, layout, opts.returnTo, summary) : null
      const to = back?.status ?? spec.to
      if (from === to) return { row, changed: false }
      if (opts.expectedStatus && opts.expectedStatus !== from) {
        throw new AppError('CONFLICT', `Tenant ${slug} is now ${from} (another operator changed it). Nothing was done.`, { current: summary })
      }
      if (!spec.from.includes(from)) {
        throw new AppError('CONFLICT', `Tenant ${slug} is ${from}; it cannot be ${spec.verb} from that status.`, { current: summary })
      }
      const onTemplate = kind === 'suspend' || kind === 'cancel' ? templateTenantReason(String(row.schema_name ?? ''), target.templateSchema) : null
      if (onTemplate) throw new AppError('UNSUPPORTED', onTemplate, { current: summary })
      const actor = await actorFor(c, target.operator)
      const now = new Date().toISOString()
      const sets: string[] = ['status = $2']
      const params: unknown[] = [id, to, from]
      const meta = obj(row.metadata)
      let nextMeta: Record<string, unknown> | null = null
      const stamp = { at: now, by: actor.email || actor.name, dbRole: actor.dbRole }
      if (kind === 'suspend') {
        if (has('suspended_at')) sets.push('suspended_at = now()')
        nextMeta = { ...meta, consoleSuspension: { reason: opts.reason, note, previousStatus: from, ...stamp } }
      } else if (kind === 'reactivate') {
        if (has('suspended_at')) sets.push('suspended_at = NULL')
        if (back?.restartTrial && has('trial_ends_at')) sets.push(`trial_ends_at = now() + make_interval(days => ${this.trialDays})`)
        const { consoleSuspension: _s, ...rest } = meta
        nextMeta = { ...rest, consoleLastReactivation: { reason: opts.reason, note, returnedTo: to, trialRestarted: Boolean(back?.restartTrial), ...stamp } }
      } else if (kind === 'cancel') {
        if (has('cancelled_at')) sets.push('cancelled_at = now()')
        const subscription = str(row.stripe_subscription_id ?? meta.stripeSubscriptionId)
        // Billing (billing/cancel.ts) carries the operator's choice out once, after the commit, and consumes the marker.
        const when = opts.subscription ?? 'period_end'
        nextMeta = { ...meta, consoleCancellation: { note, previousStatus: from, stripe: subscription ? 'pending' : 'none', subscriptionId: subscription, when, ...stamp } }
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
      const pick = (r: Row) => ({
        status: r.status ?? null,
        suspended_at: r.suspended_at ?? null,
        cancelled_at: r.cancelled_at ?? null,
        ...(back?.restartTrial ? { trial_ends_at: r.trial_ends_at ?? null } : {})
      })
      const before = pick(row)
      const after = pick(nrow)
      await writeTenantAudit(c, layout, { tenantId: id, action: spec.action, actor, reason: opts.reason, note, before, after })
      await writeOperatorLog(c, {
        action: spec.action,
        actor,
        tenantId: id,
        slug,
        schema: str(row.schema_name),
        params: { reason: opts.reason, note, before, after, ...(kind === 'cancel' ? { subscription: opts.subscription ?? 'period_end' } : {}) }
      })
      return { row: nrow, changed: true }
    }
    // Inside the caller's transaction (incident mode): the caller commits and evicts the cache.
    const res = opts.within ? await step(opts.within.client) : await this.db.tx(step)
    opts.within?.rows.push(res.row)
    const slug = String(res.row.slug ?? '')
    const billing = kind === 'cancel' && res.changed && !opts.within ? await this.cancelBilling(id) : { done: null, warning: null }
    const ev = res.changed && !opts.within ? await evictTenantKeys(target.redisUrl, tenantCacheKeys(slug, [str(res.row.custom_domain)])) : { evicted: [], warning: null }
    return {
      tenantId: id,
      slug,
      status: String(res.row.status ?? ''),
      changed: res.changed,
      message: (res.changed
        ? `Tenant ${slug} was ${spec.verb}${kind === 'reactivate' && res.row.status !== 'active' ? ` (back to ${String(res.row.status)})` : ''}.`
        : `Tenant ${slug} already was ${String(res.row.status ?? spec.to)}; nothing changed.`) + (billing.done ? ` ${billing.done}` : ''),
      warnings: [...(ev.warning ? [ev.warning] : []), ...(billing.warning ? [billing.warning] : [])],
      evictedKeys: ev.evicted
    }
  }

  /**
   * The status a suspended tenant returns to: the one the console recorded when it
   * suspended it (a trial stays a trial), else active. A trial whose end has passed is
   * refused until the operator chooses (returnTo): active, or trial restarted.
   */
  private returnStatus(row: Row, layout: Layout, returnTo: 'active' | 'trial' | undefined, current: Record<string, unknown>): { status: string; restartTrial: boolean } {
    const prev = str(obj(obj(row.metadata).consoleSuspension).previousStatus)
    const allowed = (st: string) => !layout.statuses.length || layout.statuses.includes(st)
    const previous = prev && prev !== 'suspended' && prev !== 'cancelled' && allowed(prev) ? prev : 'active'
    if (returnTo === 'active') return { status: 'active', restartTrial: false }
    const ends = row.trial_ends_at ? new Date(String(row.trial_ends_at)) : null
    const ended = ends !== null && ends.getTime() <= Date.now()
    if (returnTo === 'trial') {
      if (!allowed('trial')) throw new AppError('UNSUPPORTED', 'This database does not allow the status "trial".')
      return { status: 'trial', restartTrial: ended || ends === null }
    }
    if (previous === 'trial' && ended) {
      throw new AppError(
        'CONFLICT',
        `Tenant ${String(row.slug ?? '')} was on a trial when it was suspended, and the trial ended on ${ends.toISOString().slice(0, 10)}. Choose: reactivate it as active, or as a trial restarted for ${this.trialDays} days.`,
        { trialEnded: true, status: current.status }
      )
    }
    return { status: previous, restartTrial: false }
  }

  // ---------------------------------------------------------------- bulk

  async bulk(input: ParsedInputOf<'lifecycle:bulk'>): Promise<BulkOutcome> {
    const results: BulkItemResult[] = []
    const warnings = new Set<string>()
    let ids: string[]
    if ('ids' in input) ids = [...new Set(input.ids)]
    else {
      if (!this.resolveMatching) throw new AppError('UNSUPPORTED', 'Select all matching is not available here; tick the tenants instead.')
      ids = await this.resolveMatching(input.matching, input.expected, MAX_MATCHING.lifecycle)
    }
    for (const id of ids) {
      try {
        const r = await this.transition(input.action, id, { reason: input.reason, note: input.note })
        r.warnings.forEach((w) => warnings.add(w))
        results.push({ id, slug: r.slug, outcome: r.changed ? 'changed' : 'unchanged', status: r.status, code: null, message: r.message })
      } catch (e) {
        const f = failedItem(id, e)
        results.push(f.item)
        if (f.dbDown) this.session.invalidate()
      }
    }
    return bulkSummary(input.action, results, warnings)
  }

  // ---------------------------------------------------------------- hard delete (hard-delete.ts)

  deletePreview(id: string): Promise<DeletePreview> {
    return this.deleter.deletePreview(id)
  }

  hardDelete(input: ParsedInputOf<'lifecycle:hardDelete'>): Promise<HardDeleteOutcome> {
    return this.deleter.hardDelete(input)
  }
}
