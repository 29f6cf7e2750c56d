/**
 * The console's backup file (".nchatbak"), format version 1. See docs/backup-format.md.
 *
 *   [header 32 B]  "NCHATBAK" | u32 BE format version | 20 zero bytes
 *   [parts]        back to back: "schema.dump" (pg_dump custom archive), "public.jsonl"
 *   [manifest]     UTF-8 JSON (BackupManifest), lists each part's offset, length, sha256
 *   [footer 56 B]  u64 BE manifest offset | u64 BE manifest length |
 *                  sha256(manifest) 32 B | "NCHATEND"
 *
 * Written to a temporary file beside the destination, fsynced, then renamed; a reader
 * checks magic, footer, manifest hash and every part's hash before trusting anything.
 */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { PUBLIC_PART } from './parts'

export const MAGIC = Buffer.from('NCHATBAK', 'latin1')
export const END_MAGIC = Buffer.from('NCHATEND', 'latin1')
export const FORMAT_VERSION = 1
export const HEADER_LEN = 32
export const FOOTER_LEN = 56
export const FILE_EXTENSION = 'nchatbak'
const MAX_MANIFEST = 64 * 1024 * 1024

export interface PartInfo {
  name: string
  offset: number
  length: number
  sha256: string
}

export interface TableCount {
  table: string
  rows: number
}

export interface BackupManifest {
  format: 'nchat-console-tenant-backup'
  formatVersion: number
  backupId: string
  batchId: string | null
  tenant: { id: string; slug: string; name: string | null; schema: string; schemaAsStored: string | null }
  /** pgDump is null in a backup without a schema (pg_dump did not run). */
  versions: { console: string; pgDump: string | null; server: string; serverVersionNum: number; archive: string | null }
  snapshot: { id: string | null; takenAt: string; method: 'exported-snapshot' }
  startedAt: string
  finishedAt: string
  operator: { name: string; email: string; dbRole: string }
  /** Tables of the tenant schema with their row counts, read in the backup's snapshot. */
  schemaTables: TableCount[]
  /** Sequences of the tenant schema with their last values, read in the snapshot. */
  sequences: { name: string; lastValue: string | null; isCalled: boolean }[]
  /** Rows per public table (tenants, tenant_settings, ...). */
  publicTables: TableCount[]
  /**
   * True when the tenant's schema did not exist when the backup was taken: the file then
   * holds only the public rows (no schema.dump part, no schema tables or sequences). Absent
   * in files written before this flag existed, which always hold a schema.
   */
  schemaMissing?: boolean
  parts: PartInfo[]
}

export class BackupFileError extends Error {
  constructor(
    message: string,
    /** `newer`: written by a newer console (a format version this one does not know). */
    readonly kind: 'damaged' | 'checksum' | 'version' | 'newer' | 'not-a-backup'
  ) {
    super(message)
    this.name = 'BackupFileError'
  }
}

/** Writes a container sequentially to an open file handle, hashing everything. */
export class ContainerWriter {
  private pos = 0
  private readonly whole: Hash = createHash('sha256')
  private part: { name: string; offset: number; hash: Hash } | null = null
  readonly parts: PartInfo[] = []

  constructor(private readonly fh: FileHandle) {}

  get bytesWritten(): number {
    return this.pos
  }

  /** Bytes not yet written: many small writes become one. */
  private pending: Buffer[] = []
  private pendingLen = 0
  private flushedTo = 0

  private async raw(b: Buffer): Promise<void> {
    this.pending.push(b)
    this.pendingLen += b.length
    this.pos += b.length
    this.whole.update(b)
    if (this.pendingLen >= 4 << 20) await this.flush()
  }

  private async flush(): Promise<void> {
    if (!this.pendingLen) return
    const b = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLen)
    this.pending = []
    this.pendingLen = 0
    let off = 0
    while (off < b.length) {
      const { bytesWritten } = await this.fh.write(b, off, b.length - off, this.flushedTo + off)
      off += bytesWritten
    }
    this.flushedTo += b.length
  }

  async writeHeader(): Promise<void> {
    const h = Buffer.alloc(HEADER_LEN)
    MAGIC.copy(h, 0)
    h.writeUInt32BE(FORMAT_VERSION, 8)
    await this.raw(h)
  }

  beginPart(name: string): void {
    if (this.part) throw new Error('internal: part already open')
    this.part = { name, offset: this.pos, hash: createHash('sha256') }
  }

  async write(b: Buffer): Promise<void> {
    if (!this.part) throw new Error('internal: no part open')
    this.part.hash.update(b)
    await this.raw(b)
  }

  endPart(): PartInfo {
    if (!this.part) throw new Error('internal: no part open')
    const p = { name: this.part.name, offset: this.part.offset, length: this.pos - this.part.offset, sha256: this.part.hash.digest('hex') }
    this.parts.push(p)
    this.part = null
    return p
  }

  /** Writes manifest + footer, fsyncs. Returns the whole file's sha256 and size. */
  /** `sync: false` leaves the fsync to the caller (batches fsync several files at once). */
  async finish(manifest: BackupManifest, opts: { sync?: boolean } = {}): Promise<{ sha256: string; size: number; manifestSha256: string }> {
    const m = Buffer.from(JSON.stringify(manifest), 'utf8')
    const mOff = this.pos
    await this.raw(m)
    const msha = createHash('sha256').update(m).digest()
    const f = Buffer.alloc(FOOTER_LEN)
    f.writeBigUInt64BE(BigInt(mOff), 0)
    f.writeBigUInt64BE(BigInt(m.length), 8)
    msha.copy(f, 16)
    END_MAGIC.copy(f, 48)
    await this.raw(f)
    await this.flush()
    if (opts.sync !== false) await this.fh.sync()
    return { sha256: this.whole.digest('hex'), size: this.pos, manifestSha256: msha.toString('hex') }
  }
}

export interface OpenedBackup {
  path: string
  size: number
  manifest: BackupManifest
  part(name: string): PartInfo
}

/** Reads header, footer and manifest; checks magic, version and the manifest hash. Parts are checked by `verifyParts`. */
export async function openBackup(path: string): Promise<OpenedBackup> {
  const fh = await open(path, 'r')
  try {
    const size = (await fh.stat()).size
    if (size < HEADER_LEN + FOOTER_LEN) throw new BackupFileError('The file is too short to be a console backup.', 'not-a-backup')
    const h = Buffer.alloc(HEADER_LEN)
    await fh.read(h, 0, HEADER_LEN, 0)
    if (!h.subarray(0, 8).equals(MAGIC)) throw new BackupFileError('The file is not a console backup (its header is wrong).', 'not-a-backup')
    const ver = h.readUInt32BE(8)
    if (ver > FORMAT_VERSION) {
      throw new BackupFileError(
        `The backup was written by a newer nChat Console (backup file format version ${ver}; this console reads version ${FORMAT_VERSION}). Update the console, then restore it.`,
        'newer'
      )
    }
    if (ver !== FORMAT_VERSION) throw new BackupFileError(`The backup is damaged: its header names file format version ${ver}, which no console writes.`, 'damaged')
    const f = Buffer.alloc(FOOTER_LEN)
    await fh.read(f, 0, FOOTER_LEN, size - FOOTER_LEN)
    if (!f.subarray(48).equals(END_MAGIC)) throw new BackupFileError('The backup is truncated or damaged: its end marker is missing (an interrupted copy or download?). Use another copy of the backup.', 'damaged')
    const mOff = Number(f.readBigUInt64BE(0))
    const mLen = Number(f.readBigUInt64BE(8))
    if (mOff < HEADER_LEN || mLen <= 0 || mLen > MAX_MANIFEST || mOff + mLen !== size - FOOTER_LEN) {
      throw new BackupFileError('The backup is damaged (its footer does not match its size).', 'damaged')
    }
    const m = Buffer.alloc(mLen)
    await fh.read(m, 0, mLen, mOff)
    if (!createHash('sha256').update(m).digest().equals(f.subarray(16, 48))) {
      throw new BackupFileError('The backup is damaged: its manifest does not match its checksum.', 'checksum')
    }
    let manifest: BackupManifest
    try {
      manifest = JSON.parse(m.toString('utf8')) as BackupManifest
    } catch {
      throw new BackupFileError('The backup is damaged: its manifest is not readable.', 'damaged')
    }
    if (manifest?.format === 'nchat-console-tenant-backup' && typeof manifest.formatVersion === 'number' && manifest.formatVersion > FORMAT_VERSION) {
      throw new BackupFileError(
        `The backup was written by a newer nChat Console (manifest version ${manifest.formatVersion}; this console reads version ${FORMAT_VERSION}). Update the console, then restore it.`,
        'newer'
      )
    }
    if (manifest?.format !== 'nchat-console-tenant-backup' || manifest.formatVersion !== FORMAT_VERSION || !Array.isArray(manifest.parts)) {
      throw new BackupFileError('The backup manifest is not one this console understands.', 'version')
    }
    let end = HEADER_LEN
    for (const p of manifest.parts) {
      if (p.offset !== end || p.length < 0 || p.offset + p.length > mOff) {
        throw new BackupFileError('The backup is damaged: its parts do not line up.', 'damaged')
      }
      end = p.offset + p.length
    }
    if (end !== mOff) throw new BackupFileError('The backup is damaged: it has bytes no part accounts for.', 'damaged')
    if (manifest.schemaMissing === true) {
      // A backup without a schema holds its public rows and nothing else.
      if (manifest.parts.some((p) => p.name !== PUBLIC_PART) || manifest.schemaTables?.length || manifest.sequences?.length) {
        throw new BackupFileError('The backup is damaged: its manifest says the tenant had no schema, yet it lists schema contents.', 'damaged')
      }
    } else if (manifest.schemaMissing !== undefined && manifest.schemaMissing !== false) {
      throw new BackupFileError('The backup is damaged: its manifest is not readable.', 'damaged')
    }
    return {
      path,
      size,
      manifest,
      part(name) {
        const p = manifest.parts.find((x) => x.name === name)
        if (!p) throw new BackupFileError(`The backup has no ${name} part.`, 'damaged')
        return p
      }
    }
  } finally {
    await fh.close()
  }
}

/** Whether a backup holds only public rows (its tenant's schema was missing when it was taken). */
export function isRowsOnly(b: OpenedBackup): boolean {
  return b.manifest.schemaMissing === true
}

/** Hashes each part and the whole file in one pass; throws on the first mismatch. */
export async function verifyParts(b: OpenedBackup, expectedFileSha256?: string | null): Promise<{ sha256: string }> {
  const whole = createHash('sha256')
  const parts = [...b.manifest.parts].sort((x, y) => x.offset - y.offset)
  let idx = 0
  let partHash = createHash('sha256')
  let pos = 0
  for await (const chunk of createReadStream(b.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    whole.update(chunk)
    let off = 0
    while (off < chunk.length && idx < parts.length) {
      const p = parts[idx]!
      const at = pos + off
      if (at < p.offset) {
        off += Math.min(p.offset - at, chunk.length - off)
        continue
      }
      const take = Math.min(p.offset + p.length - at, chunk.length - off)
      partHash.update(chunk.subarray(off, off + take))
      off += take
      if (at + take === p.offset + p.length) {
        if (partHash.digest('hex') !== p.sha256) {
          throw new BackupFileError(`The backup is damaged: part ${p.name} does not match its checksum.`, 'checksum')
        }
        idx++
        partHash = createHash('sha256')
      }
    }
    pos += chunk.length
  }
  // zero-length parts at the end
  while (idx < parts.length) {
    const p = parts[idx]!
    if (p.length !== 0 || partHash.digest('hex') !== p.sha256) throw new BackupFileError(`The backup is damaged: part ${p.name} is incomplete.`, 'damaged')
    idx++
    partHash = createHash('sha256')
  }
  const sha256 = whole.digest('hex')
  if (expectedFileSha256 && sha256 !== expectedFileSha256) {
    throw new BackupFileError('The backup file does not match the checksum recorded in the backup catalog: it was changed or damaged.', 'checksum')
  }
  return { sha256 }
}

/** A readable stream over one part (e.g. to feed pg_restore's stdin). */
export function partStream(b: OpenedBackup, name: string): Readable {
  const p = b.part(name)
  if (p.length === 0) return Readable.from([])
  return createReadStream(b.path, { start: p.offset, end: p.offset + p.length - 1, highWaterMark: 1 << 20 })
}

/** Reads a (small) part fully. */
export async function readPart(b: OpenedBackup, name: string): Promise<Buffer> {
  const p = b.part(name)
  const fh = await open(b.path, 'r')
  try {
    const buf = Buffer.alloc(p.length)
    if (p.length) await fh.read(buf, 0, p.length, p.offset)
    return buf
  } finally {
    await fh.close()
  }
}
