import fc from 'fast-check'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHANNELS, contract, type Channel } from '../../src-preload/contract'
import { createContext, type AppContext, type Platform } from '../../src-main/context'
import { targetFromUrl, type ConnectionTarget } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Handler, type Registry } from '../../src-main/ipc'
import { MemorySecretStore } from '../../src-main/secrets/keychain'
import { seedFleet } from '../../src-main/seed/generator'
import { freshDatabase } from '../support/db'
import {
  PWNED_MARKER,
  TRUSTED_ORIGIN,
  TRUSTED_URL,
  answerProblems,
  fingerprint,
  fingerprintChanges,
  forgedSender,
  inputJsonSchema,
  malformedFrom,
  shapedInput,
  type DbFingerprint,
  type ShapeOptions
} from '../support/fuzz'
import { PG_PASSWORD, freePort } from '../support/pg-server'

/**
 * Contract-wide fuzzing: every channel of src-preload/contract (a channel added later is
 * covered without new test code) is called through the REAL registry with the real
 * handlers and services, on a real PostgreSQL database (migrated, with a small fleet).
 *
 * Per channel, NCHAT_FUZZ_RUNS (default 30) generated requests, each sent twice:
 *  - from a forged sender (another origin, a look-alike, garbage): always FORBIDDEN,
 *    and the handler never runs;
 *  - from the console window: the answer must be the documented envelope
 *    ({ok:true,data} or {ok:false,error:{code,message[,details]}} with a known code),
 *    with no SQL text, stack trace, machine path or secret in any message (quoting back
 *    what the caller sent is allowed).
 * Requests are: inputs shaped by the channel's zod schema (through its JSON Schema) that
 * carry hostile strings in every free-text field (SQL and identifier attacks, NUL bytes,
 * odd unicode, paths), so they pass validation and reach the services; malformed
 * variants of those (wrong types, missing and extra keys, own "__proto__" keys, huge and
 * deeply nested values, negative and huge numbers); and shaped inputs sent by a login
 * without a console role.
 *
 * What must not change, and how the test makes sure fuzzing cannot legitimately change it:
 *  - The database: a fingerprint of every table (public, console, the template, tenant
 *    schemas) and of the catalog is taken before and after each channel; only rows
 *    appended to console.operator_log (the audit trail: e.g. "session.close" when
 *    profiles:disconnect runs) are allowed.
 *  - As admin, uuid fields get random ids (no row matches), except for channels a role
 *    without console rights may call and that need a database (minRole 'none': reads),
 *    which also get real tenant ids. Free text never forms a valid slug, so nothing is
 *    created. The login without a console role gets real ids everywhere: the role gate
 *    and the database's grants refuse every write.
 *  - Native dialogs answer "closed" (the operator chooses files and folders, not the
 *    caller), so no backup is written and no restore reads a file.
 *  - Profiles and secrets live in a temporary user-data folder and an in-memory keychain;
 *    the demo is not available (demo:open/reset answer UNSUPPORTED), so no server starts.
 *    Connection tests (profiles:test, profiles:applyMigrations) reach this machine only
 *    (see HINTS), with user names, databases and passwords the fuzzer invents.
 *  - A channel that switches or closes the connection (profiles:disconnect) is followed
 *    by reconnecting, so the next requests still reach the database.
 *  - No injected `COPY ... TO PROGRAM` ran (a marker file), no prototype was polluted.
 *
 * The seed is printed; NCHAT_FUZZ_SEED=<seed> replays a run (fast-check also prints the
 * failing channel's seed and path, and the shrunk input).
 */

const ROOT = resolve(__dirname, '../..')
const MIGRATIONS = join(ROOT, 'migrations')
const SEED = process.env.NCHAT_FUZZ_SEED ? Number(process.env.NCHAT_FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0
const RUNS = Math.max(1, Number(process.env.NCHAT_FUZZ_RUNS ?? 30))
const TRACE = process.env.NCHAT_FUZZ_TRACE === '1'

function show(input: unknown): string {
  try {
    return String(JSON.stringify(input, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).slice(0, 160)
  } catch {
    return '(not JSON)'
  }
}

/** A stable per-channel seed: adding a channel does not change the others' requests. */
function channelSeed(channel: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < channel.length; i++) h = Math.imul(h ^ channel.charCodeAt(i), 0x01000193)
  return (SEED ^ h) | 0
}

type Who = 'admin' | 'none'

/**
 * Connection fields (profiles:test, profiles:applyMigrations) point at this machine: a
 * fuzzed host name or port would make the test wait on DNS, a far network or a service
 * that never answers. Ports: the test server (reached with invented credentials), a
 * closed port, port 1.
 */
function connectionHints(testServerPort: number, closedPort: number): ShapeOptions['hints'] {
  return {
    host: fc.constantFrom('127.0.0.1', 'localhost', '::1', '/nonexistent/socket-dir'),
    port: fc.constantFrom(testServerPort, closedPort, 1)
  }
}

interface Console {
  ctx: AppContext
  registry: Registry
  target: ConnectionTarget
  userData: string
}

/** The native side: every dialog is closed by the operator, nothing is shown. */
function fuzzPlatform(userDataDir: string): Platform {
  return {
    emit: () => {},
    userDataDir,
    saveDialog: async () => null,
    openFileDialog: async () => null,
    chooseFolder: async () => null,
    notify: () => {},
    showInFolder: () => {}
  }
}

describe('contract-wide fuzzing through the real registry', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  const consoles = {} as Record<Who, Console>
  const calls: Record<string, number> = {}
  let tenantIds: string[] = []
  const noneRole = { name: `fuzz_none_${Math.random().toString(36).slice(2, 8)}`, password: `fuzz-pw-${Math.random().toString(36).slice(2)}` }
  let secrets: string[] = []
  let HINTS: ShapeOptions['hints'] = {}
  let machinePaths: string[] = []

  // The real handlers, counted: a forged sender must never reach one.
  const counted = Object.fromEntries(
    CHANNELS.map((c) => {
      const h = handlers[c] as Handler<Channel>
      return [c, { ...h, handle: (input: never, ctx: AppContext) => ((calls[c] = (calls[c] ?? 0) + 1), h.handle(input, ctx)) }]
    })
  ) as unknown as typeof handlers

  async function openConsole(url: string, who: Who): Promise<Console> {
    const userData = mkdtempSync(join(tmpdir(), `nchat-fuzz-${who}-`))
    const ctx = createContext({
      platform: fuzzPlatform(userData),
      migrationsDir: MIGRATIONS,
      secrets: new MemorySecretStore(),
      demo: null
    })
    const target = targetFromUrl(url, { operator: { name: 'Fuzz Operator', email: 'fuzz@example.com' } })
    await ctx.db.setTarget(target)
    return { ctx, registry: createRegistry(ctx, counted, (u) => u.startsWith(TRUSTED_ORIGIN)), target, userData }
  }

  beforeAll(async () => {
    console.log(`[fuzz] seed ${SEED}, ${RUNS} runs per channel, ${CHANNELS.length} channels (replay: NCHAT_FUZZ_SEED=${SEED})`)
    rmSync(PWNED_MARKER, { force: true })
    db = await freshDatabase('fuzz')
    await runMigrations(db.client, await loadMigrations(MIGRATIONS))
    await seedFleet(db.client, { tenants: 6, seed: 11 })
    tenantIds = (await db.client.query<{ id: string }>('SELECT id FROM public.tenants ORDER BY slug')).rows.map((r) => r.id)
    await db.client.query(`CREATE ROLE ${noneRole.name} LOGIN PASSWORD '${noneRole.password}'`)
    const noneUrl = new URL(db.url)
    noneUrl.username = noneRole.name
    noneUrl.password = noneRole.password
    consoles.admin = await openConsole(db.url, 'admin')
    consoles.none = await openConsole(noneUrl.toString(), 'none')
    secrets = [PG_PASSWORD, noneRole.password, db.url, noneUrl.toString()]
    HINTS = connectionHints(Number(new URL(db.url).port || 5432), await freePort())
    machinePaths = [ROOT, homedir() === '/' ? '' : homedir(), consoles.admin.userData, consoles.none.userData]
  })

  afterAll(async () => {
    for (const c of Object.values(consoles)) {
      await c.ctx.profiles.shutdown().catch(() => {})
      rmSync(c.userData, { recursive: true, force: true })
    }
    await db?.client.query(`DROP ROLE IF EXISTS ${noneRole.name}`).catch(() => {})
    await db?.close()
  })

  it('knows every channel of the contract', () => {
    expect(CHANNELS.length).toBeGreaterThan(0)
    for (const c of CHANNELS) expect(counted[c], c).toBeDefined()
  })

  /**
   * Writes a valid request may make whatever its input, because they are the channel's
   * purpose and need no id (so random ids cannot keep them away): documented here, and
   * every other table is still checked for that channel.
   *  - insights:refreshUsage with `all: true` recomputes this month's usage of every
   *    tenant from its schema (idempotent: the same figures each time), and its channel
   *    counts (console.tenant_channel_counts).
   */
  const DOCUMENTED_WRITES: Partial<Record<Channel, string[]>> = {
    'insights:refreshUsage': ['public.tenant_usage', 'console.tenant_channel_counts']
  }

  for (const channel of CHANNELS) {
    it(`${channel}: forged senders refused, every answer a clean envelope, the database unchanged`, async () => {
      const h = handlers[channel] as Handler<Channel>
      const schema = inputJsonSchema(contract[channel].input)
      const randomIds = fc.uuid({ version: 4 })
      const realOrRandom = fc.oneof(fc.constantFrom(...tenantIds), randomIds)
      const reads = h.minRole === 'none' && !h.noDatabase
      const asAdmin = shapedInput(schema, { uuid: reads ? realOrRandom : randomIds, hints: HINTS })
      const asNone = shapedInput(schema, { uuid: realOrRandom, hints: HINTS })
      const request = fc.oneof(
        { weight: 2, arbitrary: asAdmin.map((input) => ({ who: 'admin' as Who, input })) },
        { weight: 2, arbitrary: asAdmin.chain(malformedFrom).map((input) => ({ who: 'admin' as Who, input })) },
        { weight: 1, arbitrary: asNone.map((input) => ({ who: 'none' as Who, input })) }
      )

      const before: DbFingerprint = await fingerprint(db.client)
      const codes: Record<string, number> = {}
      let slowest = { ms: 0, what: '' }
      await fc.assert(
        fc.asyncProperty(request, forgedSender, async ({ who, input }, sender) => {
          const con = consoles[who]
          if (TRACE) console.log(`[fuzz] ${channel} ${who} ${show(input)}`)
          const reached = calls[channel] ?? 0
          const forged = await con.registry.invoke(channel, input, { senderUrl: sender })
          if (forged.ok || forged.error.code !== 'FORBIDDEN') throw new Error(`a forged sender (${JSON.stringify(sender)}) was not refused: ${JSON.stringify(forged).slice(0, 300)}`)
          if ((calls[channel] ?? 0) !== reached) throw new Error('a forged sender reached the handler')

          const t0 = performance.now()
          const answer = await con.registry.invoke(channel, input, { senderUrl: TRUSTED_URL })
          const ms = performance.now() - t0
          if (TRACE) console.log(`[fuzz]   -> ${Math.round(ms)} ms ${answer.ok ? 'ok' : answer.error.code}`)
          if (ms > slowest.ms) slowest = { ms, what: `${who} ${answer.ok ? 'ok' : answer.error.code} ${show(input).slice(0, 120)}` }
          const key = answer.ok ? 'ok' : answer.error.code
          codes[key] = (codes[key] ?? 0) + 1
          const problems = answerProblems(answer, { input, secrets, machinePaths })
          if (problems.length > 0) throw new Error(`${channel} as ${who}:\n  ${problems.join('\n  ')}`)

          // Nothing leaked into shared prototypes.
          const probe = {} as Record<string, unknown>
          if (probe.polluted !== undefined || probe.isAdmin !== undefined) throw new Error('Object.prototype was polluted')
          // A channel that dropped the connection (profiles:disconnect): reconnect for the next request.
          if (con.ctx.db.target !== con.target) await con.ctx.db.setTarget(con.target)
        }),
        { seed: channelSeed(channel), numRuns: RUNS, endOnFailure: process.env.NCHAT_FUZZ_SHRINK !== "1" }
      )
      const after = await fingerprint(db.client, before.auditMax)
      const documented = DOCUMENTED_WRITES[channel] ?? []
      expect(
        fingerprintChanges(before, after).filter((c) => !documented.some((t) => c === `${t} changed`)),
        `database changed by ${channel} (seed ${SEED})`
      ).toEqual([])
      expect(existsSync(PWNED_MARKER), 'an injected COPY ... TO PROGRAM ran').toBe(false)
      console.log(`[fuzz] ${channel}: ${Object.entries(codes).map(([k, n]) => `${k} ${n}`).join(', ')}; slowest ${Math.round(slowest.ms)} ms (${slowest.what})`)
    }, 120_000)
  }
})
