import type { Queryable } from '../db/connection'
import { quoteIdent } from '../core/ident'

/**
 * Reads a schema's shape from the catalog: every object the clone must reproduce,
 * with definitions rendered by PostgreSQL itself (pg_get_*def, format_type).
 *
 * Run it with `search_path` set to that schema only (see `readShape`): references to
 * objects inside the schema then come out unqualified and references to anything
 * else (public functions, pg_catalog types) qualified, so the same text re-pointed at
 * another schema resolves inside it. The same reader is used on the template (to
 * generate the DDL) and on the new schema (for the parity check).
 *
 * Objects are found through pg_depend (every table, view, sequence, type and function
 * depends on its namespace; that lookup is indexed), never by scanning pg_class by
 * relnamespace, which is a sequential scan on a database with 10,000 tenant schemas.
 */

export interface AclEntry {
  grantee: string
  priv: string
  grantable: boolean
}
export interface ShapeColumn {
  name: string
  qn: string
  type: string
  notNull: boolean
  default: string | null
  generated: string | null
  identity: string
  collation: string | null
  comment: string | null
  acl: AclEntry[]
}
export interface ShapeConstraint {
  name: string
  qn: string
  type: string
  def: string
  local: boolean
  comment: string | null
}
export interface ShapeIndex {
  name: string
  qn: string
  def: string
  constraint: boolean
  clustered: boolean
  comment: string | null
}
export interface ShapeTrigger {
  name: string
  qn: string
  def: string
  enabled: string
  constraint: boolean
  comment: string | null
}
export interface ShapePolicy {
  name: string
  qn: string
  permissive: boolean
  cmd: string
  roles: string[]
  qual: string | null
  check: string | null
  comment: string | null
}
export interface ShapeRelation {
  name: string
  qn: string
  kind: string
  persistence: string
  rls: boolean
  forceRls: boolean
  options: string[] | null
  replident: string
  partitioned: boolean
  inherits: boolean
  rules: number
  comment: string | null
  acl: AclEntry[]
  viewDef: string | null
  columns: ShapeColumn[]
  constraints: ShapeConstraint[]
  indexes: ShapeIndex[]
  triggers: ShapeTrigger[]
  policies: ShapePolicy[]
}
export interface ShapeSequence {
  name: string
  qn: string
  type: string
  start: string
  inc: string
  min: string
  max: string
  cache: string
  cycle: boolean
  identity: boolean
  ownedBy: { table: string; column: string; sameSchema: boolean } | null
  comment: string | null
  acl: AclEntry[]
}
export interface ShapeType {
  name: string
  qn: string
  kind: string
  labels: string[] | null
  base: string | null
  notNull: boolean
  default: string | null
  collation: string | null
  checks: { name: string; qn: string; def: string }[] | null
  attrs: { qn: string; type: string }[] | null
  comment: string | null
  acl: AclEntry[]
}
export interface ShapeFunction {
  name: string
  qn: string
  kind: string
  args: string
  def: string | null
  comment: string | null
  acl: AclEntry[]
}
export interface SchemaShape {
  schema: string
  qs: string
  owner: string
  comment: string | null
  acl: AclEntry[]
  otherClasses: string[]
  extensions: string[]
  types: ShapeType[]
  functions: ShapeFunction[]
  sequences: ShapeSequence[]
  relations: ShapeRelation[]
}

/** ACL as rows; the owner is written `<owner>` so shapes of differently owned schemas compare. */
function acl(aclExpr: string, kind: string, ownerExpr: string): string {
  return `(SELECT coalesce(jsonb_agg(jsonb_build_object(
      'grantee', CASE WHEN x.grantee = 0 THEN 'PUBLIC' WHEN x.grantee = ${ownerExpr} THEN '<owner>' ELSE x.grantee::regrole::text END,
      'priv', x.privilege_type, 'grantable', x.is_grantable)), '[]'::jsonb)
     FROM aclexplode(coalesce(${aclExpr}, acldefault('${kind}', ${ownerExpr}))) x)`
}

function columnAcl(aclExpr: string, ownerExpr: string): string {
  return `(SELECT coalesce(jsonb_agg(jsonb_build_object(
      'grantee', CASE WHEN x.grantee = 0 THEN 'PUBLIC' WHEN x.grantee = ${ownerExpr} THEN '<owner>' ELSE x.grantee::regrole::text END,
      'priv', x.privilege_type, 'grantable', x.is_grantable)), '[]'::jsonb)
     FROM aclexplode(${aclExpr}) x)`
}

const SHAPE_SQL = `
WITH nsp AS (
  SELECT n.oid, n.nspname, n.nspowner, n.nspacl FROM pg_namespace n WHERE n.nspname = $1
), objs AS (
  SELECT d.classid, d.objid FROM pg_depend d JOIN nsp ON d.refobjid = nsp.oid
   WHERE d.refclassid = 'pg_namespace'::regclass AND d.deptype = 'n'
), rels AS (
  SELECT c.* FROM pg_class c JOIN objs o ON o.classid = 'pg_class'::regclass AND o.objid = c.oid
)
SELECT jsonb_build_object(
  'schema', nsp.nspname,
  'qs', quote_ident(nsp.nspname),
  'owner', nsp.nspowner::regrole::text,
  'comment', obj_description(nsp.oid, 'pg_namespace'),
  'acl', ${acl('nsp.nspacl', 'n', 'nsp.nspowner')},
  'otherClasses', (SELECT coalesce(jsonb_agg(DISTINCT o.classid::regclass::text), '[]'::jsonb) FROM objs o
                    WHERE o.classid NOT IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass)),
  'extensions', (SELECT coalesce(jsonb_agg(e.extname), '[]'::jsonb) FROM pg_extension e WHERE e.extnamespace = nsp.oid),
  'types', (SELECT coalesce(jsonb_agg(jsonb_build_object(
      'name', t.typname, 'qn', quote_ident(t.typname), 'kind', t.typtype,
      'labels', (SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
      'base', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
      'notNull', t.typnotnull,
      'default', CASE WHEN t.typdefaultbin IS NOT NULL THEN pg_get_expr(t.typdefaultbin, 0) END,
      'collation', CASE WHEN t.typtype = 'd' AND t.typcollation <> 0
                         AND t.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype)
                        THEN (SELECT quote_ident(cl.collname) FROM pg_collation cl WHERE cl.oid = t.typcollation) END,
      'checks', (SELECT jsonb_agg(jsonb_build_object('name', co.conname, 'qn', quote_ident(co.conname), 'def', pg_get_constraintdef(co.oid)) ORDER BY co.conname)
                   FROM pg_constraint co WHERE co.contypid = t.oid),
      'attrs', CASE WHEN t.typtype = 'c' THEN (SELECT jsonb_agg(jsonb_build_object('qn', quote_ident(a.attname), 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                   FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END,
      'comment', obj_description(t.oid, 'pg_type'),
      'acl', ${acl('t.typacl', 'T', 't.typowner')}
    ) ORDER BY t.typname), '[]'::jsonb)
    FROM pg_type t JOIN objs o ON o.classid = 'pg_type'::regclass AND o.objid = t.oid),
  'functions', (SELECT coalesce(jsonb_agg(jsonb_build_object(
      'name', p.proname, 'qn', quote_ident(p.proname), 'kind', p.prokind,
      'args', pg_get_function_identity_arguments(p.oid),
      'def', CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END,
      'comment', obj_description(p.oid, 'pg_proc'),
      'acl', ${acl('p.proacl', 'f', 'p.proowner')}
    ) ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)), '[]'::jsonb)
    FROM pg_proc p JOIN objs o ON o.classid = 'pg_proc'::regclass AND o.objid = p.oid),
  'sequences', (SELECT coalesce(jsonb_agg(jsonb_build_object(
      'name', c.relname, 'qn', quote_ident(c.relname), 'type', format_type(s.seqtypid, NULL),
      'start', s.seqstart::text, 'inc', s.seqincrement::text, 'min', s.seqmin::text, 'max', s.seqmax::text,
      'cache', s.seqcache::text, 'cycle', s.seqcycle,
      'identity', EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i'),
      'ownedBy', (SELECT jsonb_build_object('table', t.relname, 'column', a.attname, 'sameSchema', t.relnamespace = nsp.oid)
                    FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
                     AND d.deptype IN ('a', 'i') LIMIT 1),
      'comment', obj_description(c.oid, 'pg_class'),
      'acl', ${acl('c.relacl', 's', 'c.relowner')}
    ) ORDER BY c.relname), '[]'::jsonb)
    FROM rels c JOIN pg_sequence s ON s.seqrelid = c.oid WHERE c.relkind = 'S'),
  'relations', (SELECT coalesce(jsonb_agg(jsonb_build_object(
      'name', c.relname, 'qn', quote_ident(c.relname), 'kind', c.relkind, 'persistence', c.relpersistence,
      'rls', c.relrowsecurity, 'forceRls', c.relforcerowsecurity, 'options', to_jsonb(c.reloptions),
      'replident', c.relreplident,
      'partitioned', c.relkind = 'p' OR c.relispartition,
      'inherits', EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid),
      'rules', (SELECT count(*) FROM pg_rewrite rw WHERE rw.ev_class = c.oid AND rw.rulename <> '_RETURN'),
      'comment', obj_description(c.oid, 'pg_class'),
      'acl', ${acl('c.relacl', 'r', 'c.relowner')},
      'viewDef', CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
      'columns', (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'name', a.attname, 'qn', quote_ident(a.attname), 'type', format_type(a.atttypid, a.atttypmod),
          'notNull', a.attnotnull,
          'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
          'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
          'identity', a.attidentity::text,
          'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation
                            THEN (SELECT quote_ident(cl.collname) FROM pg_collation cl WHERE cl.oid = a.attcollation) END,
          'comment', col_description(c.oid, a.attnum),
          'acl', ${columnAcl('a.attacl', 'c.relowner')}
        ) ORDER BY a.attnum), '[]'::jsonb)
        FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
        LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
      'constraints', (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'name', co.conname, 'qn', quote_ident(co.conname), 'type', co.contype, 'def', pg_get_constraintdef(co.oid),
          'local', co.conislocal, 'comment', obj_description(co.oid, 'pg_constraint')
        ) ORDER BY co.conname), '[]'::jsonb)
        FROM pg_constraint co WHERE co.conrelid = c.oid AND co.contype IN ('c', 'f', 'p', 'u', 'x')),
      'indexes', (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'name', ic.relname, 'qn', quote_ident(ic.relname), 'def', pg_get_indexdef(i.indexrelid),
          'constraint', EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conrelid = c.oid AND co.conindid = i.indexrelid AND co.contype IN ('p', 'u', 'x')),
          'clustered', i.indisclustered,
          'comment', obj_description(i.indexrelid, 'pg_class')
        ) ORDER BY ic.relname), '[]'::jsonb)
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid),
      'triggers', (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'name', tg.tgname, 'qn', quote_ident(tg.tgname), 'def', pg_get_triggerdef(tg.oid), 'enabled', tg.tgenabled::text,
          'constraint', tg.tgconstraint <> 0, 'comment', obj_description(tg.oid, 'pg_trigger')
        ) ORDER BY tg.tgname), '[]'::jsonb)
        FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal),
      'policies', (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'name', po.polname, 'qn', quote_ident(po.polname), 'permissive', po.polpermissive, 'cmd', po.polcmd::text,
          'roles', (SELECT jsonb_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE r::regrole::text END ORDER BY 1) FROM unnest(po.polroles) r),
          'qual', pg_get_expr(po.polqual, po.polrelid), 'check', pg_get_expr(po.polwithcheck, po.polrelid),
          'comment', obj_description(po.oid, 'pg_policy')
        ) ORDER BY po.polname), '[]'::jsonb)
        FROM pg_policy po WHERE po.polrelid = c.oid)
    ) ORDER BY c.relname), '[]'::jsonb)
    FROM rels c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f'))
) AS shape
FROM nsp`

/**
 * Cheap fingerprint of everything `SHAPE_SQL` reads: the catalog rows' identities and
 * xmin (any ALTER, COMMENT or GRANT rewrites the row, so the xmin changes).
 */
const FINGERPRINT_SQL = `
WITH nsp AS (
  SELECT n.oid, n.xmin FROM pg_namespace n WHERE n.nspname = $1
), objs AS (
  SELECT d.classid, d.objid FROM pg_depend d JOIN nsp ON d.refobjid = nsp.oid
   WHERE d.refclassid = 'pg_namespace'::regclass AND d.deptype = 'n'
), rels AS (
  SELECT c.oid, c.xmin FROM pg_class c JOIN objs o ON o.classid = 'pg_class'::regclass AND o.objid = c.oid
), idx AS (
  SELECT i.indexrelid AS oid, i.xmin AS x1, ic.xmin AS x2 FROM pg_index i JOIN rels r ON r.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
), parts AS (
  SELECT 'n' || nsp.oid || ':' || nsp.xmin AS p FROM nsp
  UNION ALL SELECT 'o' || o.classid || ':' || o.objid FROM objs o
  UNION ALL SELECT 'r' || r.oid || ':' || r.xmin FROM rels r
  UNION ALL SELECT 'a' || a.attrelid || '.' || a.attnum || ':' || a.xmin FROM pg_attribute a JOIN rels r ON a.attrelid = r.oid WHERE a.attnum > 0
  UNION ALL SELECT 'd' || ad.oid || ':' || ad.xmin FROM pg_attrdef ad JOIN rels r ON ad.adrelid = r.oid
  UNION ALL SELECT 'c' || co.oid || ':' || co.xmin FROM pg_constraint co JOIN rels r ON co.conrelid = r.oid
  UNION ALL SELECT 'i' || i.oid || ':' || i.x1 || ':' || i.x2 FROM idx i
  UNION ALL SELECT 'g' || tg.oid || ':' || tg.xmin FROM pg_trigger tg JOIN rels r ON tg.tgrelid = r.oid
  UNION ALL SELECT 'p' || po.oid || ':' || po.xmin FROM pg_policy po JOIN rels r ON po.polrelid = r.oid
  UNION ALL SELECT 's' || s.seqrelid || ':' || s.xmin FROM pg_sequence s JOIN rels r ON s.seqrelid = r.oid
  UNION ALL SELECT 'f' || p.oid || ':' || p.xmin FROM pg_proc p JOIN objs o ON o.classid = 'pg_proc'::regclass AND o.objid = p.oid
  UNION ALL SELECT 't' || t.oid || ':' || t.xmin FROM pg_type t JOIN objs o ON o.classid = 'pg_type'::regclass AND o.objid = t.oid
  UNION ALL SELECT 'e' || e.oid || ':' || e.xmin FROM pg_enum e JOIN objs o ON o.classid = 'pg_type'::regclass AND o.objid = e.enumtypid
  UNION ALL SELECT 'tc' || co.oid || ':' || co.xmin FROM pg_constraint co JOIN objs o ON o.classid = 'pg_type'::regclass AND o.objid = co.contypid
  UNION ALL SELECT 'm' || ds.objoid || '.' || ds.classoid || '.' || ds.objsubid || ':' || ds.xmin
    FROM pg_description ds
   WHERE ds.objoid IN (SELECT oid FROM nsp UNION ALL SELECT objid FROM objs UNION ALL SELECT oid FROM idx
                       UNION ALL SELECT co.oid FROM pg_constraint co JOIN rels r ON co.conrelid = r.oid
                       UNION ALL SELECT tg.oid FROM pg_trigger tg JOIN rels r ON tg.tgrelid = r.oid
                       UNION ALL SELECT po.oid FROM pg_policy po JOIN rels r ON po.polrelid = r.oid)
)
SELECT md5(string_agg(p, ',' ORDER BY p)) AS fp, (SELECT oid FROM nsp) AS nsp_oid FROM parts`

/**
 * Reads the shape of `schema` (exact name). Must run inside a transaction on `db`:
 * it sets search_path locally and restores it.
 */
export async function readShape(db: Queryable, schema: string): Promise<SchemaShape | null> {
  const prev = await db.query<{ sp: string }>(`SELECT current_setting('search_path') AS sp`)
  await db.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`)
  try {
    const r = await db.query<{ shape: SchemaShape }>(SHAPE_SQL, [schema])
    return r.rows[0]?.shape ?? null
  } finally {
    await db.query(`SELECT set_config('search_path', $1, true)`, [prev.rows[0]?.sp ?? '"$user", public'])
  }
}

export async function fingerprint(db: Queryable, schema: string): Promise<string | null> {
  const r = await db.query<{ fp: string | null; nsp_oid: number | null }>(FINGERPRINT_SQL, [schema])
  const row = r.rows[0]
  if (!row || row.nsp_oid === null) return null
  return `${row.nsp_oid}:${row.fp ?? ''}`
}
