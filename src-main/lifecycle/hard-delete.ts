/**
 * Hard delete: the preview (what would be dropped, and every reason it may not be) and the
 * delete itself, which public.hard_delete_tenant performs with its own checks (migration
 * 0004); its refusals come back as hints, mapped to errors here and put on record.
 */
import type { DeletePreview, HardDeleteOutcome, ParsedInputOf } from '../../src-preload/contract'
import { archiveTenantAudit } from '../audit'
import { AppError, toAppError } from '../core/errors'
import { isProtectedSchema, quoteIdent } from '../core/ident'
import { log } from '../core/logger'
import { evictTenantKeys, tenantCacheKeys } from './cache'
import type { LifecycleEnv } from './env'
import { actorFor, readTenant, writeOperatorLog, type Actor } from './repository'
import { iso, str } from './values'

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

export class HardDelete {
  constructor(private readonly env: LifecycleEnv) {}

  async deletePreview(id: string): Promise<DeletePreview> {
    const target = this.env.target()
    await this.env.layout()
    return this.env.db.tx(async (c) => {
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
      // A backup taken while the schema was missing (public rows only) counts only while it still is (migration 0016).
      const backup = await c.query<{ id: string; file_name: string; finished_at: string | null; verified_at: string | null; rows_only: boolean; usable: boolean }>(
        `SELECT id::text, file_name, finished_at, verified_at, rows_only, ($3 OR NOT rows_only) AS usable
           FROM console.backup_catalog b,
                -- (to_jsonb: the manifest column comes with migration 0005, which a database may lack)
                LATERAL (SELECT coalesce(to_jsonb(b) -> 'manifest' ->> 'schemaMissing', 'false') = 'true' AS rows_only) x
          WHERE tenant_id = $1 AND lower(tenant_schema) = lower($2) AND status = 'succeeded' AND verified_at IS NOT NULL
            AND coalesce(finished_at, started_at) > now() - interval '24 hours'
          ORDER BY usable DESC, coalesce(finished_at, started_at) DESC LIMIT 1`,
        [id, schemaName, resolved === null]
      )
      const found = backup.rows[0]
      const b = found?.usable ? found : undefined
      if (found && !b) {
        blockers.push(`The verified backup holds no schema (it was missing when the backup was taken), but schema ${resolved} exists now. Back the tenant up again first (Backups).`)
      } else if (!b) blockers.push('There is no verified backup of this tenant younger than 24 hours. Export and verify a backup first (Backups).')
      const fn = await c.query<{ ok: boolean }>(
        `SELECT to_regprocedure('public.hard_delete_tenant(uuid, text, text, text, integer, jsonb)') IS NOT NULL AS ok`
      )
      if (!fn.rows[0]?.ok) blockers.push("The console's migrations have not been applied to this database (they provide hard_delete_tenant).")
      const cancelledAt = iso(row.cancelled_at)
      const graceEnds = cancelledAt ? new Date(new Date(cancelledAt).getTime() + this.env.graceDays * 86_400_000) : null
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
        graceDays: this.env.graceDays,
        graceEndsAt: graceEnds ? graceEnds.toISOString() : null,
        insideGrace,
        backup: b ? { id: b.id, fileName: b.file_name, finishedAt: iso(b.finished_at), verifiedAt: iso(b.verified_at), schemaMissing: b.rows_only } : null,
        blockers,
        canDelete: blockers.length === 0
      }
    })
  }

  async hardDelete(input: ParsedInputOf<'lifecycle:hardDelete'>): Promise<HardDeleteOutcome> {
    const target = this.env.target()
    const layout = await this.env.layout()
    const cur = await readTenant(this.env.db, input.id)
    if (!cur) throw new AppError('NOT_FOUND', 'That tenant no longer exists. It may have been deleted by another operator.')
    const slug = String(cur.row.slug ?? '')
    if (input.confirmSlug !== slug) {
      throw new AppError('INVALID_INPUT', 'The slug you typed does not match this tenant’s slug. Nothing was deleted.')
    }
    const override = input.overrideReason?.trim() || null
    let actor: Actor | null = null
    try {
      const r = await this.env.db.tx(async (c) => {
        actor = await actorFor(c, target.operator)
        // The app's audit rows of this tenant would go with it (ON DELETE CASCADE): keep a copy first.
        await archiveTenantAudit(c, layout.auditTable, input.id, slug)
        const x = await c.query<{ r: { schema: string | null; tables: string[] } }>(
          `SELECT public.hard_delete_tenant($1, $2, $3, $4, $5, $6::jsonb) AS r`,
          [
            input.id,
            input.expectedSchema,
            target.templateSchema,
            target.tenantPrefix,
            this.env.graceDays,
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
      await this.env.db
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
