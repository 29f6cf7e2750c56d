import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type pg from 'pg'
import { inject } from 'vitest'
import type { EventMap, EventName } from '../../src-preload/contract'
import { BackupService } from '../../src-main/backup/service'
import type { Platform } from '../../src-main/context'
import { quoteIdent } from '../../src-main/core/ident'
import { ConnectionManager, targetFromUrl } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { templateDdl } from '../../src-main/seed/template'
import { SessionService } from '../../src-main/session'
import { freshDatabase } from '../support/db'

export class TestPlatform implements Platform {
  events: { event: EventName; payload: unknown }[] = []
  notifications: { title: string; body: string }[] = []
  shown: string[] = []
  nextSavePath: string | null = null
  nextFolder: string | null = null
  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    this.events.push({ event, payload })
  }
  async saveDialog(): Promise<string | null> {
    return this.nextSavePath
  }
  async chooseFolder(): Promise<string | null> {
    return this.nextFolder
  }
  notify(n: { title: string; body: string }): void {
    this.notifications.push(n)
  }
  showInFolder(p: string): void {
    this.shown.push(p)
  }
}

export async function migrate(client: pg.Client): Promise<void> {
  await runMigrations(client, await loadMigrations(resolve(__dirname, '../../migrations')))
}

/** A fresh database with the console's migrations applied. */
export async function migratedDatabase(prefix: string): Promise<Awaited<ReturnType<typeof freshDatabase>>> {
  const db = await freshDatabase(prefix)
  try {
    await migrate(db.client)
  } catch {
    await migrate(db.client) // group roles are cluster-wide; a parallel file may have raced us
  }
  return db
}

/** A tenant with the realistic template, rows in every table kind, and public rows. */
export async function makeTenant(client: pg.Client, slug: string, opts: { schema?: string; messages?: number } = {}): Promise<string> {
  const schema = opts.schema ?? `tenant_${slug.replace(/-/g, '_')}`
  const s = quoteIdent(schema)
  await client.query(templateDdl(schema))
  await client.query(`
    INSERT INTO ${s}.nchat_users (email, display_name) SELECT 'u' || g || '@x.test', 'User ' || g FROM generate_series(1, 12) g;
    INSERT INTO ${s}.nchat_channels (name, created_by) SELECT 'c' || g, 1 FROM generate_series(1, 3) g;
    INSERT INTO ${s}.nchat_messages (channel_id, user_id, body) SELECT 1 + g % 3, 1 + g % 12, 'hello ' || g || E'\\ttab\\nnewline \\\\ back' FROM generate_series(1, ${opts.messages ?? 50}) g;
    INSERT INTO ${s}.nchat_reactions (message_id, user_id, emoji) SELECT g, 1, ':+1:' FROM generate_series(1, 5) g;
    INSERT INTO ${s}.nchat_notifications (user_id, kind, payload) VALUES (1, 'mention', '{"big": 12345678901234567890, "s": "é"}');
    DELETE FROM ${s}.nchat_messages WHERE id = 3;`)
  const r = await client.query<{ id: string }>(
    `INSERT INTO public.tenants (name, slug, owner_email, owner_name, schema_name, custom_domain, stripe_customer_id, metadata, limits)
     VALUES ($1, $2, $3, 'Owner', $4, $5, $6, '{"stripeCustomerId":"cus_x","note":"n"}', '{"maxUsers": 10}') RETURNING id::text`,
    [`Tenant ${slug}`, slug, `owner@${slug}.test`, schema, `${slug}.example.test`, `cus_${slug}`]
  )
  const id = r.rows[0]!.id
  await client.query(
    `INSERT INTO public.tenant_settings (tenant_id, timezone) VALUES ($1, 'Europe/Paris');
     `.trim(),
    [id]
  )
  await client.query(`INSERT INTO public.tenant_usage (tenant_id, period, users_total, storage_bytes) VALUES ($1, '2026-11', 12, 9007199254740993)`, [id])
  await client.query(`INSERT INTO public.tenant_invitations (tenant_id, email, token, expires_at) VALUES ($1, 'i@x.test', $2, now() + interval '1 day')`, [id, `tok-${slug}`])
  await client.query(`INSERT INTO public.tenant_audit_logs (tenant_id, action, ip_address, details) VALUES ($1, 'created', '10.0.0.1', '{"a":[1,2]}')`, [id])
  await client.query(`INSERT INTO public.stripe_webhooks (stripe_event_id, event_type, tenant_id, payload) VALUES ($1, 'invoice.paid', $2, '{}')`, [`evt_${slug}`, id])
  return id
}

export function makeService(url: string, platform: TestPlatform, opts: Partial<ConstructorParameters<typeof BackupService>[3]> = {}, pgBinDir = inject('pgBinDir')) {
  const db = new ConnectionManager()
  const target = targetFromUrl(url, { pgBinDir })
  const session = new SessionService(db)
  const svc = new BackupService(db, session, platform, {
    consoleVersion: 'test',
    backupsDir: mkdtempSync(join(tmpdir(), 'nchat-bk-default-')),
    notifyAfterMs: 0,
    ...opts
  })
  return {
    db,
    svc,
    session,
    ready: () => db.setTarget(target),
    close: () => db.close()
  }
}

/**
 * A PostgreSQL tool folder whose pg_restore hangs when it would convert an archive to SQL
 * (`--file=-`), like one stuck on a huge archive; everything else is the real tool.
 */
export function hangingRestoreTools(): string {
  const real = inject('pgBinDir')
  const dir = mkdtempSync(join(tmpdir(), 'nchat-slow-tools-'))
  symlinkSync(join(real, 'pg_dump'), join(dir, 'pg_dump'))
  writeFileSync(
    join(dir, 'pg_restore'),
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = "--file=-" ] && exec sleep 600; done\nexec ${JSON.stringify(join(real, 'pg_restore'))} "$@"\n`,
    { mode: 0o755 }
  )
  return dir
}

/** Every row of every table of a schema, and every sequence value: a fingerprint to compare. */
export async function schemaFingerprint(client: pg.Client, schema: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const rels = await client.query<{ relname: string; relkind: string }>(
    `SELECT c.relname, c.relkind::text AS relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r','S') ORDER BY 1`,
    [schema]
  )
  for (const r of rels.rows) {
    const q = `${quoteIdent(schema)}.${quoteIdent(r.relname)}`
    const x =
      r.relkind === 'r'
        ? await client.query(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS f FROM ${q} t`)
        : await client.query(`SELECT last_value || ':' || is_called AS f FROM ${q}`)
    out[r.relname] = x.rows[0].f
  }
  return out
}

/** A tenant's public rows (minus columns a restore legitimately changes). */
export async function publicFingerprint(client: pg.Client, tenantId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [t, key] of [
    ['tenants', 'id'],
    ['tenant_settings', 'tenant_id'],
    ['tenant_usage', 'tenant_id'],
    ['tenant_invitations', 'tenant_id'],
    ['tenant_audit_logs', 'tenant_id'],
    ['stripe_webhooks', 'tenant_id']
  ] as const) {
    const r = await client.query(
      `SELECT coalesce(string_agg((to_jsonb(x) - 'updated_at')::text, '|' ORDER BY x.id), '') AS f FROM public.${t} x WHERE ${key} = $1`,
      [tenantId]
    )
    out[t] = r.rows[0].f
  }
  return out
}
