import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { AppError } from '../core/errors'

/** A PostgreSQL client tool the console runs (never through a shell). */
export interface PgTool {
  name: 'pg_dump' | 'pg_restore'
  path: string
  /** e.g. "15.18" */
  version: string
  major: number
}

export interface PgTools {
  pgDump: PgTool
  pgRestore: PgTool
  /** Where they were found: the profile's folder, PATH or a usual install folder. */
  source: 'profile' | 'path' | 'install-folder'
}

const EXE = process.platform === 'win32' ? '.exe' : ''

/** Parses `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → 15.18 / 15. Also 9.6.x → major 9.6 as 9. */
export function parseToolVersion(out: string): { version: string; major: number } | null {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(out) ?? /\b(\d+)\.(\d+)/.exec(out)
  if (!m) return null
  const major = Number(m[1])
  return { version: m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]!, major }
}

/** Server major version from server_version_num (150018 → 15; 90624 → 9, close enough for a lower bound). */
export function serverMajor(versionNum: number): number {
  return Math.floor(versionNum / 10000)
}

function versionDirs(parent: string, sub: (d: string) => string): string[] {
  try {
    return readdirSync(parent)
      .filter((d) => /\d/.test(d))
      .sort((a, b) => (parseFloat(b.replace(/^\D+/, '')) || 0) - (parseFloat(a.replace(/^\D+/, '')) || 0))
      .map((d) => sub(join(parent, d)))
  } catch {
    return []
  }
}

/** The usual install folders, newest version first. */
export function installFolders(): string[] {
  if (process.platform === 'win32') {
    const pf = [process.env.ProgramFiles, process.env['ProgramFiles(x86)']].filter(Boolean) as string[]
    return pf.flatMap((p) => versionDirs(join(p, 'PostgreSQL'), (d) => join(d, 'bin')))
  }
  const out = [
    ...versionDirs('/usr/lib/postgresql', (d) => join(d, 'bin')),
    ...versionDirs('/usr/pgsql', (d) => join(d, 'bin')),
    ...versionDirs('/opt/homebrew/opt', (d) => join(d, 'bin')).filter((d) => /postgresql/.test(d)),
    ...versionDirs('/usr/local/opt', (d) => join(d, 'bin')).filter((d) => /postgresql/.test(d)),
    ...versionDirs('/Applications/Postgres.app/Contents/Versions', (d) => join(d, 'bin')),
    '/usr/local/pgsql/bin',
    '/opt/homebrew/bin',
    '/usr/local/bin'
  ]
  // /usr/pgsql-15 style (RHEL)
  try {
    for (const d of readdirSync('/usr')
      .filter((x) => /^pgsql-\d+$/.test(x))
      .sort((a, b) => Number(b.slice(6)) - Number(a.slice(6))))
      out.push(join('/usr', d, 'bin'))
  } catch {
    /* none */
  }
  return out
}

function toolVersion(path: string): Promise<{ version: string; major: number } | null> {
  return new Promise((resolve) => {
    execFile(path, ['--version'], { timeout: 10_000, windowsHide: true }, (err, stdout) => {
      if (err) return resolve(null)
      resolve(parseToolVersion(String(stdout)))
    })
  })
}

interface Candidate {
  dir: string
  source: PgTools['source']
}

export function candidateDirs(profileBinDir: string | null | undefined, env: NodeJS.ProcessEnv = process.env): Candidate[] {
  const seen = new Set<string>()
  const out: Candidate[] = []
  const add = (dir: string, source: PgTools['source']) => {
    if (!dir || seen.has(dir)) return
    seen.add(dir)
    out.push({ dir, source })
  }
  if (profileBinDir) add(profileBinDir, 'profile')
  for (const d of (env.PATH ?? '').split(delimiter)) add(d, 'path')
  for (const d of installFolders()) add(d, 'install-folder')
  return out
}

/**
 * Finds pg_dump and pg_restore (same folder) new enough for the server: the profile's
 * folder first, then PATH, then the usual install folders. pg_dump refuses servers of a
 * newer major version, so the tools' major must be >= the server's.
 */
export async function findPgTools(opts: {
  profileBinDir?: string | null
  serverMajor: number
  serverVersion: string
  env?: NodeJS.ProcessEnv
}): Promise<PgTools> {
  const found: string[] = []
  let profileProblem: string | null = null
  for (const c of candidateDirs(opts.profileBinDir, opts.env)) {
    const dump = join(c.dir, 'pg_dump' + EXE)
    const restore = join(c.dir, 'pg_restore' + EXE)
    if (!existsSync(dump)) {
      if (c.source === 'profile') profileProblem = `The profile's PostgreSQL folder ${c.dir} has no pg_dump.`
      continue
    }
    const dv = await toolVersion(dump)
    if (!dv) continue
    found.push(`${dv.version} in ${c.dir}`)
    if (dv.major < opts.serverMajor) {
      if (c.source === 'profile') profileProblem = `The profile's pg_dump is ${dv.version}, older than the server (${opts.serverVersion}).`
      continue
    }
    if (!existsSync(restore)) continue
    const rv = await toolVersion(restore)
    if (!rv || rv.major < opts.serverMajor) continue
    return {
      pgDump: { name: 'pg_dump', path: dump, ...dv },
      pgRestore: { name: 'pg_restore', path: restore, ...rv },
      source: c.source
    }
  }
  const need = `pg_dump and pg_restore version ${opts.serverMajor} or newer are needed (the server runs PostgreSQL ${opts.serverVersion}; pg_dump refuses servers newer than itself).`
  const seen = found.length ? ` Found only: ${found.slice(0, 4).join('; ')}.` : ' None were found in the profile folder, on PATH or in the usual install folders.'
  throw new AppError(
    'TOOL_MISSING',
    `${need}${seen}${profileProblem ? ' ' + profileProblem : ''} Install the PostgreSQL ${opts.serverMajor} client tools or set the profile's PostgreSQL folder.`,
    { requiredMajor: opts.serverMajor, found }
  )
}
