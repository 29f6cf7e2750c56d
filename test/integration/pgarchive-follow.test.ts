import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { ArchiveFormatError, expectsData, followArchive, readArchive, type TocEntry } from '../../src-main/backup/pgarchive'
import type { freshDatabase } from '../support/db'
import { makeTenant, migratedDatabase } from './backup-support'

/**
 * Batch backups read pg_dump's archive while pg_dump is still writing it. A real archive
 * from a real pg_dump is replayed into a file piece by piece (as pg_dump's buffered
 * writes land) while followArchive follows it.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>
let archive: Buffer
const dir = mkdtempSync(join(tmpdir(), 'nchat-follow-'))

beforeAll(async () => {
  db = await migratedDatabase('follow')
  await makeTenant(db.client, 'one')
  await makeTenant(db.client, 'two', { messages: 20_000 })
  const file = join(dir, 'shared.dump')
  const u = new URL(db.url)
  execFileSync(join(inject('pgBinDir'), 'pg_dump'), ['-Fc', '-n', 'tenant_one', '-n', 'tenant_two', '-f', file, '-d', u.pathname.slice(1), '-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username)], {
    env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) }
  })
  archive = readFileSync(file)
})

afterAll(async () => {
  await db?.close()
})

/** Writes `bytes` into `path` in small pieces with pauses; `upTo` stops early (a dump that died). */
async function replay(path: string, bytes: Buffer, opts: { piece: number; upTo?: number; onDone: () => void }) {
  const fd = openSync(path, 'w')
  const end = opts.upTo ?? bytes.length
  for (let at = 0; at < end; at += opts.piece) {
    writeSync(fd, bytes, at, Math.min(opts.piece, end - at), at)
    await new Promise((r) => setTimeout(r, 1))
  }
  closeSync(fd)
  opts.onDone()
}

describe('following an archive while it is written', () => {
  it('reports the table of contents first, then every data block, and ends with the same extents readArchive finds', async () => {
    const path = join(dir, 'growing.dump')
    writeFileSync(path, '')
    let exited = false
    const events: string[] = []
    const blocks: TocEntry[] = []
    const following = followArchive(path, {
      finished: () => exited,
      signal: new AbortController().signal,
      pollMs: 1,
      onToc: (info) => events.push(`toc:${info.entries.length}:${exited}`),
      onBlock: (e) => {
        events.push('block')
        blocks.push(e)
      }
    })
    await replay(path, archive, { piece: 8192, onDone: () => (exited = true) })
    const info = await following
    const whole = await readArchive(join(dir, 'shared.dump'))

    expect(events[0]).toMatch(/^toc:\d+:false$/) // while "pg_dump" was still writing
    expect(events.filter((e) => e === 'block').length).toBe(whole.entries.filter(expectsData).length)
    expect(blocks.length).toBeGreaterThan(10)
    const extents = (es: TocEntry[]) => es.map((e) => [e.dumpId, e.dataPos, e.dataLen])
    expect(extents(info.entries)).toEqual(extents(whole.entries))
    expect(info.entries.map((e) => e.raw.toString('hex'))).toEqual(whole.entries.map((e) => e.raw.toString('hex')))
  })

  it('a dump that ends mid-way is refused as truncated, not taken as complete', async () => {
    const path = join(dir, 'cut.dump')
    writeFileSync(path, '')
    let exited = false
    const following = followArchive(path, {
      finished: () => exited,
      signal: new AbortController().signal,
      pollMs: 1,
      onToc: () => {},
      onBlock: () => {}
    })
    following.catch(() => {})
    await replay(path, archive, { piece: 65536, upTo: Math.floor(archive.length * 0.7), onDone: () => (exited = true) })
    await expect(following).rejects.toThrow(ArchiveFormatError)
    await expect(following).rejects.toThrow(/truncated/)
  })

  it('stops when asked', async () => {
    const path = join(dir, 'stopped.dump')
    writeFileSync(path, archive.subarray(0, 100))
    const stop = new AbortController()
    const following = followArchive(path, { finished: () => false, signal: stop.signal, pollMs: 1, onToc: () => {}, onBlock: () => {} })
    following.catch(() => {})
    stop.abort()
    await expect(following).rejects.toThrow(/Stopped/)
  })
})
