/**
 * Orphan schemas (tenant_* schemas that no tenant row names), from the audit's finding:
 *   adopt: a tenant row is created for the schema (slug and name derived, editable; a slug
 *          whose schema name differs renames the schema), suspended until someone checks it,
 *          audited like a tenant creation;
 *   drop:  backed up with the backup machinery (a verified file, catalogued), then dropped by
 *          console.drop_orphan_schema (migration 0014), which itself refuses without that
 *          verified backup. No backup, no drop.
 */
import type { OrphanAdopted, OrphanDropped, OrphanSuggestion, ParsedInputOf } from '../../src-preload/contract'
import { checkSlug, schemaNameFor } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import { quoteIdent } from '../core/ident'
import type { ConnectionManager, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import { plansFor } from '../domain/plan-layouts'
import { actorFor, writeOperatorLog, writeTenantAudit } from '../lifecycle'

export interface OrphanDeps {
  db: ConnectionManager
  layout: () => Promise<Layout>
  /** The backup machinery: a verified backup of a schema without a tenant row. */
  backupSchema: (schema: string, slug: string) => Promise<{ id: string; status: string; verifiedAt: string | null; filePath: string }>
}

const HINTS: Record<string, string> = {
  'nchat:not_found': 'That schema no longer exists.',
  'nchat:protected': 'That schema is protected (the template, a system schema, or one holding an extension); the console never drops it.',
  'nchat:not_orphan': 'A tenant row names that schema now: it is no longer an orphan. Nothing was dropped.',
  'nchat:no_backup': 'There is no verified backup of that schema from the last hour, so it was not dropped.'
}

export class Orphans {
  constructor(private readonly deps: OrphanDeps) {}

  private target() {
    const t = this.deps.db.target
    if (!t) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return t
  }

  /** The schema exists, is named like a tenant's, is not protected and no tenant row names it. */
  private async checkOrphan(db: Queryable, schema: string): Promise<{ tables: number }> {
    const t = this.target()
    const layout = await this.deps.layout()
    if (!layout.tenantColumns.has('schema_name')) throw new AppError('UNSUPPORTED', 'public.tenants has no schema_name column: schemas cannot be matched to tenants here.')
    if (!schema.startsWith(t.tenantPrefix) || schema.length <= t.tenantPrefix.length || schema.toLowerCase() === t.templateSchema.toLowerCase()) {
      throw new AppError('INVALID_INPUT', `Only schemas named like tenants ("${t.tenantPrefix}…") can be adopted or dropped here.`)
    }
    const r = await db.query<{ exists: boolean; named: boolean; protected: boolean; tables: number }>(
      `SELECT n.oid IS NOT NULL AS exists,
              EXISTS (SELECT 1 FROM public.tenants x WHERE $1 IN (x.schema_name, lower(x.schema_name))) AS named,
              (to_regclass('console.protected_schemas') IS NOT NULL AND EXISTS (SELECT 1 FROM console.protected_schemas ps WHERE lower(ps.schema_name) = lower($1))) AS protected,
              (SELECT count(*)::int FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')) AS tables
         FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1`,
      [schema]
    )
    const x = r.rows[0]!
    if (!x.exists) throw new AppError('NOT_FOUND', `There is no schema ${schema} (any more). Run the audit again.`)
    if (x.named) throw new AppError('CONFLICT', `A tenant row names ${schema} now: it is no longer an orphan. Run the audit again.`)
    if (x.protected) throw new AppError('FORBIDDEN', HINTS['nchat:protected']!)
    return { tables: x.tables }
  }

  async suggest(schema: string): Promise<OrphanSuggestion> {
    const t = this.target()
    const { tables } = await this.checkOrphan(this.deps.db, schema)
    const slug = schema.slice(t.tenantPrefix.length).replace(/_/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-')
    const check = checkSlug(slug, t.tenantPrefix)
    const name = slug.split('-').filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ') || schema
    return { schema, slug, name, problem: check.ok ? null : check.problem, tables }
  }

  async adopt(input: ParsedInputOf<'health:orphanAdopt'>): Promise<OrphanAdopted> {
    const target = this.target()
    const layout = await this.deps.layout()
    const check = checkSlug(input.slug.trim(), target.tenantPrefix)
    if (!check.ok) throw new AppError('INVALID_INPUT', check.problem)
    const has = (c: string) => layout.tenantColumns.has(c)
    const planCol = has('billing_plan') ? 'billing_plan' : has('plan') ? 'plan' : null
    const plan = layout.plans.includes('free') || !layout.plans.length ? 'free' : layout.plans[0]!
    const defaults = plansFor(layout.kind).defaults(plan)
    try {
      return await this.deps.db.tx(async (c) => {
        await c.query(`SET LOCAL lock_timeout = '5s'`)
        await this.checkOrphan(c, input.schema)
        const schema = schemaNameFor(check.slug, target.tenantPrefix)
        if (schema !== input.schema) {
          const taken = await c.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])
          if (taken.rows.length) throw new AppError('CONFLICT', `The slug ${check.slug} needs the schema ${schema}, which exists already. Choose another slug.`)
          await c.query(`ALTER SCHEMA ${quoteIdent(input.schema)} RENAME TO ${quoteIdent(schema)}`)
        }
        const actor = await actorFor(c, target.operator)
        const now = new Date().toISOString()
        const metadata = {
          createdBy: 'nchat-console',
          adoptedSchema: input.schema,
          consoleOverrides: { limits: {}, features: {} },
          // Suspended until someone has looked at it; reactivating returns it to active.
          consoleSuspension: { reason: 'other', note: `Adopted orphan schema ${input.schema}: check its data before reactivating.`, previousStatus: 'active', at: now, by: actor.email || actor.name, dbRole: actor.dbRole }
        }
        const cols: [string, string, unknown][] = [
          ['name', '$', input.name.trim()],
          ['slug', '$', check.slug],
          ['status', '$', 'suspended'],
          ['owner_email', '$', input.ownerEmail],
          ['owner_name', '$', input.ownerName.trim()],
          ['schema_name', '$', schema],
          ...(planCol ? ([[planCol, '$', plan]] as [string, string, unknown][]) : []),
          ['limits', '$::jsonb', defaults ? JSON.stringify(defaults.limits) : null],
          ['features', '$::jsonb', defaults ? JSON.stringify(defaults.features) : null],
          ['metadata', '$::jsonb', JSON.stringify(metadata)]
        ]
        const use = cols.filter(([k, , v]) => has(k) && v !== null)
        const ins = await c.query<{ id: string }>(
          `INSERT INTO public.tenants (${use.map(([k]) => quoteIdent(k)).join(', ')}${has('suspended_at') ? ', suspended_at' : ''})
           VALUES (${use.map(([, cast], i) => cast.replace('$', `$${i + 1}`)).join(', ')}${has('suspended_at') ? ', now()' : ''}) RETURNING id::text AS id`,
          use.map(([, , v]) => v)
        )
        const tenantId = ins.rows[0]!.id
        if (layout.hasSettings) await c.query(`INSERT INTO public.tenant_settings (tenant_id) VALUES ($1)`, [tenantId])
        const after = { status: 'suspended', slug: check.slug, schemaName: schema, adoptedSchema: input.schema, plan, ownerEmail: input.ownerEmail }
        await writeTenantAudit(c, layout, { tenantId, action: 'tenant.adopt', actor, before: null, after })
        await writeOperatorLog(c, { action: 'health.orphan_adopt', actor, tenantId, slug: check.slug, schema, params: { after } })
        return { tenantId, slug: check.slug, schema, status: 'suspended', plan: planCol ? plan : null }
      })
    } catch (e) {
      const code = (e as { code?: string }).code
      if (code === '42501') throw new AppError('FORBIDDEN', 'Adopting a schema needs the admin console role (and, to rename it, ownership of the schema); the database refused it. Nothing was changed.')
      if (code === '23505') throw new AppError('CONFLICT', `A tenant with the slug ${input.slug} (or that schema) exists already. Choose another slug.`)
      throw e
    }
  }

  async drop(input: ParsedInputOf<'health:orphanDrop'>): Promise<OrphanDropped> {
    const target = this.target()
    if (input.confirmSchema !== input.schema) throw new AppError('INVALID_INPUT', `Type the schema name ${input.schema} exactly to confirm.`)
    await this.checkOrphan(this.deps.db, input.schema)
    // Admins only, before the (long) backup: the function is the admin group's.
    const can = await this.deps.db.query<{ ok: boolean }>(
      `SELECT to_regprocedure('console.drop_orphan_schema(text, uuid, text, text, jsonb)') IS NOT NULL
              AND has_function_privilege('console.drop_orphan_schema(text, uuid, text, text, jsonb)', 'EXECUTE') AS ok`
    )
    if (!can.rows[0]?.ok) throw new AppError('FORBIDDEN', 'Dropping a schema needs the admin console role and the console migrations (0014). Nothing was changed.')
    let backup: Awaited<ReturnType<OrphanDeps['backupSchema']>>
    try {
      backup = await this.deps.backupSchema(input.schema, `orphan-${input.schema.slice(target.tenantPrefix.length).replace(/_/g, '-')}`.slice(0, 100))
    } catch (e) {
      throw new AppError('CONFLICT', `The backup of ${input.schema} failed, so the schema was not dropped: ${toAppError(e).message}`)
    }
    if (backup.status !== 'succeeded' || !backup.verifiedAt) throw new AppError('CONFLICT', `The backup of ${input.schema} could not be verified, so the schema was not dropped.`)
    try {
      const r = await this.deps.db.query<{ out: { tables: string[] } }>(`SELECT console.drop_orphan_schema($1, $2, $3, $4, $5) AS out`, [
        input.schema,
        backup.id,
        target.templateSchema,
        target.tenantPrefix,
        JSON.stringify({ operatorName: target.operator.name, operatorEmail: target.operator.email })
      ])
      return { schema: input.schema, backupId: backup.id, backupFile: backup.filePath, tables: r.rows[0]!.out.tables }
    } catch (e) {
      const hint = (e as { hint?: string }).hint
      if (hint && HINTS[hint]) throw new AppError(hint === 'nchat:protected' ? 'FORBIDDEN' : 'CONFLICT', `${HINTS[hint]} The backup is kept.`)
      if ((e as { code?: string }).code === '42501') throw new AppError('FORBIDDEN', 'The database refused the drop for this login (admin console role needed). The backup is kept.')
      throw e
    }
  }
}
