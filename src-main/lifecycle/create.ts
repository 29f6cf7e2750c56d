/**
 * Creating a tenant: the template schema cloned at full fidelity (cloner.ts, one plan per
 * template fingerprint), checked for parity (parity.ts), the owner added as its first
 * user, the public.tenants row written and audited, all in one transaction.
 */
import type { CreateOutcome, ParsedInputOf } from '../../src-preload/contract'
import { checkSlug } from '../../src-preload/contract'
import { PLANS } from '../domain/plans'
import { plansFor } from '../domain/plan-layouts'
import { AppError } from '../core/errors'
import { assertIdentifier, isProtectedSchema, quoteIdent } from '../core/ident'
import type { Queryable } from '../db/connection'
import { ADMIN_ROLE, SUPPORT_ROLE } from '../session'
import { evictTenantKeys, tenantCacheKeys } from './cache'
import { readShape } from './catalog'
import { executePlan, stripSchema } from './cloner'
import type { LifecycleEnv } from './env'
import { ownerInsert, planOwner } from './owner'
import { compareShapes } from './parity'
import { writeOperatorLog, writeTenantAudit, type Actor } from './repository'
import { str, type Row } from './values'

export class TenantCreator {
  constructor(private readonly env: LifecycleEnv) {}

  async create(input: ParsedInputOf<'lifecycle:create'>): Promise<CreateOutcome> {
    const started = performance.now()
    const target = this.env.target()
    const layout = await this.env.layout()
    if (layout.kind === 'unknown') {
      throw new AppError('UNSUPPORTED', 'Creating tenants is supported on the 030 and the newer tenancy layouts; this database uses neither.')
    }
    const slugCheck = checkSlug(input.slug, target.tenantPrefix)
    if (!slugCheck.ok) throw new AppError('INVALID_INPUT', slugCheck.problem)
    const slug = slugCheck.slug
    const schemaName = assertIdentifier(slugCheck.schemaName, 'schema name')
    if (isProtectedSchema(schemaName, target.templateSchema)) {
      throw new AppError('INVALID_INPUT', `The schema name ${schemaName} is reserved.`)
    }
    const planValues = plansFor(layout.kind).defaults(input.plan)
    if (!planValues || (layout.plans.length > 0 && !layout.plans.includes(input.plan))) {
      throw new AppError('INVALID_INPUT', `Unknown plan "${input.plan}". Choose one of: ${(layout.plans.length ? layout.plans : Object.keys(PLANS)).join(', ')}.`)
    }
    // The newer layout's columns are varchar(n): say so instead of failing on a long value.
    for (const [col, v] of [['slug', slug], ['name', input.name], ['owner_name', input.ownerName]] as const) {
      const max = layout.tenantColumnLengths.get(col)
      if (max && v.length > max) throw new AppError('INVALID_INPUT', `This database allows at most ${max} characters for the tenant's ${col.replace('_', ' ')}.`)
    }
    const plan = { id: input.plan, ...planValues }
    const template = target.templateSchema
    let cloneMs = 0
    let parityMs = 0
    let ddlCached = false

    const out = await this.env.db.tx(async (c) => {
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
      const { plan: clonePlan, cached } = await this.env.clonePlans().plan(c, template)
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

      // The owner is the tenant's first user where the template has a users table that fits.
      let ownerUserId: string | null = null
      const ownerPlan = planOwner(template, clonePlan.users, layout.hasInvitations)
      if (ownerPlan.mode === 'user' && clonePlan.users) {
        const ins = ownerInsert(clonePlan.users, input)
        if ('missing' in ins) throw new AppError('INTERNAL', 'The owner could not be added.')
        const hasId = clonePlan.users.columns.some((x) => x.name === 'id')
        const r = await c.query<{ id: unknown }>(
          `INSERT INTO ${q}.${clonePlan.users.qn} (${ins.columns.map((k) => quoteIdent(k)).join(', ')}) VALUES (${ins.exprs.join(', ')})${hasId ? ' RETURNING id' : ''}`,
          ins.params
        )
        ownerUserId = r.rows[0]?.id !== undefined ? String(r.rows[0].id) : null
      }
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
      const trialVal = input.trial && layout.tenantColumns.has('trial_ends_at') ? `, now() + make_interval(days => ${this.env.trialDays})` : ''
      const row = await c.query<{ row: Row }>(
        `INSERT INTO public.tenants (${use.map(([k]) => k).join(', ')}${trialSql})
         VALUES (${use.map(([, cast], i) => cast.replace('$', `$${i + 1}`)).join(', ')}${trialVal})
         RETURNING to_jsonb(tenants.*) AS row`,
        use.map(([, , v]) => v)
      )
      const created = row.rows[0]!.row
      const tenantId = String(created.id)
      if (layout.hasSettings) await c.query(`INSERT INTO public.tenant_settings (tenant_id) VALUES ($1)`, [tenantId])
      if (ownerPlan.mode === 'invitation') await inviteOwner(c, tenantId, input.ownerEmail, this.env.trialDays)
      const after = {
        status,
        slug,
        schemaName,
        plan: plan.id,
        billingInterval: input.billingInterval,
        trialEndsAt: str(created.trial_ends_at),
        ownerEmail: input.ownerEmail,
        owner: ownerPlan.mode
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
      return { tenantId, status, ownerPlan }
    })

    const ev = await evictTenantKeys(target.redisUrl, tenantCacheKeys(slug))
    return {
      tenantId: out.tenantId,
      slug,
      status: out.status,
      changed: true,
      message: `Tenant ${slug} was created with schema ${schemaName}.`,
      warnings: [...(out.ownerPlan.mode === 'user' ? [] : [out.ownerPlan.message]), ...(ev.warning ? [ev.warning] : [])],
      evictedKeys: ev.evicted,
      schemaName,
      timings: { totalMs: Math.round(performance.now() - started), cloneMs: Math.round(cloneMs), parityMs: Math.round(parityMs), ddlCached }
    }
  }

  private protectedOnce = new Map<string, number>()

  /** Registers the template as protected (add-only) once per connection. */
  private async protectTemplate(c: Queryable, template: string): Promise<void> {
    if (this.protectedOnce.get(template) === this.env.db.gen) return
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
    if (x.can || x.has) this.protectedOnce.set(template, this.env.db.gen)
  }
}

/** An invitation for the owner (030's tenant_invitations: role owner, a random token, expiring). */
async function inviteOwner(c: Queryable, tenantId: string, email: string, days: number): Promise<void> {
  await c.query(
    `INSERT INTO public.tenant_invitations (tenant_id, email, role, token, expires_at)
     VALUES ($1, $2, 'owner', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), now() + make_interval(days => $3))`,
    [tenantId, email, Math.max(days, 7)]
  )
}
