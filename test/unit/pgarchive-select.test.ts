import { describe, expect, it } from 'vitest'
import { entriesBySchema, type ArchiveInfo, type TocEntry } from '../../src-main/backup/pgarchive'

let nextId = 1
function entry(desc: string, tag: string, namespace: string | null, deps: number[] = []): TocEntry {
  return { dumpId: nextId++, hadDumper: desc === 'TABLE DATA', tag, desc, section: 1, namespace, deps, raw: Buffer.alloc(0), offsetFlag: 3, dataPos: null, dataLen: null }
}

/** A batch archive's table of contents, in the shapes pg_dump writes for two schemas. */
function archive() {
  nextId = 1
  const enc = entry('ENCODING', 'ENCODING', null)
  const path = entry('SEARCHPATH', 'SEARCHPATH', null)
  const sa = entry('SCHEMA', 'tenant_a', null)
  const sb = entry('SCHEMA', 'tenant_b', null)
  const ta = entry('TABLE', 'users', 'tenant_a', [sa.dumpId])
  const da = entry('TABLE DATA', 'users', 'tenant_a', [ta.dumpId])
  const tb = entry('TABLE', 'users', 'tenant_b', [sb.dumpId])
  // Namespace-less entries that follow what they depend on.
  const commentA = entry('COMMENT', 'SCHEMA tenant_a', null, [sa.dumpId])
  const aclOnComment = entry('ACL', 'chained', null, [commentA.dumpId])
  const aclB = entry('ACL', 'SCHEMA tenant_b', null, [sb.dumpId, enc.dumpId])
  const both = entry('COMMENT', 'spans both', null, [sa.dumpId, sb.dumpId])
  const orphan = entry('COMMENT', 'no deps', null)
  const other = entry('TABLE', 'x', 'tenant_c')
  const info = {
    version: '1.15-0',
    versionNum: 0,
    intSize: 4,
    offSize: 8,
    header: Buffer.alloc(0),
    dbName: null,
    serverVersion: null,
    dumpVersion: null,
    entries: [enc, path, sa, sb, ta, da, tb, commentA, aclOnComment, aclB, both, orphan, other],
    dataStart: 0
  } satisfies ArchiveInfo
  return { info, enc, path, sa, sb, ta, da, tb, commentA, aclOnComment, aclB }
}

describe('selecting one schema’s entries from a batch archive', () => {
  it('takes the session settings, the schema, its objects and what depends only on them, in archive order', () => {
    const a = archive()
    const ids = (xs: TocEntry[]) => xs.map((e) => e.dumpId)
    const got = entriesBySchema(a.info, ['tenant_a', 'tenant_b'])
    expect(ids(got.get('tenant_a')!)).toEqual(ids([a.enc, a.path, a.sa, a.ta, a.da, a.commentA, a.aclOnComment]))
    expect(ids(got.get('tenant_b')!)).toEqual(ids([a.enc, a.path, a.sb, a.tb, a.aclB]))
    // Asked alone, a schema gets the same entries.
    expect(ids(entriesBySchema(a.info, ['tenant_b']).get('tenant_b')!)).toEqual(ids(got.get('tenant_b')!))
  })

  it('never lends an entry to a schema it was not dumped for', () => {
    const a = archive()
    const got = entriesBySchema(a.info, ['tenant_a'])
    expect([...got.keys()]).toEqual(['tenant_a'])
    expect(got.get('tenant_a')!.some((e) => e.namespace === 'tenant_b' || e.tag === 'tenant_b' || e.tag === 'spans both')).toBe(false)
    expect(entriesBySchema(a.info, ['tenant_missing']).get('tenant_missing')!.map((e) => e.desc)).toEqual(['ENCODING', 'SEARCHPATH'])
  })
})
