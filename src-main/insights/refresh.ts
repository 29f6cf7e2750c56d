/**
 * Refresh usage: this month's users, messages, files and storage computed from the tenant
 * schemas themselves (the app never writes tenant_usage), upserted into tenant_usage. The
 * tables are found by what the template has (the app's are nchat_users, nchat_messages,
 * nchat_attachments; demo templates may differ). Bounded parallelism, progress events,
 * cancel; tenants whose schema is missing or empty are reported, not failed.
 */
import type { RefreshProgress, RefreshSkipReason, RefreshSummary } from '../../src-preload/contract'
import { AppError, toAppError } from '../core/errors'
import { quoteIdent, qualify } from '../core/ident'
import { log } from '../core/logger'
import type { ConnectionManager, Queryable } from '../db/connection'
import type { Layout } from '../db/layout'
import { monthStart, periodOf } from './months'

/** Where a figure comes from: a table of the template and the columns used. */
export interface UsageSources {
  users: { table: string; activeColumn: string | null } | null
  messages: { table: string; createdColumn: string | null } | null
  files: { table: string; sizeColumn: string | null } | null
  /** Counted for the plans' maxChannels (kept by the console: tenant_usage has no column). */
  channels: { table: string } | null
}

const by = (cols: Set<string>, names: string[]): string | null => names.find((c) => cols.has(c)) ?? null

function pickTable(tables: Map<string, Set<string>>, exact: string[], suffix: RegExp, need?: (cols: Set<string>) => boolean): string | null {
  for (const name of exact) if (tables.has(name) && (!need || need(tables.get(name)!))) return name
  const fits = [...tables.keys()].filter((t) => suffix.test(t) && (!need || need(tables.get(t)!))).sort()
  return fits[0] ?? null
}

/** Chooses the source tables from the template's tables and their columns. */
export function chooseSources(tables: Map<string, Set<string>>): UsageSources {
  const users = pickTable(tables, ['nchat_users', 'users'], /(^|_)users$/, (c) => c.has('email'))
  const messages = pickTable(tables, ['nchat_messages', 'messages'], /(^|_)messages$/)
  const files = pickTable(tables, ['nchat_attachments', 'attachments', 'nchat_files', 'files'], /(^|_)(attachments|files)$/)
  const channels = pickTable(tables, ['nchat_channels', 'channels'], /(^|_)channels$/)
  return {
    users: users ? { table: users, activeColumn: by(tables.get(users)!, ['last_seen_at', 'last_active_at', 'last_login_at']) } : null,
    messages: messages ? { table: messages, createdColumn: by(tables.get(messages)!, ['created_at', 'sent_at', 'inserted_at']) } : null,
    files: files ? { table: files, sizeColumn: by(tables.get(files)!, ['size_bytes', 'file_size', 'size', 'bytes']) } : null,
    channels: channels ? { table: channels } : null
  }
}

export async function templateTables(db: Queryable, schema: string): Promise<Map<string, Set<string>>> {
  const r = await db.query<{ t: string; cols: string[] }>(
    `SELECT c.relname AS t, array_agg(a.attname::text) AS cols
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
      GROUP BY c.relname`,
    [schema]
  )
  return new Map(r.rows.map((x) => [x.t, new Set(x.cols)]))
}

interface TenantRef {
  id: string
  slug: string
  schema: string
}

/** The figures of one tenant, as one SELECT over the source tables its schema has. */
function figuresSql(schema: string, src: UsageSources, has: Set<string>): { sql: string; columns: string[] } | null {
  const cols: string[] = []
  const exprs: string[] = []
  if (src.users && has.has(src.users.table)) {
    const t = qualify(schema, src.users.table)
    cols.push('users_total')
    exprs.push(`(SELECT count(*) FROM ${t})`)
    if (src.users.activeColumn) {
      cols.push('users_active')
      exprs.push(`(SELECT count(*) FROM ${t} WHERE ${quoteIdent(src.users.activeColumn)} >= $1::timestamptz)`)
    }
  }
  if (src.messages && has.has(src.messages.table)) {
    const t = qualify(schema, src.messages.table)
    cols.push('messages_total')
    exprs.push(`(SELECT count(*) FROM ${t})`)
    if (src.messages.createdColumn) {
      cols.push('messages_sent')
      exprs.push(`(SELECT count(*) FROM ${t} WHERE ${quoteIdent(src.messages.createdColumn)} >= $1::timestamptz)`)
    }
  }
  if (src.files && has.has(src.files.table)) {
    const t = qualify(schema, src.files.table)
    cols.push('files_count')
    exprs.push(`(SELECT count(*) FROM ${t})`)
    if (src.files.sizeColumn) {
      cols.push('storage_bytes')
      exprs.push(`(SELECT coalesce(sum(${quoteIdent(src.files.sizeColumn)}), 0)::bigint FROM ${t})`)
    }
  }
  if (src.channels && has.has(src.channels.table)) {
    cols.push('channels')
    exprs.push(`(SELECT count(*) FROM ${qualify(schema, src.channels.table)})`)
  }
  if (!cols.length) return null
  return { sql: `SELECT ${exprs.map((e, i) => `${e} AS ${cols[i]}`).join(', ')}`, columns: cols }
}

export interface RefreshDeps {
  db: ConnectionManager
  layout: Layout
  templateSchema: string
  emit: (p: RefreshProgress) => void
  /** Writes the operator-log entry (best effort). */
  record: (summary: RefreshSummary) => Promise<void>
  clock?: () => Date
  concurrency?: number
}

export async function refreshUsage(deps: RefreshDeps, jobId: string, scope: { all: true } | { tenantIds: string[] }, signal: AbortSignal): Promise<RefreshSummary> {
  const { db, layout } = deps
  if (!layout.hasUsage) throw new AppError('UNSUPPORTED', 'This database has no tenant_usage table: there is nowhere to record usage.')
  const started = Date.now()
  // The connection this job belongs to: if it changes, the job stops writing at once.
  const gen = db.gen
  const sameConnection = (): void => {
    if (db.gen !== gen) throw new AppError('CONFLICT', 'The connection changed while usage was being refreshed; nothing more was written. Run the refresh again on this connection.')
  }
  const now = (deps.clock ?? (() => new Date()))()
  const period = periodOf(now)
  const periodStart = monthStart(period)
  const src = chooseSources(await templateTables(db, deps.templateSchema))
  if (!src.users && !src.messages && !src.files) {
    throw new AppError('UNSUPPORTED', `The template schema "${deps.templateSchema}" has no users, messages or attachments table the console recognises, so usage cannot be computed.`)
  }
  const channelTable = (await db.query<{ ok: boolean }>(`SELECT to_regclass('console.tenant_channel_counts') IS NOT NULL AS ok`)).rows[0]?.ok ?? false
  const writable = (['users_total', 'users_active', 'messages_total', 'messages_sent', 'files_count', 'storage_bytes'] as const).filter((c) => layout.usageColumns.has(c))

  // The tenants, the schema each really has (the app created schemas unquoted: lower case),
  // and which of the source tables each schema holds: one catalog query for all of them.
  const tenants = await db.query<TenantRef & { real: string | null; tables: string[] | null; table_count: string }>(
    `SELECT t.id, t.slug, t.schema_name AS schema, n.nspname AS real,
            (SELECT array_agg(c.relname::text) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = ANY($2)) AS tables,
            (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')) AS table_count
       FROM public.tenants t
       LEFT JOIN LATERAL (SELECT nspname, oid FROM pg_namespace WHERE nspname IN (t.schema_name, lower(t.schema_name))
                           ORDER BY nspname = t.schema_name DESC LIMIT 1) n ON true
      WHERE $1::uuid[] IS NULL OR t.id = ANY($1::uuid[])
      ORDER BY t.slug`,
    ['all' in scope ? null : scope.tenantIds, [src.users?.table, src.messages?.table, src.files?.table, src.channels?.table].filter(Boolean)]
  )
  if (!('all' in scope) && tenants.rows.length < new Set(scope.tenantIds).size) {
    throw new AppError('NOT_FOUND', 'Some of the chosen tenants no longer exist; reload the list and try again.')
  }

  const summary: RefreshSummary = {
    jobId,
    period,
    total: tenants.rows.length,
    refreshed: 0,
    cancelled: false,
    skipped: [],
    sources: { users: src.users?.table ?? null, messages: src.messages?.table ?? null, files: src.files?.table ?? null, channels: src.channels?.table ?? null },
    durationMs: 0
  }
  let done = 0
  let lastEmit = 0
  const progress = (state: RefreshProgress['state'], force = false) => {
    const t = Date.now()
    if (!force && t - lastEmit < 200) return
    lastEmit = t
    deps.emit({ jobId, total: summary.total, done, refreshed: summary.refreshed, skipped: summary.skipped.length, state })
  }
  const skip = (t: TenantRef, reason: RefreshSkipReason, detail: string): void => {
    summary.skipped.push({ id: t.id, slug: t.slug, reason, detail })
  }
  progress('running', true)

  const one = async (t: (typeof tenants.rows)[number]): Promise<void> => {
    if (!t.real) return skip(t, 'schema-missing', `Schema "${t.schema}" does not exist.`)
    if (Number(t.table_count) === 0) return skip(t, 'schema-empty', `Schema "${t.real}" has no tables.`)
    const figures = figuresSql(t.real, src, new Set(t.tables ?? []))
    if (!figures) return skip(t, 'no-known-tables', `Schema "${t.real}" has none of ${[src.users?.table, src.messages?.table, src.files?.table].filter(Boolean).join(', ')}.`)
    // Only the computed columns are written; the app's API and call counters stay as they are.
    const set = figures.columns.filter((c) => (writable as readonly string[]).includes(c))
    const countsChannels = channelTable && figures.columns.includes('channels')
    if (!set.length && !countsChannels) return skip(t, 'no-known-tables', 'tenant_usage has none of the columns these figures go to.')
    sameConnection()
    try {
      await db.tx(async (c) => {
        await c.query(`SET LOCAL statement_timeout = '120s'`)
        const row = (await c.query(figures.sql, figures.sql.includes('$1') ? [periodStart] : [])).rows[0] as Record<string, string>
        if (countsChannels) {
          await c.query(
            `INSERT INTO console.tenant_channel_counts (tenant_id, period, channels) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id, period) DO UPDATE SET channels = EXCLUDED.channels, counted_at = now()`,
            [t.id, period, row.channels]
          )
        }
        if (!set.length) return
        const values = [t.id, period, ...set.map((col) => row[col])]
        const params = set.map((_, i) => `$${i + 3}`)
        const updated = await c.query(
          `UPDATE public.tenant_usage SET ${set.map((col, i) => `${quoteIdent(col)} = ${params[i]}`).join(', ')} WHERE tenant_id = $1 AND period = $2`,
          values
        )
        if (updated.rowCount === 0) {
          // A new row: the figures this schema cannot give are NULL (unknown), not the column's 0.
          const unknown = writable.filter((col) => !set.includes(col))
          await c.query(
            `INSERT INTO public.tenant_usage (tenant_id, period, ${[...set, ...unknown].map(quoteIdent).join(', ')})
             VALUES ($1, $2, ${[...params, ...unknown.map(() => 'NULL')].join(', ')})`,
            values
          )
        }
      })
      summary.refreshed++
    } catch (e) {
      const err = toAppError(e)
      if (err.code === 'DB_UNAVAILABLE' || err.code === 'FORBIDDEN' || db.gen !== gen) throw err
      log.warn('usage refresh failed for a tenant', { slug: t.slug, code: err.code })
      skip(t, 'failed', err.message)
    }
  }

  // Bounded parallelism: a few tenants at a time, each in its own short transaction.
  const queue = [...tenants.rows]
  const workers = Array.from({ length: Math.min(deps.concurrency ?? 4, Math.max(queue.length, 1)) }, async () => {
    while (queue.length && !signal.aborted) {
      const t = queue.shift()!
      await one(t)
      done++
      progress('running')
    }
  })
  try {
    await Promise.all(workers)
  } catch (e) {
    progress('failed', true)
    throw e
  }
  summary.cancelled = signal.aborted
  summary.durationMs = Date.now() - started
  progress(summary.cancelled ? 'cancelled' : 'done', true)
  await deps.record(summary).catch((e) => log.warn('could not record the usage refresh in the operator log', e))
  return summary
}
