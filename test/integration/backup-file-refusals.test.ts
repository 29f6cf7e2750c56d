import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { ContainerWriter, openBackup, readPart } from '../../src-main/backup/container'
import type { freshDatabase } from '../support/db'
import { TestPlatform, makeService, makeTenant, migratedDatabase, publicFingerprint, schemaFingerprint } from './backup-support'

/**
 * Restore from a file the operator chose: every kind of wrong file is refused before
 * anything changes, with a stable code and words that say what is wrong and what to do.
 * The same refusals come from verifying a file. None of them is INTERNAL.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>
let c: pg.Client
const platform = new TestPlatform() as TestPlatform & { openFileDialog(): Promise<string | null> }
let chosen: string | null = null
platform.openFileDialog = async () => chosen
let con: ReturnType<typeof makeService>
let dir: string
let good: string
let tenantId: string

beforeAll(async () => {
  db = await migratedDatabase('refusals')
  c = db.client
  tenantId = await makeTenant(c, 'refu')
  con = makeService(db.url, platform)
  await con.ready()
  dir = mkdtempSync(join(tmpdir(), 'nchat-refusals-'))
  good = (await con.svc.backupTenantNow(tenantId, { dir })).filePath
})

afterAll(async () => {
  await con?.close()
  await db?.close()
})

/** Re-wraps a backup with a changed manifest and CORRECT checksums (the console's own writer). */
async function rewrap(src: string, dest: string, change: (m: Record<string, unknown>) => void): Promise<void> {
  const b = await openBackup(src)
  const fh = await open(dest, 'w', 0o600)
  try {
    const w = new ContainerWriter(fh)
    await w.writeHeader()
    for (const p of b.manifest.parts) {
      w.beginPart(p.name)
      await w.write(await readPart(b, p.name))
      w.endPart()
    }
    const m = { ...b.manifest, parts: w.parts } as unknown as Record<string, unknown>
    change(m)
    await w.finish(m as never)
  } finally {
    await fh.close()
  }
}

function schemaPart(file: string): Buffer {
  const buf = readFileSync(file)
  const mOff = Number(buf.readBigUInt64BE(buf.length - 56))
  const mLen = Number(buf.readBigUInt64BE(buf.length - 48))
  const m = JSON.parse(buf.subarray(mOff, mOff + mLen).toString('utf8')) as { parts: { name: string; offset: number; length: number }[] }
  const p = m.parts.find((x) => x.name === 'schema.dump')!
  return buf.subarray(p.offset, p.offset + p.length)
}

interface Case {
  name: string
  make: () => Promise<string> | string
  code: string
  message: RegExp
}

const cases: Case[] = [
  {
    name: 'a folder',
    make: () => {
      const d = join(dir, 'a-folder.nchatbak')
      mkdirSync(d)
      return d
    },
    code: 'INVALID_INPUT',
    message: /a-folder\.nchatbak is a folder, not a backup file\. Open the folder and choose the \.nchatbak file inside it/
  },
  {
    name: 'a missing file',
    make: () => join(dir, 'gone.nchatbak'),
    code: 'NOT_FOUND',
    message: /There is no file at .*gone\.nchatbak: it was moved, renamed or deleted\. Choose the backup file again/
  },
  {
    name: 'a symlink to a system file',
    make: () => {
      const l = join(dir, 'passwd.nchatbak')
      symlinkSync('/etc/passwd', l)
      return l
    },
    code: 'INVALID_INPUT',
    message: /passwd\.nchatbak is a link to \/etc\/passwd, outside the folder .*Links that lead out of the chosen file's folder are refused/
  },
  {
    name: 'a symlink (relative) leading to a backup in the parent folder',
    make: () => {
      const sub = join(dir, 'sub')
      mkdirSync(sub, { recursive: true })
      const l = join(sub, 'up.nchatbak')
      symlinkSync(join('..', good.split('/').at(-1)!), l)
      return l
    },
    code: 'INVALID_INPUT',
    message: /up\.nchatbak is a link to \.\.\/.*\.nchatbak, outside the folder/
  },
  {
    name: 'a symlink to nothing',
    make: () => {
      const l = join(dir, 'dangling.nchatbak')
      symlinkSync(join(dir, 'nothing-here'), l)
      return l
    },
    code: 'NOT_FOUND',
    message: /dangling\.nchatbak is a link to .*nothing-here, which does not exist/
  },
  {
    name: 'a named pipe',
    make: () => {
      const f = join(dir, 'pipe.nchatbak')
      execFileSync('mkfifo', [f])
      return f
    },
    code: 'INVALID_INPUT',
    message: /pipe\.nchatbak is not a regular file/
  },
  {
    name: 'an empty file',
    make: () => {
      const f = join(dir, 'empty.nchatbak')
      writeFileSync(f, '')
      return f
    },
    code: 'INVALID_INPUT',
    message: /empty\.nchatbak is empty \(0 bytes\)/
  },
  {
    name: 'a plain pg_dump archive (custom format)',
    make: () => {
      const f = join(dir, 'plain.dump')
      writeFileSync(f, schemaPart(good))
      return f
    },
    code: 'INVALID_INPUT',
    message: /plain\.dump is a pg_dump archive \(custom format\), not an nChat Console backup\..*Restore this archive by hand with pg_restore/
  },
  {
    name: 'a plain SQL dump',
    make: () => {
      const f = join(dir, 'dump.sql')
      execFileSync(join(inject('pgBinDir'), 'pg_dump'), ['--schema=tenant_refu', '--schema-only', '-f', f, db.url])
      return f
    },
    code: 'INVALID_INPUT',
    message: /dump\.sql is a plain SQL dump \(pg_dump's text format\).*psql/
  },
  {
    name: 'a gzip-compressed backup',
    make: () => {
      const f = join(dir, 'x.nchatbak.gz')
      execFileSync('sh', ['-c', `gzip -c "$1" > "$2"`, 'sh', good, f])
      return f
    },
    code: 'INVALID_INPUT',
    message: /is gzip-compressed.*decompress it first/
  },
  {
    name: 'some other file',
    make: () => {
      const f = join(dir, 'notes.nchatbak')
      writeFileSync(f, 'hello, this is not a backup at all\n'.repeat(10))
      return f
    },
    code: 'INVALID_INPUT',
    message: /notes\.nchatbak is not an nChat Console backup: it does not start with the backup header/
  },
  {
    name: 'a backup written by a newer console (file format version 2)',
    make: () => {
      const f = join(dir, 'newer.nchatbak')
      const b = Buffer.from(readFileSync(good))
      b.writeUInt32BE(2, 8)
      writeFileSync(f, b)
      return f
    },
    code: 'UNSUPPORTED',
    message: /written by a newer nChat Console \(backup file format version 2; this console reads version 1\)\. Update the console/
  },
  {
    name: 'a backup whose manifest is from a newer console (checksums correct)',
    make: async () => {
      const f = join(dir, 'newer-manifest.nchatbak')
      await rewrap(good, f, (m) => (m.formatVersion = 3))
      return f
    },
    code: 'UNSUPPORTED',
    message: /written by a newer nChat Console \(manifest version 3/
  },
  {
    name: 'a truncated backup (half of it)',
    make: () => {
      const f = join(dir, 'half.nchatbak')
      const b = readFileSync(good)
      writeFileSync(f, b.subarray(0, Math.floor(b.length / 2)))
      return f
    },
    code: 'INVALID_INPUT',
    message: /truncated or damaged: its end marker is missing.*Use another copy/
  },
  {
    name: 'a truncated backup (its first 40 bytes)',
    make: () => {
      const f = join(dir, 'stub.nchatbak')
      writeFileSync(f, readFileSync(good).subarray(0, 40))
      return f
    },
    code: 'INVALID_INPUT',
    message: /stub\.nchatbak is a truncated nChat Console backup \(only 40 bytes\)/
  },
  {
    name: 'a damaged backup (one byte changed in its schema archive)',
    make: () => {
      const f = join(dir, 'flipped.nchatbak')
      const b = Buffer.from(readFileSync(good))
      b[200] = b[200]! ^ 0x20
      writeFileSync(f, b)
      return f
    },
    code: 'INVALID_INPUT',
    message: /damaged: part schema\.dump does not match its checksum/
  }
]

describe('restore from a file refuses what is not a usable backup, saying what is wrong', () => {
  it.each(cases)('$name', async (tc) => {
    const path = await tc.make()
    const fp = await schemaFingerprint(c, 'tenant_refu')
    const pub = await publicFingerprint(c, tenantId)
    const rows = (await c.query(`SELECT count(*)::int AS n FROM console.backup_catalog`)).rows[0].n
    chosen = path
    // The IPC path: backups:restore with no backupId opens the file dialog.
    const err = await con.svc.restore({ backupId: null, mode: 'same' }).then(
      () => null,
      (e: { code: string; message: string }) => e
    )
    expect(err).toMatchObject({ code: tc.code, message: expect.stringMatching(tc.message) })
    // A copy is refused the same way, and verifying the file says the same.
    await expect(con.svc.restoreFile(path, { mode: 'copy', newSlug: 'refu-copy' })).rejects.toMatchObject({ code: tc.code })
    await expect(con.svc.verifyFile(path, { deep: false })).rejects.toMatchObject({ code: tc.code, message: expect.stringMatching(tc.message) })
    // Nothing changed: no safety backup was even started.
    expect((await c.query(`SELECT count(*)::int AS n FROM console.backup_catalog`)).rows[0].n).toBe(rows)
    expect(await schemaFingerprint(c, 'tenant_refu')).toEqual(fp)
    expect(await publicFingerprint(c, tenantId)).toEqual(pub)
    expect((await c.query(`SELECT count(*)::int AS n FROM public.tenants WHERE slug = 'refu-copy'`)).rows[0].n).toBe(0)
  })

  it('a link to a backup inside the chosen folder is followed (and the good file verifies)', async () => {
    const l = join(dir, 'alias.nchatbak')
    symlinkSync(good.split('/').at(-1)!, l)
    await expect(con.svc.verifyFile(l, { deep: false })).resolves.toMatchObject({ message: expect.stringMatching(/Checksums match/) })
    await expect(con.svc.verifyFile(good, { deep: false })).resolves.toMatchObject({ message: expect.stringMatching(/Checksums match/) })
  })

  it('a catalog entry whose file is gone: verify says so (not INTERNAL), restore answers NOT_FOUND', async () => {
    const rec = await con.svc.backupTenantNow(tenantId, { dir: mkdtempSync(join(tmpdir(), 'nchat-refusals-gone-')) })
    execFileSync('rm', ['-f', rec.filePath])
    const v = await con.svc.verify(rec.id, false)
    expect(v).toMatchObject({ ok: false, message: expect.stringMatching(/There is no file at .*: it was moved, renamed or deleted/) })
    await expect(con.svc.restore({ backupId: rec.id, mode: 'same' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
