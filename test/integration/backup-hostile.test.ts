import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { ContainerWriter, openBackup, readPart, verifyParts } from '../../src-main/backup/container'
import { freshDatabase } from '../support/db'
import { TestPlatform, makeService, makeTenant, migratedDatabase, publicFingerprint, schemaFingerprint } from './backup-support'

/**
 * A consistent but hostile backup: the manifest and every checksum are right (the file is
 * re-wrapped with the console's own container writer), pg_restore reads the archive and
 * lists every table of the manifest, but the archive also holds objects outside the
 * tenant's schema. Verification (quick and deep) and restore (same tenant and copy)
 * refuse it before anything runs, naming the objects.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>
let src: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
const platform = new TestPlatform()
let con: ReturnType<typeof makeService>
let dir: string
let good: string
let tenantId: string
const bin = (t: string) => join(inject('pgBinDir'), t)

beforeAll(async () => {
  db = await migratedDatabase('hostile')
  c = db.client
  tenantId = await makeTenant(c, 'host')
  con = makeService(db.url, platform)
  await con.ready()
  dir = mkdtempSync(join(tmpdir(), 'nchat-hostile-'))
  good = (await con.svc.backupTenantNow(tenantId, { dir })).filePath
  // A scratch database holding the tenant's schema as the backup has it, plus what the
  // hostile archives add around it.
  src = await freshDatabase('hostile_src')
  const dump = join(dir, 'tenant.dump')
  const b = await openBackup(good)
  writeFileSync(dump, await readPart(b, 'schema.dump'))
  execFileSync(bin('pg_restore'), ['--no-owner', '-d', src.url, dump])
  await src.client.query(`
    SET check_function_bodies = off;
    CREATE FUNCTION public.nchat_evil() RETURNS void LANGUAGE sql AS 'DELETE FROM public.tenants';
    CREATE TABLE public.tenants (id uuid PRIMARY KEY, slug text);
    CREATE FUNCTION tenant_host.grab() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM public.tenants; RETURN NULL; END $$;
    CREATE TRIGGER nchat_grab AFTER INSERT ON public.tenants FOR EACH ROW EXECUTE FUNCTION tenant_host.grab();
    GRANT ALL ON public.tenants TO PUBLIC;
    CREATE SCHEMA tenant_other;
    CREATE TABLE tenant_other.secrets (id int);
    INSERT INTO tenant_other.secrets VALUES (1);`)
})

afterAll(async () => {
  await con?.close()
  await src?.close()
  await db?.close()
})

/** A pg_dump archive of the scratch database with `selectors`, wrapped like the good backup. */
async function hostileFile(name: string, selectors: string[]): Promise<string> {
  const archive = join(dir, `${name}.dump`)
  execFileSync(bin('pg_dump'), ['--format=custom', '--strict-names', '--schema=tenant_host', ...selectors, `--file=${archive}`, src.url])
  const b = await openBackup(good)
  const dest = join(dir, `${name}.nchatbak`)
  const fh = await open(dest, 'w', 0o600)
  try {
    const w = new ContainerWriter(fh)
    await w.writeHeader()
    w.beginPart('schema.dump')
    await w.write(await (await open(archive)).readFile())
    w.endPart()
    w.beginPart('public.jsonl')
    await w.write(await readPart(b, 'public.jsonl'))
    w.endPart()
    await w.finish({ ...b.manifest, parts: w.parts })
  } finally {
    await fh.close()
  }
  // Only the scope check can catch it: the container and its checksums are correct.
  await verifyParts(await openBackup(dest))
  return dest
}

const variants: [string, string[], RegExp[]][] = [
  ['a function in public', ['--schema=public', '--exclude-table=public.tenants'], [/FUNCTION public\.nchat_evil\(\)/]],
  ['statements on public.tenants', ['--schema=public'], [/TABLE public\.tenants/, /TRIGGER public\.tenants nchat_grab/, /ACL on TABLE public\.tenants/]],
  ["another tenant's schema", ['--schema=tenant_other'], [/SCHEMA tenant_other/, /TABLE tenant_other\.secrets/]]
]

describe('a backup whose archive reaches outside its tenant schema', () => {
  it.each(variants)('%s: refused by verify and restore before anything runs, naming the objects', async (name, selectors, named) => {
    const file = await hostileFile(name.replace(/\W+/g, '-'), selectors)
    const fp = await schemaFingerprint(c, 'tenant_host')
    const pub = await publicFingerprint(c, tenantId)
    const rows = (await c.query(`SELECT count(*)::int AS n FROM console.backup_catalog`)).rows[0].n
    const refusal = expect.stringMatching(/holds objects outside its schema tenant_host: .*do not restore it/)
    for (const deep of [false, true]) {
      const e = await con.svc.verifyFile(file, { deep }).then(() => null, (x: { code: string; message: string }) => x)
      expect(e).toMatchObject({ code: 'INVALID_INPUT', message: refusal })
      for (const n of named) expect(e!.message).toMatch(n)
    }
    for (const opts of [{ mode: 'same' as const }, { mode: 'copy' as const, newSlug: 'host-copy' }]) {
      const e = await con.svc.restoreFile(file, opts).then(() => null, (x: { code: string; message: string }) => x)
      expect(e).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^Nothing was changed: /) })
      for (const n of named) expect(e!.message).toMatch(n)
    }
    // Nothing ran: no safety backup, the tenant as it was, nothing created around it.
    expect((await c.query(`SELECT count(*)::int AS n FROM console.backup_catalog`)).rows[0].n).toBe(rows)
    expect(await schemaFingerprint(c, 'tenant_host')).toEqual(fp)
    expect(await publicFingerprint(c, tenantId)).toEqual(pub)
    const created = await c.query(
      `SELECT (SELECT count(*) FROM pg_proc WHERE proname IN ('nchat_evil', 'grab'))::int AS fns,
              (SELECT count(*) FROM pg_trigger WHERE tgname = 'nchat_grab')::int AS triggers,
              (SELECT count(*) FROM pg_namespace WHERE nspname IN ('tenant_other') OR nspname LIKE 'nchat\\_%')::int AS schemas,
              (SELECT count(*) FROM public.tenants WHERE slug = 'host-copy')::int AS copies`
    )
    expect(created.rows[0]).toEqual({ fns: 0, triggers: 0, schemas: 0, copies: 0 })
  })

  it('the honest backup it was made from still verifies (deep) and restores', async () => {
    await expect(con.svc.verifyFile(good, { deep: true })).resolves.toMatchObject({ message: expect.stringMatching(/Restored into a scratch schema/) })
    const before = await schemaFingerprint(c, 'tenant_host')
    await expect(con.svc.restoreFile(good, { mode: 'same' })).resolves.toMatchObject({ tenantSlug: 'host' })
    expect(await schemaFingerprint(c, 'tenant_host')).toEqual(before)
  })
})

describe('a file that claims to hold no schema', () => {
  /** The good backup re-wrapped with `schemaMissing: true`, its parts and manifest changed by `edit`. */
  async function claimsNoSchema(name: string, edit: { keepSchema?: boolean; rows?: (lines: string[]) => string[] }): Promise<string> {
    const b = await openBackup(good)
    const dest = join(dir, `${name}.nchatbak`)
    const fh = await open(dest, 'w', 0o600)
    try {
      const w = new ContainerWriter(fh)
      await w.writeHeader()
      if (edit.keepSchema) {
        w.beginPart('schema.dump')
        await w.write(await readPart(b, 'schema.dump'))
        w.endPart()
      }
      const lines = (await readPart(b, 'public.jsonl')).toString('utf8').split('\n').filter(Boolean)
      const out = edit.rows ? edit.rows(lines) : lines
      w.beginPart('public.jsonl')
      await w.write(Buffer.from(out.map((l) => `${l}\n`).join(''), 'utf8'))
      w.endPart()
      const counts = new Map<string, number>()
      for (const l of out) counts.set(l.slice(0, l.indexOf('\t')), (counts.get(l.slice(0, l.indexOf('\t'))) ?? 0) + 1)
      await w.finish({
        ...b.manifest,
        schemaMissing: true,
        schemaTables: edit.keepSchema ? b.manifest.schemaTables : [],
        sequences: edit.keepSchema ? b.manifest.sequences : [],
        publicTables: b.manifest.publicTables.map((t) => ({ table: t.table, rows: counts.get(t.table) ?? 0 })),
        parts: w.parts
      })
    } finally {
      await fh.close()
    }
    return dest
  }

  it('refuses one that still carries a schema archive, and one whose rows belong to another tenant, before anything runs', async () => {
    const other = '00000000-0000-4000-8000-00000000beef'
    const cases: [string, string][] = [
      [await claimsNoSchema('no-schema-with-archive', { keepSchema: true }), 'its manifest says the tenant had no schema, yet it lists schema contents'],
      [
        await claimsNoSchema('no-schema-other-tenant', { rows: (ls) => ls.map((l) => (l.startsWith('tenant_settings\t') ? l.replace(tenantId, other) : l)) }),
        'a tenant_settings row belongs to another tenant'
      ],
      [await claimsNoSchema('no-schema-renamed', { rows: (ls) => ls.map((l) => (l.startsWith('tenants\t') ? l.replace('"slug":"host"', '"slug":"victim"') : l)) }), 'its tenants row is not the tenant its manifest names']
    ]
    const pub = await publicFingerprint(c, tenantId)
    const fp = await schemaFingerprint(c, 'tenant_host')
    for (const [file, why] of cases) {
      for (const deep of [false, true]) {
        await expect(con.svc.verifyFile(file, { deep })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(why) })
      }
      await expect(con.svc.restoreFile(file, { mode: 'same' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(why) })
    }
    expect(await publicFingerprint(c, tenantId)).toEqual(pub)
    expect(await schemaFingerprint(c, 'tenant_host')).toEqual(fp)
  })
})
