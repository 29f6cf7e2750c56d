/**
 * Reader and splitter for pg_dump's custom archive format (-Fc), archive versions
 * 1.12 to 1.16 (pg_dump 10 to 18). Used by batch backups: one pg_dump run over many
 * tenant schemas writes one shared archive; `splitArchive` then writes, per schema,
 * a custom archive holding only that schema's entries and data blocks, byte for byte
 * (data blocks are copied, never decompressed). The result is an ordinary archive:
 * `pg_restore --list` reads it, and it restores on its own.
 *
 * Layout (pg_backup_archiver.c / pg_backup_custom.c):
 *   header: "PGDMP", vmaj, vmin, vrev, intSize, offSize, format(1 = custom),
 *           compression (int before 1.15, one byte = algorithm from 1.15),
 *           7 ints of creation time, dbname, server version, pg_dump version
 *   TOC:    int count, then per entry: dumpId, hadDumper, tableoid, oid, tag, desc,
 *           section, defn, dropStmt, copyStmt, namespace, tablespace, tableam (1.14+),
 *           relkind int (1.16+), owner, "false", deps (strings until NULL), then the
 *           data position: one flag byte (1 not set, 2 set, 3 no data) + offSize bytes
 *   data:   per block: type byte (1 data, 3 large objects), dumpId, then chunks
 *           (int length + bytes) ending with length 0
 * Integers: one sign byte + intSize bytes little-endian magnitude.
 * Strings: int length (-1 = NULL) + bytes.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

export const K_OFFSET_POS_NOT_SET = 1
export const K_OFFSET_POS_SET = 2
export const K_OFFSET_NO_DATA = 3
const BLK_DATA = 1
const BLK_BLOBS = 3

export class ArchiveFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ArchiveFormatError'
  }
}

/** The bytes end before the structure does: a truncated file, or one still being written. */
export class ArchiveTruncatedError extends ArchiveFormatError {
  constructor() {
    super('The archive ends too early: it is truncated or damaged.')
    this.name = 'ArchiveTruncatedError'
  }
}

export interface TocEntry {
  dumpId: number
  hadDumper: boolean
  tag: string | null
  desc: string | null
  section: number
  namespace: string | null
  deps: number[]
  /** The entry's SQL text, its COPY statement and owner: read only by `readArchiveToc` (undefined otherwise). */
  defn?: string | null
  copyStmt?: string | null
  owner?: string | null
  /** Raw bytes of the entry up to (not including) the data position. */
  raw: Buffer
  offsetFlag: number
  /** Where this entry's data block starts in the source, once known. */
  dataPos: number | null
  dataLen: number | null
}

export interface ArchiveInfo {
  version: string
  /** (vmaj << 16) | (vmin << 8) | vrev */
  versionNum: number
  intSize: number
  offSize: number
  /** Header bytes, copied verbatim into split archives. */
  header: Buffer
  dbName: string | null
  serverVersion: string | null
  dumpVersion: string | null
  entries: TocEntry[]
  /** Where the data blocks start. */
  dataStart: number
}

const V = (a: number, b: number, c = 0) => (a << 16) | (b << 8) | c

/**
 * Buffered sequential reader over a file descriptor. Synchronous on purpose: a TOC has
 * thousands of tiny fields, and one await per field costs more than the reading.
 */
class Reader {
  private buf = Buffer.alloc(0)
  private bufStart = 0
  pos = 0
  constructor(
    private readonly fd: number,
    private readonly size: number,
    /** Where the archive starts in the file (an archive inside a backup container). */
    private readonly base = 0
  ) {}

  private ensure(n: number): void {
    if (this.pos >= this.bufStart && this.bufStart + this.buf.length - this.pos >= n) return
    if (this.pos + n > this.size) throw new ArchiveTruncatedError()
    const len = Math.min(Math.max(n, 4 << 20), this.size - this.pos)
    const b = Buffer.allocUnsafe(len)
    const got = readSync(this.fd, b, 0, len, this.base + this.pos)
    this.buf = b.subarray(0, got)
    this.bufStart = this.pos
    if (got < n) throw new ArchiveTruncatedError()
  }

  bytes(n: number): Buffer {
    this.ensure(n)
    const off = this.pos - this.bufStart
    this.pos += n
    return this.buf.subarray(off, off + n)
  }

  /** Bytes already read, from `start` to the current position (copied). */
  since(start: number): Buffer {
    if (start >= this.bufStart) return Buffer.from(this.buf.subarray(start - this.bufStart, this.pos - this.bufStart))
    const b = Buffer.alloc(this.pos - start)
    readSync(this.fd, b, 0, b.length, this.base + start)
    return b
  }

  byte(): number {
    return this.bytes(1)[0]!
  }

  int(intSize: number): number {
    const b = this.bytes(1 + intSize)
    let v = 0
    for (let i = intSize; i >= 1; i--) v = v * 256 + b[i]!
    if (b[0]! > 1) throw new ArchiveFormatError('The archive has a malformed integer: it is damaged.')
    return b[0] ? -v : v
  }

  str(intSize: number): string | null {
    const n = this.int(intSize)
    if (n < 0) return null
    if (n > 1 << 30) throw new ArchiveFormatError('The archive has an impossible string length: it is damaged.')
    return this.bytes(n).toString('utf8')
  }

  /** A string field that is not needed: checked and passed over, not decoded. */
  skipStr(intSize: number): void {
    const n = this.int(intSize)
    if (n < 0) return
    if (n > 1 << 30) throw new ArchiveFormatError('The archive has an impossible string length: it is damaged.')
    this.ensure(n)
    this.pos += n
  }

  skip(n: number): void {
    this.pos += n
  }
}

/** Reads the header and table of contents, then walks the data blocks to find each one's extent. */
export async function readArchive(path: string, range?: { start: number; length: number }): Promise<ArchiveInfo> {
  const fd = openSync(path, 'r')
  try {
    const size = range ? range.length : fstatSync(fd).size
    const r = new Reader(fd, size, range?.start ?? 0)
    const info = readHeadAndToc(r, false)
    const byId = new Map(info.entries.map((e) => [e.dumpId, e]))
    // Walk the data blocks in file order to learn each block's extent.
    while (r.pos < size) readBlock(r, info.intSize, byId, false)
    if (r.pos !== size) throw new ArchiveFormatError('The archive ends in the middle of a data block: it is truncated.')
    checkAllData(info)
    return info
  } finally {
    closeSync(fd)
  }
}

/**
 * Header and table of contents only, with each entry's SQL text, COPY statement and owner
 * (for checking what an archive would run before pg_restore sees it). Data blocks are not read.
 */
export function readArchiveToc(path: string, range?: { start: number; length: number }): ArchiveInfo {
  const fd = openSync(path, 'r')
  try {
    const size = range ? range.length : fstatSync(fd).size
    return readHeadAndToc(new Reader(fd, size, range?.start ?? 0), false, true)
  } finally {
    closeSync(fd)
  }
}

/** Every entry that has data must have had its block. */
function checkAllData(info: ArchiveInfo): void {
  for (const e of info.entries) {
    if (expectsData(e) && e.dataLen === null) {
      throw new ArchiveFormatError(`The archive lacks the data of ${e.desc ?? 'an entry'} ${e.tag ?? ''}: it is truncated.`)
    }
  }
}

/** Whether the entry has a data block (pg_dump marks entries without one "no data"). */
export function expectsData(e: TocEntry): boolean {
  return e.hadDumper && e.offsetFlag !== K_OFFSET_NO_DATA
}

/**
 * Header and table of contents. `ignoreOffsets`: the data positions written in the TOC
 * are not used (while pg_dump is still writing, it rewrites them in place at the end).
 */
function readHeadAndToc(r: Reader, ignoreOffsets: boolean, texts = false): ArchiveInfo {
  const magic = r.bytes(5).toString('latin1')
  if (magic !== 'PGDMP') throw new ArchiveFormatError('Not a pg_dump custom-format archive.')
  const vmaj = r.byte()
  const vmin = r.byte()
  const vrev = r.byte()
  const versionNum = V(vmaj, vmin, vrev)
  if (versionNum < V(1, 12) || versionNum > V(1, 16)) {
    throw new ArchiveFormatError(`Archive version ${vmaj}.${vmin} is not supported by the splitter (1.12 to 1.16 are).`)
  }
  const intSize = r.byte()
  const offSize = r.byte()
  const format = r.byte()
  if (format !== 1) throw new ArchiveFormatError('The archive is not in custom format.')
  if (intSize < 1 || intSize > 8 || offSize < 1 || offSize > 8) throw new ArchiveFormatError('The archive header is damaged.')
  if (versionNum >= V(1, 15)) r.byte()
  else r.int(intSize)
  for (let i = 0; i < 7; i++) r.int(intSize)
  const dbName = r.str(intSize)
  const serverVersion = r.str(intSize)
  const dumpVersion = r.str(intSize)
  const headerEnd = r.pos
  const count = r.int(intSize)
  if (count < 0 || count > 10_000_000) throw new ArchiveFormatError('The archive table of contents is damaged.')
  const header = r.since(0).subarray(0, headerEnd)

  const entries: TocEntry[] = []
  for (let i = 0; i < count; i++) {
    const start = r.pos
    const dumpId = r.int(intSize)
    const hadDumper = r.int(intSize) !== 0
    r.skipStr(intSize) // tableoid
    r.skipStr(intSize) // oid
    const tag = r.str(intSize)
    const desc = r.str(intSize)
    const section = r.int(intSize)
    let defn: string | null | undefined
    let copyStmt: string | null | undefined
    let owner: string | null | undefined
    if (texts) defn = r.str(intSize)
    else r.skipStr(intSize) // defn
    r.skipStr(intSize) // dropStmt
    if (texts) copyStmt = r.str(intSize)
    else r.skipStr(intSize) // copyStmt
    const namespace = r.str(intSize)
    r.skipStr(intSize) // tablespace
    if (versionNum >= V(1, 14)) r.skipStr(intSize) // tableam
    if (versionNum >= V(1, 16)) r.int(intSize) // relkind
    if (texts) owner = r.str(intSize)
    else r.skipStr(intSize) // owner
    r.skipStr(intSize) // "false" (withOids)
    const deps: number[] = []
    for (;;) {
      const d = r.str(intSize)
      if (d === null) break
      deps.push(Number(d))
    }
    const entryRaw = r.since(start)
    const offsetFlag = r.byte()
    const ob = r.bytes(offSize)
    let off = 0
    for (let k = offSize - 1; k >= 0; k--) off = off * 256 + ob[k]!
    entries.push({
      dumpId,
      hadDumper,
      tag,
      desc,
      section,
      namespace,
      deps,
      ...(texts ? { defn, copyStmt, owner } : {}),
      raw: entryRaw,
      offsetFlag,
      dataPos: !ignoreOffsets && offsetFlag === K_OFFSET_POS_SET ? off : null,
      dataLen: null
    })
  }
  return {
    version: `${vmaj}.${vmin}-${vrev}`,
    versionNum,
    intSize,
    offSize,
    header,
    dbName,
    serverVersion,
    dumpVersion,
    entries,
    dataStart: r.pos
  }
}

/** One data block from the reader's position; records its extent on its entry. */
function readBlock(r: Reader, intSize: number, byId: Map<number, TocEntry>, following: boolean): TocEntry {
  const blockStart = r.pos
  const type = r.byte()
  if (type !== BLK_DATA && type !== BLK_BLOBS) throw new ArchiveFormatError('The archive has an unknown data block: it is damaged.')
  const id = r.int(intSize)
  const e = byId.get(id)
  if (!e) throw new ArchiveFormatError('The archive has data for an entry not in its table of contents: it is damaged.')
  if (type === BLK_BLOBS) {
    // Large objects: (oid, chunks..., 0) repeated, ended by oid 0.
    for (;;) {
      const oid = r.int(intSize)
      if (oid === 0) break
      skipChunks(r, intSize)
    }
  } else {
    skipChunks(r, intSize)
  }
  if (!following && e.offsetFlag === K_OFFSET_POS_SET && e.dataPos !== blockStart) {
    throw new ArchiveFormatError('The archive table of contents points at the wrong place for a data block: it is damaged.')
  }
  if (e.dataLen !== null) throw new ArchiveFormatError('The archive has two data blocks for one entry: it is damaged.')
  e.dataPos = blockStart
  e.dataLen = r.pos - blockStart
  return e
}

/**
 * Follows a custom archive while pg_dump writes it to a file. With a seekable output
 * pg_dump writes the header and the table of contents, then the data blocks one after
 * another, and at the very end rewrites the TOC in place (same length) to fill in the
 * data offsets. So the TOC can be read as soon as it is on disk and each data block as
 * soon as its last byte is: `onToc` and `onBlock` let per-schema work start while the
 * dump is still running. Resolves once `finished()` says pg_dump has exited and every
 * byte of the file is accounted for; a truncated or damaged file rejects.
 */
export async function followArchive(
  path: string,
  opts: {
    finished: () => boolean
    signal: AbortSignal
    onToc: (info: ArchiveInfo) => void
    onBlock: (e: TocEntry) => void
    pollMs?: number
  }
): Promise<ArchiveInfo> {
  const fd = openSync(path, 'r')
  try {
    let info: ArchiveInfo | null = null
    let byId = new Map<number, TocEntry>()
    // Resumable walk: the next block's start, or inside a data block the next chunk header.
    let pos = 0
    let inBlock: { e: TocEntry; start: number } | null = null
    for (;;) {
      if (opts.signal.aborted) throw new ArchiveFormatError('Stopped before the archive was complete.')
      // Sampled before the size: once pg_dump has exited, the size read next is final.
      const done = opts.finished()
      const size = fstatSync(fd).size
      if (!info && size > 0) {
        try {
          info = readHeadAndToc(new Reader(fd, size), true)
          byId = new Map(info.entries.map((e) => [e.dumpId, e]))
          pos = info.dataStart
          opts.onToc(info)
        } catch (e) {
          if (!(e instanceof ArchiveTruncatedError) || done) throw e
          info = null
        }
      }
      if (info) {
        const r = new Reader(fd, size)
        r.pos = pos
        try {
          for (;;) {
            if (inBlock) {
              // Chunks: int length, bytes; length 0 ends the block. Progress is kept per chunk.
              const len = r.int(info.intSize)
              if (len < 0) throw new ArchiveFormatError('The archive has a negative chunk length: it is damaged.')
              if (len === 0) {
                const e = inBlock.e
                if (e.dataLen !== null) throw new ArchiveFormatError('The archive has two data blocks for one entry: it is damaged.')
                e.dataPos = inBlock.start
                e.dataLen = r.pos - inBlock.start
                inBlock = null
                pos = r.pos
                opts.onBlock(e)
                continue
              }
              r.skip(len)
              pos = r.pos
              continue
            }
            if (r.pos >= size) break
            const start = r.pos
            const type = r.byte()
            if (type === BLK_BLOBS) {
              // Large objects (not in schema-filtered dumps): read the whole block in one go.
              r.pos = start
              const e = readBlock(r, info.intSize, byId, true)
              pos = r.pos
              opts.onBlock(e)
              continue
            }
            if (type !== BLK_DATA) throw new ArchiveFormatError('The archive has an unknown data block: it is damaged.')
            const id = r.int(info.intSize)
            const e = byId.get(id)
            if (!e) throw new ArchiveFormatError('The archive has data for an entry not in its table of contents: it is damaged.')
            inBlock = { e, start }
            pos = r.pos
          }
        } catch (e) {
          if (!(e instanceof ArchiveTruncatedError)) throw e
          if (done) throw new ArchiveFormatError('The archive ends in the middle of a data block: it is truncated.')
        }
        if (done) {
          if (inBlock || pos !== size) throw new ArchiveFormatError('The archive ends in the middle of a data block: it is truncated.')
          checkAllData(info)
          return info
        }
      } else if (done) {
        throw new ArchiveFormatError('pg_dump wrote no archive.')
      }
      await new Promise((res) => setTimeout(res, opts.pollMs ?? 5))
    }
  } finally {
    closeSync(fd)
  }
}

function skipChunks(r: Reader, intSize: number): void {
  for (;;) {
    const len = r.int(intSize)
    if (len === 0) return
    if (len < 0) throw new ArchiveFormatError('The archive has a negative chunk length: it is damaged.')
    r.skip(len)
  }
}


const GLOBAL_DESCS = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH'])

/**
 * The entries that make up each schema's dump, as `pg_dump -n schema` would write them:
 * the session-setting entries, the SCHEMA entry, everything in the schema, and the
 * namespace-less entries (comments, ACLs) that depend only on what is selected. One pass
 * over the archive's entries for all schemas (a batch archive holds ~100 entries per
 * schema, so a per-schema scan would be quadratic).
 */
export function entriesBySchema(info: ArchiveInfo, schemas: Iterable<string>): Map<string, TocEntry[]> {
  const wanted = new Set(schemas)
  // Which schema an entry belongs to; GLOBAL for the session-setting entries.
  const GLOBAL = '\u0000global'
  const owner = new Map<number, string>()
  const loose: TocEntry[] = []
  for (const e of info.entries) {
    if (e.desc && GLOBAL_DESCS.has(e.desc)) owner.set(e.dumpId, GLOBAL)
    else if (e.namespace) {
      if (wanted.has(e.namespace)) owner.set(e.dumpId, e.namespace)
    } else if (e.desc === 'SCHEMA' && wanted.has(e.tag ?? '')) owner.set(e.dumpId, e.tag!)
    else loose.push(e)
  }
  // Namespace-less entries (comments, ACLs) follow what they depend on: all of it in one
  // schema (or global, which every schema's dump has), possibly through another such entry.
  let grew = true
  while (grew) {
    grew = false
    for (const e of loose) {
      if (owner.has(e.dumpId) || !e.deps.length) continue
      let home: string | null = GLOBAL
      for (const d of e.deps) {
        const o = owner.get(d)
        if (o === undefined) {
          home = null
          break
        }
        if (o === GLOBAL) continue
        if (home !== GLOBAL && home !== o) {
          home = null
          break
        }
        home = o
      }
      if (home !== null) {
        owner.set(e.dumpId, home)
        grew = true
      }
    }
  }
  const out = new Map<string, TocEntry[]>([...wanted].map((x) => [x, []]))
  for (const e of info.entries) {
    const o = owner.get(e.dumpId)
    if (o === undefined) continue
    if (o === GLOBAL) for (const list of out.values()) list.push(e)
    else out.get(o)!.push(e)
  }
  return out
}

function intBytes(v: number, intSize: number): Buffer {
  const b = Buffer.alloc(1 + intSize)
  b[0] = v < 0 ? 1 : 0
  let m = Math.abs(v)
  for (let i = 1; i <= intSize; i++) {
    b[i] = m % 256
    m = Math.floor(m / 256)
  }
  return b
}

function offsetBytes(flag: number, off: number, offSize: number): Buffer {
  const b = Buffer.alloc(1 + offSize)
  b[0] = flag
  let m = off
  for (let i = 1; i <= offSize; i++) {
    b[i] = m % 256
    m = Math.floor(m / 256)
  }
  return b
}

/**
 * Writes one schema's archive: the source header, a TOC of its entries with data
 * positions set, then their data blocks copied verbatim. `write` receives the bytes in
 * order (the caller hashes and writes them). Returns the number of bytes written.
 */
export async function writeSchemaArchive(
  sourceFd: number,
  info: ArchiveInfo,
  entries: TocEntry[],
  write: (b: Buffer) => Promise<void>
): Promise<number> {
  const withData = entries.filter((e) => e.dataPos !== null && e.dataLen !== null)
  const tocLen =
    info.header.length + 1 + info.intSize + entries.reduce((n, e) => n + e.raw.length + 1 + info.offSize, 0)
  let pos = tocLen
  const newPos = new Map<number, number>()
  for (const e of withData) {
    newPos.set(e.dumpId, pos)
    pos += e.dataLen!
  }
  const parts: Buffer[] = [info.header, intBytes(entries.length, info.intSize)]
  for (const e of entries) {
    parts.push(e.raw)
    const p = newPos.get(e.dumpId)
    parts.push(p !== undefined ? offsetBytes(K_OFFSET_POS_SET, p, info.offSize) : offsetBytes(e.hadDumper ? K_OFFSET_POS_NOT_SET : K_OFFSET_NO_DATA, 0, info.offSize))
  }
  const toc = Buffer.concat(parts)
  if (toc.length !== tocLen) throw new Error('internal: TOC length mismatch')
  await write(toc)
  let total = toc.length
  // Data blocks are copied as they are (still compressed), with synchronous reads: they
  // come from the page cache, and a thread-pool hop per block costs more than the copy.
  for (const e of withData) {
    let left = e.dataLen!
    let at = e.dataPos!
    while (left > 0) {
      const n = Math.min(left, 4 << 20)
      const b = Buffer.allocUnsafe(n)
      if (readSync(sourceFd, b, 0, n, at) !== n) throw new ArchiveFormatError('The shared archive changed while it was being split.')
      await write(b)
      at += n
      left -= n
      total += n
    }
  }
  return total
}

/**
 * Checks a split archive against the shared archive it came from: the same TOC entries,
 * byte for byte, in the same order, each data block present with the same length, and
 * a TABLE and a TABLE DATA entry for every expected table. Used for batch files, whose
 * shared archive pg_restore --list has read (one process for the batch, not one per file).
 */
export function checkSplit(split: ArchiveInfo, source: ArchiveInfo, expected: TocEntry[], schema: string, tables: string[]): void {
  if (!split.header.equals(source.header)) throw new ArchiveFormatError('The archive header differs from the batch archive.')
  if (split.entries.length !== expected.length) throw new ArchiveFormatError('The archive does not hold the expected entries.')
  for (let i = 0; i < expected.length; i++) {
    const a = split.entries[i]!
    const b = expected[i]!
    if (a.dumpId !== b.dumpId || !a.raw.equals(b.raw) || a.dataLen !== b.dataLen) {
      throw new ArchiveFormatError(`The archive's entry ${b.desc ?? ''} ${b.tag ?? ''} differs from the batch archive.`)
    }
  }
  const has = (desc: string, t: string) => split.entries.some((e) => e.desc === desc && e.namespace === schema && e.tag === t)
  const missing = tables.filter((t) => !has('TABLE', t) || !has('TABLE DATA', t))
  if (missing.length) throw new ArchiveFormatError(`The archive lacks ${missing.length} expected table(s): ${missing.slice(0, 5).join(', ')}.`)
}
