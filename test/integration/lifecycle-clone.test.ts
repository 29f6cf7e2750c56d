import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readShape } from '../../src-main/lifecycle/catalog'
import { stripSchema } from '../../src-main/lifecycle/cloner'
import { compareShapes } from '../../src-main/lifecycle/parity'
import { PLAIN_TABLES, templateDdl } from '../../src-main/seed/template'
import { CREATE, lifecycleDatabase, openConsole, type Console } from './lifecycle-support'

/**
 * Clone fidelity on a template with everything the app's real template may use. Its tables
 * have other names than the app's (users, messages, ... instead of nchat_users, ...), so the
 * console's "find the tables by what the template has" stays tested (the owner lands in `users`).
 */
const rich = (s: string) => `${templateDdl(s, PLAIN_TABLES)}
CREATE TYPE ${s}.mood AS ENUM ('happy', 'sad', 'it''s complicated');
CREATE TYPE ${s}.geo AS (lat double precision, lon double precision);
CREATE DOMAIN ${s}.positive_int AS integer DEFAULT 1 NOT NULL CHECK (VALUE > 0);
CREATE SEQUENCE ${s}.ticket_seq START 1000 INCREMENT 5;
CREATE TABLE ${s}.extras (
  id serial PRIMARY KEY,
  ticket bigint NOT NULL DEFAULT nextval('${s}.ticket_seq'),
  mood ${s}.mood NOT NULL DEFAULT 'happy',
  place ${s}.geo,
  qty ${s}.positive_int,
  double_qty integer GENERATED ALWAYS AS (qty * 2) STORED,
  code text COLLATE "C" UNIQUE,
  owner_id bigint REFERENCES ${s}.users(id) DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT extras_code_len CHECK (char_length(code) < 40) NOT VALID
);
ALTER SEQUENCE ${s}.ticket_seq OWNED BY ${s}.extras.ticket;
CREATE INDEX extras_lower_code_idx ON ${s}.extras (lower(code));
COMMENT ON COLUMN ${s}.extras.mood IS 'how it went';
COMMENT ON INDEX ${s}.extras_lower_code_idx IS 'case-insensitive lookups';
COMMENT ON CONSTRAINT extras_code_len ON ${s}.extras IS 'short codes';
COMMENT ON FUNCTION ${s}.touch_updated_at() IS 'keeps updated_at fresh';
COMMENT ON TRIGGER messages_touch ON ${s}.messages IS 'touch';
COMMENT ON POLICY messages_visible ON ${s}.messages IS 'own messages';
COMMENT ON SCHEMA ${s} IS 'chat template';
CREATE FUNCTION ${s}.audit_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
BEGIN
  RETURN NEW;
END $fn$;
CREATE TRIGGER extras_audit AFTER INSERT OR UPDATE OF code ON ${s}.extras FOR EACH ROW WHEN (NEW.code IS NOT NULL) EXECUTE FUNCTION ${s}.audit_insert();
ALTER TABLE ${s}.extras DISABLE TRIGGER extras_audit;
SET check_function_bodies = off;
CREATE FUNCTION ${s}.channel_count() RETURNS bigint LANGUAGE sql STABLE AS $fn$ SELECT count(*) FROM channels $fn$;
RESET check_function_bodies;
ALTER TABLE ${s}.channels ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${s}.channels FORCE ROW LEVEL SECURITY;
CREATE POLICY channels_public ON ${s}.channels AS RESTRICTIVE FOR SELECT TO PUBLIC USING (NOT is_private OR created_by IS NOT NULL);
CREATE POLICY channels_write ON ${s}.channels FOR INSERT WITH CHECK (name <> '');
CREATE VIEW ${s}.recent_messages AS SELECT m.id, m.body, c.name AS channel FROM ${s}.messages m JOIN ${s}.channels c ON c.id = m.channel_id;
CREATE VIEW ${s}.recent_general AS SELECT * FROM ${s}.recent_messages WHERE channel = 'general';
ALTER TABLE ${s}.audit_log REPLICA IDENTITY FULL;
REVOKE ALL ON FUNCTION ${s}.audit_insert() FROM PUBLIC;
GRANT SELECT ON ${s}.channels TO PUBLIC;
GRANT SELECT (id, email) ON ${s}.users TO nchat_console_support;
`

type Db = Awaited<ReturnType<typeof lifecycleDatabase>>
let db: Db
let con: Console

beforeAll(async () => {
  // nchat_console_support must exist before the template grants to it.
  db = await lifecycleDatabase('lcc', {
    beforeTemplate: async (c) => {
      await c.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nchat_console_support') THEN CREATE ROLE nchat_console_support NOLOGIN; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`)
    },
    template: rich
  })
  con = await openConsole(db.url)
})
afterAll(async () => {
  await con?.close()
  await db?.close()
})

async function q<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.client.query(sql, params)).rows as T[]
}

describe('clone fidelity', () => {
  it('passes the parity check and reproduces every kind of object inside the new schema', async () => {
    const r = await con.call<{ schemaName: string; timings: { ddlCached: boolean } }>('lifecycle:create', { ...CREATE, slug: 'rich' })
    expect(r.ok ? 'ok' : r.error).toBe('ok')
    // The owner went into the users table this template has (no nchat_users here).
    expect(await q(`SELECT email, role FROM tenant_rich.users`)).toEqual([{ email: CREATE.ownerEmail, role: 'owner' }])
    // Foreign keys point inside the new schema only.
    const fks = await q<{ conname: string; ref: string }>(
      `SELECT co.conname, rn.nspname AS ref FROM pg_constraint co JOIN pg_class r ON r.oid = co.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
        WHERE co.contype = 'f' AND co.connamespace = 'tenant_rich'::regnamespace`
    )
    expect(fks.length).toBeGreaterThanOrEqual(12)
    expect(new Set(fks.map((f) => f.ref))).toEqual(new Set(['tenant_rich']))
    // Identity and serial sequences belong to the new schema and its columns.
    expect((await q(`SELECT pg_get_serial_sequence('tenant_rich.users', 'id') AS s`))[0]).toEqual({ s: 'tenant_rich.users_id_seq' })
    expect((await q(`SELECT pg_get_serial_sequence('tenant_rich.extras', 'id') AS s`))[0]).toEqual({ s: 'tenant_rich.extras_id_seq' })
    expect((await q(`SELECT pg_get_serial_sequence('tenant_rich.extras', 'ticket') AS s`))[0]).toEqual({ s: 'tenant_rich.ticket_seq' })
    expect((await q(`SELECT seqstart::int, seqincrement::int FROM pg_sequence WHERE seqrelid = 'tenant_rich.ticket_seq'::regclass`))[0]).toEqual({ seqstart: 1000, seqincrement: 5 })
    // Triggers call the new schema's functions; the disabled one stays disabled.
    const trg = await q<{ tgname: string; fn: string; tgenabled: string }>(
      `SELECT t.tgname, p.pronamespace::regnamespace::text AS fn, t.tgenabled FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE t.tgrelid IN ('tenant_rich.messages'::regclass, 'tenant_rich.users'::regclass, 'tenant_rich.extras'::regclass) AND NOT t.tgisinternal ORDER BY 1`
    )
    expect(trg).toEqual([
      { tgname: 'extras_audit', fn: 'tenant_rich', tgenabled: 'D' },
      { tgname: 'messages_touch', fn: 'tenant_rich', tgenabled: 'O' },
      { tgname: 'users_touch', fn: 'tenant_rich', tgenabled: 'O' }
    ])
    // RLS and policies.
    const rls = await q(`SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relnamespace = 'tenant_rich'::regnamespace AND relrowsecurity ORDER BY 1`)
    expect(rls).toEqual([
      { relname: 'channels', relrowsecurity: true, relforcerowsecurity: true },
      { relname: 'messages', relrowsecurity: true, relforcerowsecurity: false }
    ])
    expect((await q(`SELECT policyname, permissive FROM pg_policies WHERE schemaname = 'tenant_rich' ORDER BY 1`)).length).toBe(3)
    // Comments, types, views, grants.
    expect((await q(`SELECT obj_description('tenant_rich'::regnamespace, 'pg_namespace') AS c`))[0]).toEqual({ c: 'chat template' })
    expect((await q(`SELECT col_description('tenant_rich.extras'::regclass, 3) AS c`))[0]).toEqual({ c: 'how it went' })
    expect((await q(`SELECT enum_range(NULL::tenant_rich.mood)::text AS r`))[0]).toEqual({ r: '{happy,sad,"it\'s complicated"}' })
    expect((await q(`SELECT has_table_privilege('public', 'tenant_rich.channels', 'SELECT') AS p`))[0]).toEqual({ p: true })
    expect((await q(`SELECT has_function_privilege('public', 'tenant_rich.audit_insert()', 'EXECUTE') AS p`))[0]).toEqual({ p: false })
    expect((await q(`SELECT pg_get_viewdef('tenant_rich.recent_general'::regclass) AS d`))[0]!.d).toMatch(/FROM tenant_rich\.recent_messages/)
    // It works: defaults, the generated column, FK enforcement, the trigger.
    await db.client.query(`INSERT INTO tenant_rich.channels (name) VALUES ('general')`)
    await db.client.query(`INSERT INTO tenant_rich.extras (qty, code) VALUES (3, 'abc')`)
    expect((await q(`SELECT ticket::int, mood::text, double_qty FROM tenant_rich.extras`))[0]).toEqual({ ticket: 1000, mood: 'happy', double_qty: 6 })
    await expect(db.client.query(`INSERT INTO tenant_rich.messages (channel_id, body) VALUES (999, 'x')`)).rejects.toThrow(/foreign key/)
    await db.client.query(`INSERT INTO tenant_rich.messages (channel_id, body) VALUES (1, 'x')`)
    const before = (await q<{ u: Date }>(`SELECT updated_at AS u FROM tenant_rich.messages`))[0]!.u
    await db.client.query(`UPDATE tenant_rich.messages SET body = 'y'`)
    expect((await q<{ u: Date }>(`SELECT updated_at AS u FROM tenant_rich.messages`))[0]!.u.getTime()).toBeGreaterThanOrEqual(before.getTime())
    await db.client.query('SET search_path TO tenant_rich')
    expect((await q(`SELECT tenant_rich.channel_count()::int AS n`))[0]).toEqual({ n: 1 })
    await db.client.query('RESET search_path')
    // The template is untouched.
    expect((await q(`SELECT count(*)::int AS n FROM nchat.channels`))[0]).toEqual({ n: 0 })
    expect((await q(`SELECT count(*)::int AS n FROM nchat.users`))[0]).toEqual({ n: 0 })
  })

  it('the parity check reports a tampered clone', async () => {
    await db.client.query('BEGIN')
    try {
      await db.client.query(`DROP INDEX tenant_rich.messages_user_idx`)
      await db.client.query(`ALTER TABLE tenant_rich.users ALTER COLUMN role SET DEFAULT 'guest'`)
      await db.client.query(`DROP POLICY messages_visible ON tenant_rich.messages`)
      await db.client.query(`ALTER TABLE tenant_rich.threads DROP CONSTRAINT threads_channel_id_fkey,
                               ADD CONSTRAINT threads_channel_id_fkey FOREIGN KEY (channel_id) REFERENCES nchat.channels(id)`)
      const t = await readShape(db.client, 'nchat')
      const n = await readShape(db.client, 'tenant_rich')
      const res = compareShapes(stripSchema(t!), stripSchema(n!))
      expect(res.ok).toBe(false)
      expect(res.differences).toEqual(
        expect.arrayContaining([
          'missing in new schema: index messages.messages_user_idx',
          'differs: column users.role',
          'missing in new schema: policy messages.messages_visible',
          'differs: constraint threads.threads_channel_id_fkey'
        ])
      )
    } finally {
      await db.client.query('ROLLBACK')
    }
  })

  it('caches the DDL per template state and regenerates after a template change', async () => {
    const a = await con.call<{ timings: { ddlCached: boolean } }>('lifecycle:create', { ...CREATE, slug: 'cached-one' })
    expect(a.ok && a.data.timings.ddlCached).toBe(true)
    await db.client.query(`ALTER TABLE nchat.users ADD COLUMN locale text DEFAULT 'en'`)
    const b = await con.call<{ timings: { ddlCached: boolean } }>('lifecycle:create', { ...CREATE, slug: 'after-change' })
    expect(b.ok && b.data.timings.ddlCached).toBe(false)
    expect((await q(`SELECT column_default AS d FROM information_schema.columns WHERE table_schema = 'tenant_after_change' AND column_name = 'locale'`))[0]).toEqual({ d: "'en'::text" })
    await db.client.query(`COMMENT ON TABLE nchat.channels IS 'rooms'`)
    const c = await con.call<{ timings: { ddlCached: boolean } }>('lifecycle:create', { ...CREATE, slug: 'after-comment' })
    expect(c.ok && c.data.timings.ddlCached).toBe(false)
    expect((await q(`SELECT obj_description('tenant_after_comment.channels'::regclass, 'pg_class') AS c`))[0]).toEqual({ c: 'rooms' })
  })
})
