/**
 * Restoring a checked backup file in ONE transaction on a dedicated connection:
 *
 *  - same:    the tenant's schema is dropped and re-created from the archive, and its
 *             public rows are replaced (tenants row updated in place, others deleted
 *             and re-inserted).
 *  - copy:    a new tenant (new id, slug and schema). pg_restore cannot rename, so the
 *             archive is restored under its original schema name while the live source
 *             schema, if any, is renamed aside inside the same (uncommitted) transaction;
 *             the restored schema is then renamed to the new name and the source gets its
 *             name back. Everything PostgreSQL stores by OID (defaults' sequences, identity
 *             and owned sequences, foreign keys, triggers, policies, views) follows the
 *             rename; a check then refuses any dependency from the new schema into the
 *             source schema and any function whose body or settings still names it.
 *             Public rows are re-keyed to the new tenant.
 *  - scratch: deep verification: as copy, into a throwaway name, counted, then rolled back.
 *
 * pg_restore only converts the archive to SQL (-f -): it never connects to the database.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import pg from 'pg'
import { AppError, isUnavailable } from '../core/errors'
import { assertIdentifier, isProtectedSchema, quoteIdent, qualify } from '../core/ident'
import { log } from '../core/logger'
import type { ConnectionTarget, Operator } from '../db/connection'
import type { SessionService } from '../session'
import { checkBackupScope } from './archive-scope'
import { partStream, readPart, type OpenedBackup } from './container'
import { describeToolFailure, runTool } from './pgproc'
import { PUBLIC_TABLES } from './snapshot'
import { checkNoSourceReferences } from './source-refs'
import { groupPublic, rowsIntoScratch, rowsOnlyCopyRefusal, rowsOnlyRestoreNote } from './rows-only'
import { runRestoreScript } from './sqlexec'
import type { PgTools } from './tools'

export type RestoreMode = 'same' | 'copy' | 'scratch'

export interface RestoreDeps {
  target: ConnectionTarget
  tools: PgTools
  lockWaitMs: number
  session: SessionService
}

export interface RestoreOptions {
  mode: RestoreMode
  newSlug?: string
  newName?: string
  tenantPrefix?: string
  templateSchema?: string
  operator?: Operator
  sourceFile?: string
  /**
   * Aborting cancels the running statement and rolls everything back; the call then fails
   * with CANCELLED. Once COMMIT has been sent, an abort no longer changes the outcome.
   */
  signal?: AbortSignal
  onProgress?: (p: RestoreProgress) => void
}

export interface RestoreProgress {
  /** Loading the schema; comparing counts and checking references; the public rows. */
  phase: 'restoring' | 'verifying' | 'writing'
  /** Tables whose rows have been loaded, of the backup's tables. */
  tablesDone: number
  tablesTotal: number
  /** Bytes of the schema archive read so far. */
  bytes: number
}

export interface RestoreOutcome {
  tenantId: string
  tenantSlug: string
  schema: string
  tables: number
  rows: number
  counts: { table: string; expected: number; found: number | null }[]
  warnings: string[]
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,49}$/
/** Tables a copy does not take: they identify the source's billing or domains, and are unique. */
const NOT_COPIED = new Set(['stripe_webhooks', 'tenant_domains'])
/** The app's audit trail stays with the source: a copy starts with a clean history (the operator log records its origin). */
const HISTORY = new Set(['tenant_audit_logs', 'tenant_audit_log'])

function rid(): string {
  return randomBytes(6).toString('hex')
}

interface Col {
  name: string
  type: string
  generated: boolean
  identityAlways: boolean
}

async function publicColumns(c: pg.ClientBase, tables: string[]): Promise<Map<string, Col[]>> {
  const r = await c.query<{ rel: string; name: string; type: string; gen: string; ident: string }>(
    `SELECT cl.relname AS rel, a.attname AS name, format_type(a.atttypid, NULL) AS type, a.attgenerated::text AS gen, a.attidentity::text AS ident
       FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE n.nspname = 'public' AND cl.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY cl.relname, a.attnum`,
    [tables]
  )
  const out = new Map<string, Col[]>()
  for (const x of r.rows) {
    const list = out.get(x.rel) ?? []
    list.push({ name: x.name, type: x.type, generated: x.gen !== '', identityAlways: x.ident === 'a' })
    out.set(x.rel, list)
  }
  return out
}

async function insertRows(c: pg.ClientBase, table: string, cols: Col[], rows: string[], override: string | null, params: unknown[]): Promise<number> {
  const usable = cols.filter((x) => !x.generated)
  const list = usable.map((x) => quoteIdent(x.name)).join(', ')
  const sel = usable.map((x) => `r.${quoteIdent(x.name)}`).join(', ')
  const overriding = usable.some((x) => x.identityAlways) ? ' OVERRIDING SYSTEM VALUE' : ''
  const rec = override ? `e || ${override}` : 'e'
  let n = 0
  for (let i = 0; i < rows.length; i += 1000) {
    const batch = rows.slice(i, i + 1000)
    const r = await c.query(
      `INSERT INTO public.${quoteIdent(table)} (${list})${overriding}
       SELECT ${sel} FROM jsonb_array_elements($1::jsonb) e, LATERAL jsonb_populate_record(NULL::public.${quoteIdent(table)}, ${rec}) r`,
      [`[${batch.join(',')}]`, ...params]
    )
    n += r.rowCount ?? 0
  }
  return n
}

/**
 * Asks the server to cancel what a connection is running (from a second, short-lived
 * connection, bounded: a server that does not answer must not hold the cancel up).
 */
async function cancelBackend(target: ConnectionTarget, busy: pg.Client): Promise<void> {
  const pid = (busy as unknown as { processID?: number }).processID
  if (!pid) return
  const c = new pg.Client({
    ...target.pg,
    application_name: 'nchat-console-cancel',
    connectionTimeoutMillis: 5_000,
    query_timeout: 5_000
  } as pg.ClientConfig)
  c.on('error', () => {})
  try {
    await c.connect()
    await c.query('SELECT pg_cancel_backend($1)', [pid])
  } catch (e) {
    log.warn('could not cancel the restore statement; it stops at the next step', e)
  } finally {
    await c.end().catch(() => {})
  }
}

const cancelledError = (mode: RestoreMode) =>
  new AppError(
    'CANCELLED',
    mode === 'scratch' ? 'The deep verification was cancelled; its scratch schema was rolled back.' : 'The restore was cancelled and rolled back; nothing was changed.'
  )

export async function restoreBackup(deps: RestoreDeps, b: OpenedBackup, opts: RestoreOptions): Promise<RestoreOutcome> {
  const m = b.manifest
  const srcSchema = m.tenant.schemaAsStored ?? m.tenant.schema
  const warnings: string[] = []
  const { signal } = opts
  if (signal?.aborted) throw cancelledError(opts.mode)
  // A backup without a schema holds public rows only (rows-only.ts): never a copy.
  const rowsOnly = m.schemaMissing === true
  if (rowsOnly && opts.mode === 'copy') throw rowsOnlyCopyRefusal(m)
  // Nothing outside the tenant's schema may run (callers check this earlier too).
  checkBackupScope(b)
  const progress: RestoreProgress = { phase: 'restoring', tablesDone: 0, tablesTotal: m.schemaTables.length, bytes: 0 }
  const report = () => opts.onProgress?.({ ...progress })
  const client = new pg.Client({ ...deps.target.pg, application_name: 'nchat-console-restore', statement_timeout: 0 } as pg.ClientConfig)
  client.on('error', () => {})
  await client.connect()
  let restore: ReturnType<typeof runTool> | null = null
  let committing = false
  let cancelling: Promise<void> | null = null
  const onAbort = () => {
    if (committing) return
    restore?.kill()
    cancelling = cancelBackend(deps.target, client)
  }
  signal?.addEventListener('abort', onAbort)
  let input: Readable | null = null
  const checkpoint = () => {
    if (signal?.aborted) throw cancelledError(opts.mode)
  }
  try {
    checkpoint() // an abort while connecting
    await client.query('BEGIN')
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(deps.lockWaitMs))}`)
    const schemaExists = async (name: string) =>
      Boolean((await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [name])).rowCount)

    // ---- names
    let tenantId = m.tenant.id
    let tenantSlug = m.tenant.slug
    let finalSchema = srcSchema
    if (opts.mode === 'copy') {
      const slug = opts.newSlug ?? ''
      if (!SLUG.test(slug)) throw new AppError('INVALID_INPUT', 'The new slug may only hold lower-case letters, digits and hyphens (at most 50), starting with a letter or digit.')
      finalSchema = assertIdentifier(`${opts.tenantPrefix ?? 'tenant_'}${slug.replace(/-/g, '_')}`, 'new schema name')
      if (isProtectedSchema(finalSchema, opts.templateSchema ?? 'nchat')) throw new AppError('INVALID_INPUT', `The schema name ${finalSchema} is reserved.`)
      const clash = await client.query<{ what: string }>(
        `SELECT 'slug' AS what FROM public.tenants WHERE slug = $1
         UNION ALL SELECT 'schema' FROM public.tenants WHERE lower(schema_name) = lower($2)
         UNION ALL SELECT 'schema' FROM pg_namespace WHERE nspname = $2`,
        [slug, finalSchema]
      )
      if (clash.rowCount) {
        throw new AppError('CONFLICT', clash.rows.some((x) => x.what === 'slug') ? `The slug ${slug} is already used by another tenant.` : `A schema named ${finalSchema} already exists.`)
      }
      tenantId = randomUUID()
      tenantSlug = slug
    } else if (opts.mode === 'scratch') {
      finalSchema = `nchat_verify_${rid()}`
    } else {
      const cur = await client.query<{ schema_name: string }>(`SELECT schema_name FROM public.tenants WHERE id = $1 FOR UPDATE`, [tenantId])
      if (cur.rowCount && cur.rows[0]!.schema_name.toLowerCase() !== m.tenant.schema.toLowerCase()) {
        throw new AppError('CONFLICT', `Nothing was changed: the tenant now uses schema ${cur.rows[0]!.schema_name}, not ${m.tenant.schema} as in the backup.`)
      }
      if (!cur.rowCount) {
        const clash = await client.query(`SELECT 1 FROM public.tenants WHERE slug = $1 OR lower(schema_name) = lower($2)`, [m.tenant.slug, m.tenant.schema])
        if (clash.rowCount) throw new AppError('CONFLICT', `Nothing was changed: another tenant now uses the slug ${m.tenant.slug} or schema ${m.tenant.schema}.`)
      }
      if (isProtectedSchema(srcSchema, opts.templateSchema ?? 'nchat')) throw new AppError('INVALID_INPUT', `The schema ${srcSchema} is protected.`)
      if (rowsOnly && ((await schemaExists(srcSchema)) || (await schemaExists(m.tenant.schema.toLowerCase())))) {
        throw new AppError(
          'CONFLICT',
          `Nothing was changed: this backup holds no schema (the tenant's schema was missing when it was backed up), but schema ${srcSchema} exists now. Restoring its rows alone would pair them with a schema the backup does not hold; back the tenant up again instead.`
        )
      }
      if (await schemaExists(srcSchema)) await client.query(`DROP SCHEMA ${quoteIdent(srcSchema)} CASCADE`)
    }
    if (rowsOnly) {
      // No schema to restore: the public rows are the whole backup.
      const pub = groupPublic((await readPart(b, 'public.jsonl')).toString('utf8'))
      progress.phase = opts.mode === 'scratch' ? 'verifying' : 'writing'
      report()
      if (opts.mode === 'scratch') {
        const r = await rowsIntoScratch(client, m, pub)
        await client.query('ROLLBACK')
        return { tenantId, tenantSlug, schema: srcSchema, tables: 0, rows: r.rows, counts: r.counts, warnings }
      }
      warnings.push(rowsOnlyRestoreNote(m))
      await applyPublicRows(client, pub, { mode: 'same', oldId: m.tenant.id, newId: tenantId, newSlug: tenantSlug, newSchema: finalSchema, newName: null, sourceFile: opts.sourceFile ?? null, warnings })
      await logRestore(client, opts, 'backup.restore', { tenantId, tenantSlug, schema: finalSchema }, m, true)
      checkpoint()
      committing = true
      await client.query('COMMIT')
      return { tenantId, tenantSlug, schema: finalSchema, tables: 0, rows: 0, counts: [], warnings }
    }

    // ---- schema: aside, restore, rename
    const who = opts.mode === 'same' ? null : await adminGroupRights(client, srcSchema)
    let aside: string | null = null
    if (opts.mode !== 'same' && (await schemaExists(srcSchema))) {
      aside = `nchat_aside_${rid()}`
      await renameAside(client, who, srcSchema, aside)
    }
    const args = ['--file=-']
    if (opts.mode === 'scratch') args.push('--no-owner', '--no-acl')
    else if (opts.mode === 'copy' && who?.viaGroup) {
      // The login cannot act as the archive's owners: the copy belongs to the admin group
      // and the source schema's owner (the app) is granted full use after the restore.
      args.push('--no-owner')
      await client.query(`SET LOCAL ROLE ${quoteIdent(ADMIN_GROUP)}`)
    }
    restore = runTool(deps.tools.pgRestore.path, args, { ...process.env, PGPASSFILE: join(tmpdir(), 'nchat-no-passfile') }, { stdin: 'pipe' })
    input = partStream(b, 'schema.dump')
    input.on('data', (d: Buffer) => (progress.bytes += d.length))
    restore.child.stdin!.on('error', () => {})
    input.pipe(restore.child.stdin!)
    const lockSql = `SET lock_timeout = ${Math.max(1, Math.floor(deps.lockWaitMs))}`
    report()
    try {
      await runRestoreScript(client, restore.child.stdout!, {
        afterPreamble: lockSql,
        signal,
        onCopy: (st) => {
          progress.tablesDone = Math.min(st.copies, progress.tablesTotal)
          report()
        }
      })
    } catch (e) {
      restore.kill()
      throw e
    }
    const res = await restore.done
    restore = null
    checkpoint()
    if (res.code !== 0) throw new AppError('INVALID_INPUT', `Nothing was changed: ${describeToolFailure('pg_restore', res)}`)
    progress.phase = 'verifying'
    report()
    if (opts.mode !== 'same') {
      await client.query(`ALTER SCHEMA ${quoteIdent(srcSchema)} RENAME TO ${quoteIdent(finalSchema)}`)
      if (aside) await renameAside(client, who, aside, srcSchema)
      if (opts.mode === 'copy' && who?.viaGroup) {
        if (who.owner) await grantToAppOwner(client, finalSchema, who.owner)
        // Back to the login for the public rows: its BYPASSRLS is not the group's.
        await client.query('RESET ROLE')
      }
    }

    // ---- counts
    const counts: RestoreOutcome['counts'] = []
    let rows = 0
    const bad: string[] = []
    for (const t of m.schemaTables) {
      const r = await client.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${qualify(finalSchema, t.table)}`).catch(() => null)
      const found = r ? Number(r.rows[0]!.n) : null
      counts.push({ table: t.table, expected: t.rows, found })
      if (found !== t.rows) bad.push(`${t.table} (${found ?? 'missing'} rows, expected ${t.rows})`)
      rows += found ?? 0
    }
    if (bad.length) throw new AppError('INTERNAL', `The restored schema does not match the backup: ${bad.slice(0, 5).join(', ')}. Nothing was changed.`)
    for (const s of m.sequences) {
      const r = await client.query<{ v: string; c: boolean }>(`SELECT last_value::text AS v, is_called AS c FROM ${qualify(finalSchema, s.name)}`).catch(() => null)
      if (!r || r.rows[0]!.v !== s.lastValue) warnings.push(`Sequence ${s.name} is at ${r?.rows[0]?.v ?? 'missing'}, the manifest says ${s.lastValue} (sequences are read outside transactions).`)
    }

    // ---- a copy must not point into the source schema
    if (opts.mode !== 'same') await checkNoSourceReferences(client, finalSchema, srcSchema)

    // ---- public rows
    checkpoint()
    progress.phase = 'writing'
    report()
    const pub = groupPublic((await readPart(b, 'public.jsonl')).toString('utf8'))
    for (const t of m.publicTables) {
      if ((pub.get(t.table)?.length ?? 0) !== t.rows) throw new AppError('INVALID_INPUT', `Nothing was changed: the backup's ${t.table} rows do not match its manifest.`)
    }
    if (opts.mode !== 'scratch') {
      await applyPublicRows(client, pub, {
        mode: opts.mode,
        oldId: m.tenant.id,
        newId: tenantId,
        newSlug: tenantSlug,
        newSchema: finalSchema,
        newName: opts.newName ?? null,
        sourceFile: opts.sourceFile ?? null,
        warnings
      })
      await logRestore(client, opts, opts.mode === 'same' ? 'backup.restore' : 'backup.restore_copy', { tenantId, tenantSlug, schema: finalSchema }, m, false)
      checkpoint()
      committing = true
      await client.query('COMMIT')
    } else {
      await client.query('ROLLBACK')
    }
    return { tenantId, tenantSlug, schema: finalSchema, tables: m.schemaTables.length, rows, counts, warnings }
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {})
    if (signal?.aborted && !committing) throw cancelledError(opts.mode)
    if (e instanceof AppError) throw e
    const code = (e as { code?: string }).code
    const msg = (e as Error).message?.slice(0, 300) ?? ''
    log.warn('restore failed', e)
    if (isUnavailable(e)) {
      // The server ended the transaction with the connection: an uncommitted restore left nothing.
      throw new AppError(
        'DB_UNAVAILABLE',
        committing
          ? 'The connection to the database was lost while the restore was being committed: check the tenant once the database is back (a restore either committed whole or not at all).'
          : opts.mode === 'scratch'
            ? 'The database went away during the deep verification; its scratch schema was never committed. Verify again once the database is back.'
            : 'The database went away during the restore, before it was committed: nothing was changed. Restore again once the database is back.'
      )
    }
    if (code === '42501') throw new AppError('FORBIDDEN', `The restore was refused and rolled back, nothing was changed: ${msg}. The connected role must own the tenant's schema and be able to act as the objects' owner.`)
    if (code === '55P03' || code === '40P01') throw new AppError('CONFLICT', 'The restore gave up waiting for a lock held by another session and was rolled back; nothing was changed. Retry when the tenant is quieter.')
    if (code) throw new AppError('INTERNAL', `The restore failed and was rolled back; nothing was changed (${msg}).`)
    throw e
  } finally {
    signal?.removeEventListener('abort', onAbort)
    if (restore) {
      restore.kill()
      await restore.done.catch(() => {})
    }
    // A killed pg_restore leaves the archive's read stream paused: close the file.
    input?.destroy()
    if (cancelling) await cancelling
    await client.end().catch(() => {})
  }
}

/** The restore on the operator log (where the console's migrations are applied), in the restore's transaction. */
async function logRestore(
  c: pg.ClientBase,
  opts: RestoreOptions,
  action: string,
  t: { tenantId: string; tenantSlug: string; schema: string },
  m: OpenedBackup['manifest'],
  rowsOnly: boolean
): Promise<void> {
  if (!(await c.query(`SELECT to_regclass('console.operator_log') IS NOT NULL AS ok`)).rows[0].ok) return
  await c.query(
    `INSERT INTO console.operator_log (operator_name, operator_email, action, tenant_id, tenant_slug, tenant_schema, params)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
    [
      opts.operator?.name ?? null,
      opts.operator?.email ?? null,
      action,
      t.tenantId,
      t.tenantSlug,
      t.schema,
      JSON.stringify({ backupId: m.backupId, file: opts.sourceFile ?? null, sourceTenantId: m.tenant.id, sourceSlug: m.tenant.slug, ...(rowsOnly ? { schemaMissing: true } : {}) })
    ]
  )
}

async function applyPublicRows(
  c: pg.ClientBase,
  pub: Map<string, string[]>,
  x: { mode: 'same' | 'copy'; oldId: string; newId: string; newSlug: string; newSchema: string; newName: string | null; sourceFile: string | null; warnings: string[] }
): Promise<void> {
  const present = PUBLIC_TABLES.map((t) => t.table)
  const cols = await publicColumns(c, present)
  const order = PUBLIC_TABLES.filter((t) => cols.has(t.table))
  for (const [table, rows] of pub) {
    if (!cols.has(table) && rows.length) x.warnings.push(`${rows.length} ${table} row(s) were not restored: this database has no public.${table}.`)
  }
  const tenantRows = pub.get('tenants') ?? []
  if (tenantRows.length !== 1) throw new AppError('INVALID_INPUT', 'Nothing was changed: the backup does not hold exactly one tenants row.')
  const tcols = cols.get('tenants')!

  if (x.mode === 'same') {
    const exists = (await c.query(`SELECT 1 FROM public.tenants WHERE id = $1`, [x.oldId])).rowCount
    if (exists) {
      const upd = tcols.filter((k) => !k.generated && k.name !== 'id')
      await c.query(
        `UPDATE public.tenants t SET (${upd.map((k) => quoteIdent(k.name)).join(', ')}) =
           (SELECT ${upd.map((k) => `r.${quoteIdent(k.name)}`).join(', ')} FROM jsonb_populate_record(NULL::public.tenants, $1::jsonb) r)
         WHERE t.id = $2`,
        [tenantRows[0], x.oldId]
      )
    } else {
      await insertRows(c, 'tenants', tcols, tenantRows, null, [])
    }
    for (const t of order) {
      if (t.table === 'tenants') continue
      await c.query(`DELETE FROM public.${quoteIdent(t.table)} WHERE ${quoteIdent(t.key)} = $1`, [x.oldId])
      const rows = pub.get(t.table) ?? []
      if (!rows.length) continue
      if (cols.get(t.table)!.some((k) => k.name === 'id')) {
        // Rows that left the tenant since (e.g. webhooks whose tenant_id was cleared) come back.
        await c.query(`DELETE FROM public.${quoteIdent(t.table)} WHERE id IN (SELECT (e->>'id')::uuid FROM jsonb_array_elements($1::jsonb) e)`, [`[${rows.join(',')}]`])
      }
      await insertRows(c, t.table, cols.get(t.table)!, rows, null, [])
    }
    return
  }

  // copy: re-key everything to the new tenant
  await insertRows(
    c,
    'tenants',
    tcols,
    tenantRows,
    // No billing identity: every Stripe and payment column cleared, and the same facts
    // dropped from metadata (where older rows keep them).
    `jsonb_build_object('id', $2::uuid, 'slug', $3::text, 'schema_name', $4::text, 'custom_domain', NULL,
       'stripe_customer_id', NULL, 'stripe_subscription_id', NULL, 'stripe_price_id', NULL,
       'current_period_start', NULL, 'current_period_end', NULL, 'cancel_at_period_end', NULL,
       'last_payment_date', NULL, 'last_payment_amount', NULL, 'last_payment_status', NULL,
       'created_at', now(), 'updated_at', now(),
       'name', COALESCE($5::text, e->>'name'),
       'metadata', COALESCE((SELECT jsonb_object_agg(m.key, m.value) FROM jsonb_each(COALESCE(e->'metadata', '{}'::jsonb)) m
                              WHERE m.key !~* '^(stripe|lastPayment|currentPeriod|cancelAtPeriodEnd|billing)'), '{}'::jsonb)
          || jsonb_build_object('copiedFrom', jsonb_build_object('tenantId', e->>'id', 'slug', e->>'slug', 'backupFile', $6::text)))`,
    [x.newId, x.newSlug, x.newSchema, x.newName, x.sourceFile]
  )
  for (const t of order) {
    if (t.table === 'tenants') continue
    const rows = pub.get(t.table) ?? []
    if (!rows.length) continue
    if (NOT_COPIED.has(t.table)) {
      x.warnings.push(`${rows.length} ${t.table} row(s) stay with the source tenant (they identify its billing or domains).`)
      continue
    }
    if (HISTORY.has(t.table)) continue
    const tc = cols.get(t.table)!
    const idCol = tc.find((k) => k.name === 'id')
    if (idCol && idCol.type !== 'uuid') throw new AppError('UNSUPPORTED', `public.${t.table}.id is not a uuid; the console cannot re-key it for a copy.`)
    const extra = [
      idCol ? `'id', gen_random_uuid()` : null,
      `'tenant_id', $2::uuid`,
      t.table === 'tenant_invitations' && tc.some((k) => k.name === 'token') ? `'token', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')` : null
    ].filter(Boolean)
    await insertRows(c, t.table, tc, rows, `jsonb_build_object(${extra.join(', ')})`, [x.newId])
  }
}

const ADMIN_GROUP = 'nchat_console_admin'

interface GroupRights {
  /** Not a superuser and not a member of the source schema's owner, but in the admin group. */
  viaGroup: boolean
  owner: string | null
  hasAsideFn: boolean
}

/** Whether this login works on the source schema through the admin group (see migration 0010). */
async function adminGroupRights(c: pg.ClientBase, schema: string): Promise<GroupRights> {
  const r = await c.query<{ su: boolean; owns: boolean | null; owner: string | null; admin: boolean; fn: boolean }>(
    `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su,
            (SELECT pg_has_role(current_user, n.nspowner, 'MEMBER') FROM pg_namespace n WHERE n.nspname = $1) AS owns,
            (SELECT n.nspowner::regrole::text FROM pg_namespace n WHERE n.nspname = $1) AS owner,
            COALESCE((SELECT pg_has_role(current_user, r.oid, 'MEMBER') FROM pg_roles r WHERE r.rolname = $2), false) AS admin,
            to_regprocedure('console.rename_schema_aside(text, text)') IS NOT NULL AS fn`,
    [schema, ADMIN_GROUP]
  )
  const x = r.rows[0]!
  if (!x.su && x.owns === false && !x.admin) {
    throw new AppError(
      'FORBIDDEN',
      `This restores the backup beside the live schema ${schema}, which only its owner or a member of nchat_console_admin may move aside; the connected role is neither. A database administrator can grant it: GRANT nchat_console_admin TO <login>;`
    )
  }
  return { viaGroup: !x.su && x.owns === false && x.admin, owner: x.owner, hasAsideFn: x.fn }
}

/** Moves the live tenant schema aside (or back): directly when this login owns it, else through console.rename_schema_aside. */
async function renameAside(c: pg.ClientBase, who: GroupRights | null, from: string, to: string): Promise<void> {
  if (who?.viaGroup) {
    if (!who.hasAsideFn) {
      throw new AppError('NOT_CONFIGURED', "This needs the console's migration 0010 (console.rename_schema_aside) for members of the admin group: run npm run db:migrate.")
    }
    await c.query('SELECT console.rename_schema_aside($1, $2)', [from, to])
  } else {
    await c.query(`ALTER SCHEMA ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`)
  }
}

/** A copy restored by the admin group: the app's role (the source schema's owner) gets full use, support may read it. */
async function grantToAppOwner(c: pg.ClientBase, schema: string, owner: string): Promise<void> {
  const q = quoteIdent(schema)
  const o = quoteIdent(owner)
  await c.query(
    `GRANT USAGE, CREATE ON SCHEMA ${q} TO ${o};
     GRANT ALL ON ALL TABLES IN SCHEMA ${q} TO ${o};
     GRANT ALL ON ALL SEQUENCES IN SCHEMA ${q} TO ${o};
     GRANT USAGE ON SCHEMA ${q} TO nchat_console_support;
     GRANT SELECT ON ALL TABLES IN SCHEMA ${q} TO nchat_console_support;
     GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${q} TO nchat_console_support`
  )
}
