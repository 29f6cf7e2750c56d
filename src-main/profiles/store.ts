import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { ENVIRONMENTS, SECRET_KINDS, SSL_MODES, type ProfileView } from '../../src-preload/contract/profiles'
import { AppError } from '../core/errors'
import { log } from '../core/logger'

export const PROFILES_FILE = 'profiles.json'

/** One profile as stored on disk: non-secret fields only. */
const StoredProfile = z.object({
  id: z.string().uuid(),
  name: z.string().min(1).max(100),
  environment: z.enum(ENVIRONMENTS),
  environmentLabel: z.string().max(40).default(''),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
  database: z.string().min(1).max(63),
  user: z.string().min(1).max(63),
  sslMode: z.enum(SSL_MODES),
  caFile: z.string().max(1024).default(''),
  templateSchema: z.string().min(1).max(63),
  tenantPrefix: z.string().min(1).max(31),
  redisUrl: z.string().max(500).default(''),
  pgBinDir: z.string().max(1024).default(''),
  operatorName: z.string().max(100),
  operatorEmail: z.string().max(200),
  baseDomain: z.string().max(253).default(''),
  dnsServer: z.string().max(100).default(''),
  checkCaFile: z.string().max(1024).default(''),
  secrets: z.object(Object.fromEntries(SECRET_KINDS.map((k) => [k, z.boolean().default(false)])) as Record<(typeof SECRET_KINDS)[number], z.ZodDefault<z.ZodBoolean>>),
  createdAt: z.string(),
  updatedAt: z.string()
})
export type StoredProfile = ProfileView

const ProfilesFile = z.object({
  version: z.literal(1),
  activeProfileId: z.string().max(64).nullable().default(null),
  profiles: z.array(StoredProfile).max(500)
})
interface FileContent {
  version: 1
  activeProfileId: string | null
  profiles: StoredProfile[]
}

/**
 * The non-secret profile fields, in `profiles.json` in the user-data folder.
 * Writes are atomic (temp file, fsync, rename) and serialized. A file that cannot be
 * read (truncated, hand-edited into invalid JSON or shape) is reported and never
 * overwritten: every write is refused until the person moves it aside or repairs it.
 */
export class ProfileStore {
  private content: FileContent = { version: 1, activeProfileId: null, profiles: [] }
  private problemText: string | null = null
  private loaded = false
  private chain: Promise<unknown> = Promise.resolve()

  constructor(private readonly dir: string) {}

  get path(): string {
    return join(this.dir, PROFILES_FILE)
  }

  /** Why the file could not be used, or null. */
  get problem(): string | null {
    return this.problemText
  }

  async load(): Promise<void> {
    this.loaded = true
    this.problemText = null
    let raw: string
    try {
      raw = await readFile(this.path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.content = { version: 1, activeProfileId: null, profiles: [] }
        return
      }
      this.fail(`it cannot be read (${(e as NodeJS.ErrnoException).code ?? 'I/O error'})`)
      return
    }
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch {
      this.fail(raw.trim() === '' ? 'it is empty' : 'it is not valid JSON (it may have been cut short or edited by hand)')
      return
    }
    const parsed = ProfilesFile.safeParse(json)
    if (!parsed.success) {
      const i = parsed.error.issues[0]
      this.fail(`its content is not a profiles list this console understands (${i ? `${i.path.join('.') || 'file'}: ${i.message}` : 'invalid'})`)
      return
    }
    const ids = new Set<string>()
    for (const p of parsed.data.profiles) {
      if (ids.has(p.id)) {
        this.fail(`two profiles share the id ${p.id}`)
        return
      }
      ids.add(p.id)
    }
    this.content = parsed.data as FileContent
  }

  private fail(reason: string): void {
    this.content = { version: 1, activeProfileId: null, profiles: [] }
    this.problemText = `The profiles file ${this.path} could not be used: ${reason}. It was left untouched. Repair it, or move it aside to start with no profiles (your saved passwords stay in the system keychain).`
    log.warn('profiles file unusable', { path: this.path, reason })
  }

  private async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.load()
  }

  async list(): Promise<StoredProfile[]> {
    await this.ensureLoaded()
    return this.content.profiles.map((p) => ({ ...p, secrets: { ...p.secrets } }))
  }

  async get(id: string): Promise<StoredProfile | null> {
    return (await this.list()).find((p) => p.id === id) ?? null
  }

  async activeId(): Promise<string | null> {
    await this.ensureLoaded()
    return this.content.activeProfileId
  }

  /** Applies a change and writes the file atomically; refused while the file is damaged. */
  update(change: (c: FileContent) => void): Promise<void> {
    const run = async (): Promise<void> => {
      await this.ensureLoaded()
      if (this.problemText) throw new AppError('CONFLICT', this.problemText)
      const next: FileContent = structuredClone(this.content)
      change(next)
      await this.write(next)
      this.content = next
    }
    const p = this.chain.then(run, run)
    this.chain = p.catch(() => {})
    return p
  }

  private async write(c: FileContent): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const tmp = `${this.path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    const fh = await open(tmp, 'wx', 0o600)
    try {
      await fh.writeFile(JSON.stringify(c, null, 2) + '\n', 'utf8')
      await fh.sync()
    } finally {
      await fh.close()
    }
    try {
      await rename(tmp, this.path)
    } catch (e) {
      await unlink(tmp).catch(() => {})
      throw e
    }
    // Make the rename itself durable (best effort: not every platform can fsync a folder).
    try {
      const dh = await open(this.dir, 'r')
      await dh.sync().catch(() => {})
      await dh.close()
    } catch {
      /* ignore */
    }
  }

  /** Renames a damaged file to profiles.json.damaged-<time> (never deletes it), then starts empty. */
  async setAsideDamaged(): Promise<string | null> {
    await this.ensureLoaded()
    if (!this.problemText) return null
    const aside = `${this.path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`
    await rename(this.path, aside)
    this.problemText = null
    this.content = { version: 1, activeProfileId: null, profiles: [] }
    log.info('damaged profiles file moved aside', { aside })
    return aside
  }
}
