/** After a restore as a copy (or into scratch): the restored schema must stand on its own. */
import type pg from 'pg'
import { AppError } from '../core/errors'

/** Refuses a restored copy that still depends on, or names, the source schema. */
export async function checkNoSourceReferences(c: pg.ClientBase, schema: string, source: string): Promise<void> {
  const deps = await c.query<{ obj: string; ref: string }>(
    `WITH ns AS (SELECT (SELECT oid FROM pg_namespace WHERE nspname = $1) AS new, (SELECT oid FROM pg_namespace WHERE nspname = $2) AS old),
     newobj AS (
       SELECT 'pg_class'::regclass AS classid, c.oid AS objid FROM pg_class c, ns WHERE c.relnamespace = ns.new
       UNION ALL SELECT 'pg_proc'::regclass, p.oid FROM pg_proc p, ns WHERE p.pronamespace = ns.new
       UNION ALL SELECT 'pg_type'::regclass, t.oid FROM pg_type t, ns WHERE t.typnamespace = ns.new
       UNION ALL SELECT 'pg_constraint'::regclass, k.oid FROM pg_constraint k, ns WHERE k.connamespace = ns.new
       UNION ALL SELECT 'pg_attrdef'::regclass, d.oid FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid, ns WHERE c.relnamespace = ns.new
       UNION ALL SELECT 'pg_policy'::regclass, po.oid FROM pg_policy po JOIN pg_class c ON c.oid = po.polrelid, ns WHERE c.relnamespace = ns.new
       UNION ALL SELECT 'pg_trigger'::regclass, tg.oid FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid, ns WHERE c.relnamespace = ns.new
       UNION ALL SELECT 'pg_rewrite'::regclass, rw.oid FROM pg_rewrite rw JOIN pg_class c ON c.oid = rw.ev_class, ns WHERE c.relnamespace = ns.new
     ),
     oldobj AS (
       SELECT 'pg_class'::regclass AS classid, c.oid AS objid FROM pg_class c, ns WHERE c.relnamespace = ns.old
       UNION ALL SELECT 'pg_proc'::regclass, p.oid FROM pg_proc p, ns WHERE p.pronamespace = ns.old
       UNION ALL SELECT 'pg_type'::regclass, t.oid FROM pg_type t, ns WHERE t.typnamespace = ns.old
       UNION ALL SELECT 'pg_namespace'::regclass, ns.old FROM ns WHERE ns.old IS NOT NULL
     )
     SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS obj, pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) AS ref
       FROM pg_depend d
       JOIN newobj n ON n.classid = d.classid AND n.objid = d.objid
       JOIN oldobj o ON o.classid = d.refclassid AND o.objid = d.refobjid
      LIMIT 10`,
    [schema, source]
  )
  if (deps.rowCount) {
    throw new AppError('INTERNAL', `The restored copy would still depend on the source schema (${deps.rows[0]!.obj} → ${deps.rows[0]!.ref}); it was rolled back.`)
  }
  const fns = await c.query<{ name: string; src: string | null; cfg: string | null }>(
    `SELECT p.proname AS name, p.prosrc AS src, array_to_string(p.proconfig, ',') AS cfg
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1`,
    [schema]
  )
  const esc = source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const re = new RegExp(`(^|[^A-Za-z0-9_$])"?${esc}"?([^A-Za-z0-9_$]|$)`, 'i')
  const named = fns.rows.filter((f) => re.test(f.src ?? '') || re.test(f.cfg ?? ''))
  if (named.length) {
    throw new AppError(
      'UNSUPPORTED',
      `The restored copy has functions whose text names the source schema ${source} (${named.map((f) => f.name).slice(0, 5).join(', ')}); renaming cannot change function bodies, so the copy was rolled back. Restore into the same tenant instead, or edit those functions first.`
    )
  }
}
