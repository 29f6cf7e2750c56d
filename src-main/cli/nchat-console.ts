/**
 * nchat-console: every console operation from the shell, over the same contract and
 * handler registry as the app (validation, role check, audit), with a terminal Platform.
 *
 *   nchat-console <namespace> <verb> [--flag value ...]
 *
 * Commands are derived from the contract (src-preload/contract): `tenants list`,
 * `lifecycle suspend`, `backups export-many`... Their flags come from each channel's
 * zod input schema. Two commands are the CLI's own: `backups run` (scheduled backups
 * with retention) and `backups verify --file FILE` (a file, in the catalog or not).
 */
import { randomUUID } from 'node:crypto'
import { join, resolve } from 'node:path'
import { CHANNELS, contract, type Channel, type ErrorCode, type ErrorPayload, type JobStarted, type TenantPage } from '../../src-preload/contract'
import { BackupFileError } from '../backup'
import { runScheduledBackups, type ScheduledRunSummary } from './schedule'
import { createContext, type AppContext } from '../context'
import { AppError, toAppError } from '../core/errors'
import { redact } from '../core/logger'
import { ConnectionManager } from '../db/connection'
import { createRegistry, handlers, type Registry } from '../ipc'
import { connect } from './connect'
import { EXIT_CODES, EXIT_TENANTS_FAILED, exitCodeTable } from './exit-codes'
import { buildInput, describeType, flagsOf, kebab, splitArgs, type FlagSpec } from './flags'
import { render } from './output'
import { TerminalPlatform } from './terminal'

const ROOT = resolve(__dirname, '../..')
/** The registry's sender check: the CLI is a trusted sender of its own. */
const CLI_SENDER = 'cli:nchat-console'
const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000'

/** Channels that change nothing: they run without an operator identity. */
const READ_ONLY = new Set<Channel>([
  'session:info',
  'tenants:list',
  'tenants:get',
  'tenants:facets',
  'lifecycle:capabilities',
  'lifecycle:editable',
  'lifecycle:deletePreview',
  'profiles:state',
  'demo:status',
  'backups:tools',
  'backups:list',
  'backups:batches',
  'backups:jobs',
  'insights:overview',
  'insights:usage',
  'insights:exportCsv',
  'health:summary',
  'health:audit',
  'health:cancelAudit',
  'reach:appEndpoint',
  'reach:tenant',
  'billing:keyStatus',
  'billing:webhookHealth',
  'billing:checkStripe',
  'billing:failures',
  'billing:event',
  'billing:tenant',
  'billing:prices',
  'billing:stripePrices'
])

/** Channels that start a background job: the CLI waits for it to end. */
const JOB_CHANNELS = new Set<Channel>(['backups:export', 'backups:exportMany', 'backups:resumeBatch'])

interface GlobalFlag {
  name: string
  kind: 'string' | 'switch'
  help: string
}

const CONNECTION_FLAGS: GlobalFlag[] = [
  { name: 'database-url', kind: 'string', help: 'postgresql:// URL (or NCHAT_DATABASE_URL); no keychain is used' },
  { name: 'profile', kind: 'string', help: "a saved connection profile of the app, by name or id (password from the OS keychain)" },
  { name: 'user-data-dir', kind: 'string', help: "the app's user-data folder holding profiles.json (default: the app's)" },
  { name: 'operator-name', kind: 'string', help: 'who acts, for the audit trail (or NCHAT_OPERATOR_NAME; a profile gives its own)' },
  { name: 'operator-email', kind: 'string', help: 'their email (or NCHAT_OPERATOR_EMAIL)' },
  { name: 'pg-bin-dir', kind: 'string', help: 'folder of pg_dump/pg_restore (default: PATH and the usual places)' },
  { name: 'template-schema', kind: 'string', help: 'template schema with --database-url (default nchat, or NCHAT_TEMPLATE_SCHEMA)' },
  { name: 'tenant-prefix', kind: 'string', help: 'tenant schema prefix with --database-url (default tenant_)' },
  { name: 'base-domain', kind: 'string', help: "the app's base domain, for reachability checks (a profile gives its own; or NCHAT_BASE_DOMAIN)" },
  { name: 'dns-server', kind: 'string', help: 'DNS server for reachability checks, ip or ip:port (default: the system resolver)' },
  { name: 'check-ca-file', kind: 'string', help: 'an extra CA certificate (PEM file) trusted by reachability checks' },
  { name: 'check-https-port', kind: 'string', help: 'the port reachability checks connect to (default 443)' }
]
const OUTPUT_FLAGS: GlobalFlag[] = [
  { name: 'json', kind: 'switch', help: 'print exactly the data the call returns, as JSON' },
  { name: 'input', kind: 'string', help: 'the whole input as JSON (flags override its fields)' },
  { name: 'help', kind: 'switch', help: 'this help' }
]
const GLOBAL_NAMES = new Set([...CONNECTION_FLAGS, ...OUTPUT_FLAGS].map((f) => f.name))

const RUN_FLAGS: FlagSpec[] = [
  { path: ['all'], name: 'all', kind: 'boolean', required: false, description: 'back up every tenant' },
  { path: ['slugs'], name: 'slug', kind: 'array', element: 'string', required: false, description: 'tenants by slug (repeatable)' },
  { path: ['tenantIds'], name: 'tenant-id', kind: 'array', element: 'string', required: false, description: 'tenants by id (repeatable)' },
  { path: ['dir'], name: 'dir', kind: 'string', required: true, description: 'folder of the backups (created if missing)' },
  { path: ['keepDaily'], name: 'keep-daily', kind: 'number', required: false, defaultValue: 0, description: 'keep the newest verified backup of each of the last N days' },
  { path: ['keepWeekly'], name: 'keep-weekly', kind: 'number', required: false, defaultValue: 0, description: '... of each of the last N ISO weeks' },
  { path: ['keepMonthly'], name: 'keep-monthly', kind: 'number', required: false, defaultValue: 0, description: '... of each of the last N months' },
  { path: ['now'], name: 'now', kind: 'string', required: false, description: "the retention clock, ISO 8601 (default: now; for tests and dry reasoning)" }
]

const VERIFY_FILE_FLAGS: FlagSpec[] = [
  { path: ['file'], name: 'file', kind: 'string', required: true, description: 'a backup file (in the catalog or not)' },
  { path: ['deep'], name: 'deep', kind: 'boolean', required: false, defaultValue: false, description: 'also restore it into a scratch schema (rolled back)' }
]

// ------------------------------------------------------------------ commands

interface Command {
  namespace: string
  verb: string
  channel: Channel | null
  summary: string
}

function verbOf(channel: Channel): string {
  return kebab(channel.split(':')[1]!)
}

function commands(): Command[] {
  const out: Command[] = CHANNELS.map((c) => ({ namespace: c.split(':')[0]!, verb: verbOf(c), channel: c, summary: `the ${c} call` }))
  out.push({ namespace: 'backups', verb: 'run', channel: null, summary: 'scheduled backups: back up, verify, catalog, apply retention' })
  return out
}

function findCommand(ns: string | undefined, verb: string | undefined): Command | undefined {
  if (!ns || !verb) return undefined
  const v = kebab(verb)
  return commands().find((c) => c.namespace === ns && c.verb === v)
}

/** Convenience flags the CLI adds to a channel's own. */
function extraFlags(cmd: Command, specs: FlagSpec[]): FlagSpec[] {
  const extra: FlagSpec[] = []
  const has = (n: string) => specs.some((s) => s.name === n)
  const tenant = cmd.channel ? tenantField(cmd.channel, specs) : undefined
  if (tenant && !has('slug')) {
    extra.push(
      tenant.kind === 'array'
        ? { path: ['slug'], name: 'slug', kind: 'array', element: 'string', required: false, description: `tenants by slug instead of --${tenant.name}` }
        : { path: ['slug'], name: 'slug', kind: 'string', required: false, description: `the tenant by slug instead of --${tenant.name}` }
    )
  }
  if (cmd.channel === 'backups:export') extra.push({ path: ['out'], name: 'out', kind: 'string', required: true, description: 'the backup file to write' })
  if (cmd.channel === 'backups:exportMany' || cmd.channel === 'backups:resumeBatch') {
    extra.push({ path: ['dir'], name: 'dir', kind: 'string', required: cmd.channel === 'backups:exportMany', description: 'folder of the backups' })
  }
  if (cmd.channel === 'backups:restore') extra.push({ path: ['file'], name: 'file', kind: 'string', required: false, description: 'restore from this file instead of a catalog backup' })
  if (cmd.channel === 'backups:verify') extra.push(...VERIFY_FILE_FLAGS.filter((f) => f.name === 'file'))
  return extra
}

/** The tenant field of a channel's input: `tenantId`, `id`, `ids` or `tenantIds` (not for profiles). */
function tenantField(channel: Channel, specs: FlagSpec[]): FlagSpec | undefined {
  if (channel.startsWith('profiles:') || channel.startsWith('demo:')) return undefined
  return specs.find((s) => s.path.length === 1 && ['tenant-id', 'id', 'ids', 'tenant-ids'].includes(s.name))
}

// ------------------------------------------------------------------ help

function globalHelp(): string {
  const byNs = new Map<string, Command[]>()
  for (const c of commands()) byNs.set(c.namespace, [...(byNs.get(c.namespace) ?? []), c])
  return [
    'Usage: nchat-console <namespace> <verb> [--flag value ...]',
    '',
    'Every operation of nChat Console from the shell, validated, role-checked and audited',
    'exactly as in the app. `nchat-console <namespace> --help` lists the verbs,',
    '`nchat-console <namespace> <verb> --help` their flags.',
    '',
    'Namespaces:',
    ...[...byNs].map(([ns, cs]) => `  ${ns.padEnd(10)} ${cs.map((c) => c.verb).join(', ')}`),
    '',
    'Connection and identity:',
    ...CONNECTION_FLAGS.map((f) => `  --${f.name.padEnd(16)} ${f.help}`),
    '',
    'Output:',
    ...OUTPUT_FLAGS.map((f) => `  --${f.name.padEnd(16)} ${f.help}`),
    '  A table on the terminal; progress of long jobs on stderr (terminal only);',
    '  errors as `error CODE: message` on stderr.',
    '',
    'Commands that change something refuse to run without an operator identity.',
    '',
    'Exit status:',
    exitCodeTable()
  ].join('\n')
}

function namespaceHelp(ns: string): string {
  const cs = commands().filter((c) => c.namespace === ns)
  return [`Usage: nchat-console ${ns} <verb> [--flag value ...]`, '', 'Verbs:', ...cs.map((c) => `  ${c.verb.padEnd(24)} ${c.summary}`)].join('\n')
}

function flagLine(f: FlagSpec): string {
  const req = f.required ? ' (required)' : ''
  const def = f.defaultValue !== undefined && f.defaultValue !== '' ? ` [default: ${String(f.defaultValue)}]` : ''
  return `  --${f.name.padEnd(24)} ${describeType(f)}${req}${def}${f.description ? `\n  ${' '.repeat(26)} ${f.description}` : ''}`
}

function commandHelp(cmd: Command, specs: FlagSpec[], extra: FlagSpec[]): string {
  const lines = [`Usage: nchat-console ${cmd.namespace} ${cmd.verb} [--flag value ...]`, '', cmd.summary, '', 'Flags:', ...specs.map(flagLine)]
  if (extra.length) lines.push('', 'Command-line conveniences:', ...extra.map(flagLine))
  if (cmd.channel) lines.push('', `Role needed: ${handlers[cmd.channel].minRole}. ${READ_ONLY.has(cmd.channel) ? 'Reads only.' : 'Changes something: needs an operator identity.'}`)
  lines.push('', 'Plus the connection, identity and output flags of `nchat-console --help`.')
  return lines.join('\n')
}

// ------------------------------------------------------------------ connection

// ------------------------------------------------------------------ running

export interface Io {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  env: NodeJS.ProcessEnv
}

class CliFailure extends Error {
  constructor(
    readonly payload: ErrorPayload,
    readonly exit: number
  ) {
    super(payload.message)
  }
}

function fail(e: unknown): CliFailure {
  if (e instanceof CliFailure) return e
  const err = toAppError(e)
  return new CliFailure(err.toPayload(), EXIT_CODES[err.code] ?? 1)
}

async function call(registry: Registry, channel: Channel, input: unknown): Promise<unknown> {
  const r = await registry.invoke(channel, input, { senderUrl: CLI_SENDER })
  if (!r.ok) throw new CliFailure(r.error, EXIT_CODES[r.error.code as ErrorCode] ?? 1)
  return r.data
}

/** Resolves slugs to tenant ids through the tenants channel (exact slug match). */
async function resolveSlugs(registry: Registry, slugs: string[]): Promise<string[]> {
  const ids: string[] = []
  for (const slug of slugs) {
    const page = (await call(registry, 'tenants:list', { search: slug.slice(0, 200), limit: 200 })) as TenantPage
    const hit = page.rows.find((r) => r.slug === slug)
    if (!hit) throw new AppError('NOT_FOUND', `No tenant has the slug "${slug.slice(0, 80)}".`)
    ids.push(hit.id)
  }
  return ids
}

function takeFlag(flags: Map<string, string[]>, name: string): string[] | undefined {
  const v = flags.get(name)
  flags.delete(name)
  return v
}

function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',').map((x) => x.trim()).filter(Boolean))
}

function parseRunFlags(flags: Map<string, string[]>): Record<string, unknown> {
  return buildInput(RUN_FLAGS, flags)
}

function num(v: unknown, name: string): number {
  if (v === undefined) return 0
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 10_000) throw new AppError('INVALID_INPUT', `--${name} takes a whole number from 0 to 10000.`)
  return v
}

function runSummaryText(s: ScheduledRunSummary): string {
  const lines = [
    `Backed up ${s.succeeded} of ${s.total} tenants into ${s.directory} (batch ${s.batchId ?? '-'}, ${(s.durationMs / 1000).toFixed(1)} s).`,
    s.retention.policy
      ? `Retention (${s.retention.policy}): ${s.retention.kept} kept, ${s.retention.deleted.length} deleted${s.retention.errors.length ? `, ${s.retention.errors.length} could not be deleted` : ''}.`
      : 'Retention: no policy given (--keep-daily/--keep-weekly/--keep-monthly); nothing deleted.'
  ]
  // Whole messages, one per line: a failure's reason is never cut short.
  if (s.failures.length) lines.push('', `Failed (${s.failures.length}):`, ...s.failures.map((f) => `  ${f.tenantSlug ?? f.tenantId}: ${f.error}`))
  if (s.retention.deleted.length) lines.push('', 'Deleted:', ...s.retention.deleted.map((d) => `  ${d.file} (${d.tenantSlug}): ${d.reason}`))
  if (s.retention.errors.length) lines.push('', 'Not deleted:', ...s.retention.errors.map((d) => `  ${d.file}: ${d.error}`))
  return lines.join('\n')
}

export async function main(argv: string[], io: Io): Promise<number> {
  const switches = new Set(['json', 'help', 'all', 'deep', 'trial'])
  for (const c of CHANNELS) for (const f of flagsOf(contract[c].input)) if (f.kind === 'boolean') switches.add(f.name)
  const { flags, positionals } = splitArgs(argv, switches)
  const json = flags.has('json')
  const help = flags.has('help')
  const print = (s: string) => io.stdout.write(s.endsWith('\n') ? s : `${s}\n`)
  const [ns, verb, ...rest] = positionals
  if (!ns) {
    print(globalHelp())
    return help ? 0 : EXIT_CODES.INVALID_INPUT
  }
  const cmd = findCommand(ns, verb)
  if (!cmd) {
    const known = commands().some((c) => c.namespace === ns)
    if (known && (help || !verb)) {
      print(namespaceHelp(ns))
      return help ? 0 : EXIT_CODES.INVALID_INPUT
    }
    io.stderr.write(`error INVALID_INPUT: Unknown command "${[ns, verb].filter(Boolean).join(' ')}". See nchat-console --help.\n`)
    return EXIT_CODES.INVALID_INPUT
  }
  const specs = cmd.channel ? flagsOf(contract[cmd.channel].input) : RUN_FLAGS
  const extra = extraFlags(cmd, specs)
  if (help) {
    print(commandHelp(cmd, specs, extra))
    return 0
  }

  let ctx: AppContext | null = null
  let platform: TerminalPlatform | null = null
  const onSigint = () => {
    io.stderr.write('\nCancelling…\n')
    void ctx?.backups.cancelAll()
  }
  try {
    if (rest.length) throw new AppError('INVALID_INPUT', `Unexpected argument "${rest[0]!.slice(0, 60)}": values go after a --flag.`)
    // Everything about the input is checked before connecting: bad input never writes anything.
    const globals = new Map<string, string[]>()
    for (const n of GLOBAL_NAMES) {
      const v = takeFlag(flags, n)
      if (v) globals.set(n, v)
    }
    const own = new Map<string, string[]>()
    for (const f of extra) {
      const v = takeFlag(flags, f.name)
      if (v) own.set(f.name, v)
    }
    const out = own.get('out')?.[0]
    const file = own.get('file')?.[0]
    const dir = own.get('dir')?.[0]
    const slugs = splitList(own.get('slug'))

    let input: Record<string, unknown> = {}
    let runFlags: Record<string, unknown> = {}
    if (cmd.channel) {
      let base: Record<string, unknown> = {}
      const raw = globals.get('input')?.[0]
      if (raw !== undefined) {
        try {
          base = JSON.parse(raw) as Record<string, unknown>
        } catch {
          throw new AppError('INVALID_INPUT', '--input takes a JSON object.')
        }
        if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new AppError('INVALID_INPUT', '--input takes a JSON object.')
      }
      input = buildInput(specs, flags, base)
      // Jobs the app names itself (usage refresh, audit): the command line names them too.
      if (specs.some((f) => f.path[0] === 'jobId') && input.jobId === undefined) input.jobId = randomUUID()
      for (const f of extra) if (f.required && !own.has(f.name)) throw new AppError('INVALID_INPUT', `--${f.name} is required (${f.description}).`)
      if (cmd.channel === 'backups:restore' && file && input.backupId === undefined) input.backupId = null
    } else {
      runFlags = parseRunFlags(flags)
      if (!runFlags.dir) throw new AppError('INVALID_INPUT', '--dir is required (the folder of the backups).')
      const chosen = [runFlags.all === true, Array.isArray(runFlags.slugs), Array.isArray(runFlags.tenantIds)].filter(Boolean).length
      if (chosen !== 1) throw new AppError('INVALID_INPUT', 'Choose the tenants: --all, or --slug (repeatable), or --tenant-id (repeatable).')
      for (const k of ['keep-daily', 'keep-weekly', 'keep-monthly']) num(runFlags[k.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())], k)
      if (runFlags.now !== undefined && Number.isNaN(Date.parse(String(runFlags.now)))) throw new AppError('INVALID_INPUT', '--now takes an ISO 8601 date and time.')
    }
    const channelSchemaInput = cmd.channel ? contract[cmd.channel].input : null
    // A fast, local pre-check (the registry checks again): tenant fields filled by --slug are checked after resolving.
    if (channelSchemaInput && !(cmd.channel === 'backups:verify' && file)) {
      const probe = structuredClone(input)
      if (slugs.length) {
        // Checked with a stand-in id; the real one comes from the slug after connecting.
        const field = tenantField(cmd.channel!, specs)!
        probe[field.path[0]!] = field.kind === 'array' ? slugs.map(() => PLACEHOLDER_ID) : PLACEHOLDER_ID
      }
      const pre = channelSchemaInput.safeParse(probe)
      if (!pre.success) {
        const first = pre.error.issues.slice(0, 3).map((i) => `${i.path.length ? `--${i.path.map((p) => kebab(String(p))).join('.')}` : 'input'}: ${i.message}`)
        throw new AppError('INVALID_INPUT', `The request was not valid (${first.join('; ')}).`)
      }
    }

    const conn = await connect(globals, io.env)
    // Verifying records a check, not an operator's action: it needs no identity.
    const writes = cmd.channel ? !READ_ONLY.has(cmd.channel) && cmd.channel !== 'backups:verify' : true
    if (writes && !conn.operator) {
      throw new AppError(
        'NOT_CONFIGURED',
        'This command changes something and needs an operator identity for the audit trail: give --operator-name and --operator-email (or NCHAT_OPERATOR_NAME/NCHAT_OPERATOR_EMAIL), or use a --profile that has one.'
      )
    }
    platform = new TerminalPlatform({ out: out ? resolve(out) : undefined, file: file ? resolve(file) : undefined, dir: dir || runFlags.dir ? resolve(String(dir ?? runFlags.dir)) : undefined }, {
      userDataDir: conn.userDataDir,
      stderr: io.stderr
    })
    const db = new ConnectionManager()
    if (conn.target) await db.setTarget(conn.target)
    const batchy = !cmd.channel || cmd.channel === 'backups:exportMany' || cmd.channel === 'backups:resumeBatch'
    const backupTuning = batchy && conn.target ? await chunkTuning(db) : undefined
    ctx = createContext({ platform, migrationsDir: join(ROOT, 'migrations'), db, secrets: conn.secrets, demo: null, envOverride: conn.target !== null, backupTuning })
    const registry = createRegistry(ctx, handlers, (url) => url === CLI_SENDER)
    const needsDb = cmd.channel ? !handlers[cmd.channel].noDatabase : true
    if (needsDb && !conn.target) {
      throw new AppError('NOT_CONFIGURED', 'No database given: use --database-url URL (or NCHAT_DATABASE_URL), or --profile NAME.')
    }
    process.on('SIGINT', onSigint)

    if (!cmd.channel) {
      const ids = Array.isArray(runFlags.slugs) ? await resolveSlugs(registry, runFlags.slugs as string[]) : (runFlags.tenantIds as string[] | undefined)
      const summary = await runScheduledBackups({
        ctx,
        invoke: (c, i) => registry.invoke(c, i, { senderUrl: CLI_SENDER }),
        selection: ids ? { tenantIds: ids } : { all: true },
        dir: String(runFlags.dir),
        policy: { daily: num(runFlags.keepDaily, 'keep-daily'), weekly: num(runFlags.keepWeekly, 'keep-weekly'), monthly: num(runFlags.keepMonthly, 'keep-monthly') },
        now: runFlags.now ? () => new Date(String(runFlags.now)) : undefined
      })
      platform.endProgress()
      print(json ? JSON.stringify(summary, null, 2) : runSummaryText(summary))
      if (summary.status === 'cancelled') return EXIT_CODES.CANCELLED
      return summary.failed > 0 ? EXIT_TENANTS_FAILED : 0
    }

    const channel = cmd.channel
    if (slugs.length) {
      const field = tenantField(channel, specs)!
      const ids = await resolveSlugs(registry, slugs)
      if (field.kind === 'array') input[field.path[0]!] = ids
      else {
        if (ids.length > 1) throw new AppError('INVALID_INPUT', '--slug was given more than once; this command takes one tenant.')
        input[field.path[0]!] = ids[0]
      }
    }

    if (channel === 'backups:verify' && file) {
      const data = await verifyFile(ctx, registry, resolve(file), input.deep === true)
      platform.endProgress()
      print(json ? JSON.stringify(data, null, 2) : render(data))
      return (data as { ok: boolean }).ok ? 0 : EXIT_CODES.INTERNAL
    }

    const data = await call(registry, channel, input)
    if (JOB_CHANNELS.has(channel) && data) {
      const started = data as NonNullable<JobStarted>
      const final = await ctx.backups.waitFor(started.jobId)
      platform.endProgress()
      if (final && final.status !== 'succeeded') {
        const code: ErrorCode = final.status === 'cancelled' ? 'CANCELLED' : 'INTERNAL'
        if (final.status === 'partial' || (final.status === 'failed' && final.tenantsTotal > 1 && channel !== 'backups:export')) {
          print(json ? JSON.stringify(data, null, 2) : `${render(data)}\n${final.message ?? ''}`)
          io.stderr.write(`error ${code}: ${final.message ?? 'Some tenants failed.'}\n`)
          return final.status === 'partial' ? EXIT_TENANTS_FAILED : EXIT_CODES[code]
        }
        throw new CliFailure({ code, message: final.message ?? 'The job failed.' }, EXIT_CODES[code])
      }
      const said = final?.message ?? (channel === 'backups:export' && out ? `Backup written and verified: ${resolve(out)}` : null)
      print(json ? JSON.stringify(data, null, 2) : `${render(data)}${said ? `\n${said}` : ''}`)
      return 0
    }
    platform.endProgress()
    print(json ? JSON.stringify(data, null, 2) : render(data))
    return 0
  } catch (e) {
    platform?.endProgress()
    const f = fail(e)
    io.stderr.write(`error ${f.payload.code}: ${redact(f.payload.message)}\n`)
    return f.exit
  } finally {
    process.off('SIGINT', onSigint)
    if (ctx) {
      await ctx.backups.cancelAll().catch(() => {})
      await ctx.db.close().catch(() => {})
    }
  }
}

/** Relations per tenant schema of the app's template (tables, sequences, indexes): as the batch counts them. */
const RELATIONS_PER_SCHEMA = 40

/**
 * Batch chunks sized to the server. pg_dump takes a lock on every table it dumps, in the
 * server's shared lock table (max_locks_per_transaction x (max_connections +
 * max_prepared_transactions) slots). The batch counts 40 relations per tenant schema
 * (tables, sequences, indexes and a margin) where pg_dump locks about 10 (the template's
 * tables), so allowing as many counted relations as the lock table has slots uses about a
 * quarter of it. Never less than the app's default chunk (4,000), at most 1,000 schemas
 * per pg_dump: fewer pg_dump runs are fewer passes over a large catalog
 * (bench/results/scheduled-backup.md).
 */
async function chunkTuning(db: ConnectionManager): Promise<{ maxRelationsPerRun: number; maxSchemasPerRun: number } | undefined> {
  try {
    const r = await db.query<{ locks: string; conns: string; prepared: string }>(
      `SELECT current_setting('max_locks_per_transaction') AS locks, current_setting('max_connections') AS conns,
              current_setting('max_prepared_transactions') AS prepared`
    )
    const x = r.rows[0]!
    const capacity = Number(x.locks) * (Number(x.conns) + Number(x.prepared))
    if (!Number.isFinite(capacity) || capacity <= 0) return undefined
    const maxRelationsPerRun = Math.max(4000, Math.floor(capacity))
    return { maxRelationsPerRun, maxSchemasPerRun: Math.min(1000, Math.max(250, Math.floor(maxRelationsPerRun / RELATIONS_PER_SCHEMA))) }
  } catch {
    return undefined // the run itself will say what is wrong with the connection
  }
}

/**
 * `backups verify --file FILE`: a file of the catalog is verified through the registry
 * (`backups:verify`, which records the result); any other file is checked the same way
 * (checksums, pg_restore, and with --deep a rolled-back restore) after the same role
 * check, and nothing is recorded.
 */
async function verifyFile(ctx: AppContext, registry: Registry, path: string, deep: boolean): Promise<unknown> {
  const r = await ctx.db.query<{ id: string }>(
    `SELECT id::text FROM console.backup_catalog WHERE file_path = $1 AND status = 'succeeded' ORDER BY started_at DESC LIMIT 1`,
    [path]
  ).catch(() => ({ rows: [] as { id: string }[] }))
  const id = r.rows[0]?.id
  if (id) return call(registry, 'backups:verify', { backupId: id, deep })
  const minRole = handlers['backups:verify'].minRole
  const role = await ctx.session.role()
  if (minRole !== 'none' && role === 'none') {
    throw new AppError('FORBIDDEN', `This needs the ${minRole} console role; the connected database role has no console role.`)
  }
  try {
    const v = await ctx.backups.verifyFile(path, { deep })
    return { backupId: null, file: path, ok: true, level: deep ? 'deep' : 'quick', message: v.message, tables: v.tables }
  } catch (e) {
    const err = toAppError(e)
    if (['DB_UNAVAILABLE', 'FORBIDDEN', 'TOOL_MISSING', 'CANCELLED', 'NOT_CONFIGURED'].includes(err.code)) throw err
    const msg = e instanceof BackupFileError ? e.message : err.message
    return { backupId: null, file: path, ok: false, level: deep ? 'deep' : 'quick', message: msg, tables: [] }
  }
}

/** Runs the command line of this process and exits with its status. */
export function run(): void {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code
      // Pools, keychain helper: nothing may keep a finished command alive.
      setTimeout(() => process.exit(code), 200).unref()
    },
    (e) => {
      process.stderr.write(`error INTERNAL: ${redact(String((e as Error)?.message ?? e))}\n`)
      process.exit(1)
    }
  )
}

if (require.main === module) run()
