import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface PgDumpInfo {
  found: boolean
  path: string | null
  version: string | null
  major: number | null
  compatible: boolean
  message: string
}

const EXE = process.platform === 'win32' ? 'pg_dump.exe' : 'pg_dump'

/** Folders where pg_dump usually lives, newest first where the folder names a version. */
export function candidateDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = []
  const versioned = (base: string, sub: (v: string) => string): void => {
    try {
      const vs = readdirSync(base)
        .filter((v) => /^\d+(\.\d+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
      for (const v of vs) out.push(join(base, sub(v)))
    } catch {
      /* not there */
    }
  }
  versioned('/usr/lib/postgresql', (v) => join(v, 'bin'))
  versioned('/usr/pgsql', () => 'bin')
  versioned('/Applications/Postgres.app/Contents/Versions', (v) => join(v, 'bin'))
  versioned('C:\\Program Files\\PostgreSQL', (v) => join(v, 'bin'))
  out.push('/opt/homebrew/opt/libpq/bin', '/usr/local/opt/libpq/bin')
  for (const d of (env.PATH ?? '').split(delimiter)) if (d) out.push(d)
  return [...new Set(out)]
}

function versionOf(bin: string): Promise<{ version: string; major: number } | null> {
  return new Promise((resolve) => {
    execFile(bin, ['--version'], { timeout: 5000, encoding: 'utf8' }, (err, stdout) => {
      if (err) return resolve(null)
      const m = /(\d+)(?:\.(\d+))?/.exec(stdout)
      if (!m) return resolve(null)
      resolve({ version: stdout.trim(), major: Number(m[1]) })
    })
  })
}

/**
 * Finds pg_dump: in the profile's folder when one is set, else the newest found in the
 * usual places. pg_dump must be at least the server's major version to dump it.
 */
export async function findPgDump(pgBinDir: string, serverMajor: number, env: NodeJS.ProcessEnv = process.env): Promise<PgDumpInfo> {
  const dirs = pgBinDir ? [pgBinDir] : candidateDirs(env)
  let best: { path: string; version: string; major: number } | null = null
  for (const d of dirs) {
    const p = join(d, EXE)
    if (!existsSync(p)) continue
    const v = await versionOf(p)
    if (!v) continue
    if (!best || v.major > best.major) best = { path: p, ...v }
    if (pgBinDir) break
  }
  if (!best) {
    return {
      found: false,
      path: null,
      version: null,
      major: null,
      compatible: false,
      message: pgBinDir
        ? `No working pg_dump in ${pgBinDir}. Backups need pg_dump ${serverMajor} or newer: install the PostgreSQL client tools and pick their bin folder.`
        : `pg_dump was not found. Backups need pg_dump ${serverMajor} or newer: install the PostgreSQL client tools (e.g. postgresql-client-${serverMajor}) or set the tools folder in the profile.`
    }
  }
  const compatible = best.major >= serverMajor
  return {
    found: true,
    path: best.path,
    version: best.version,
    major: best.major,
    compatible,
    message: compatible
      ? `pg_dump ${best.major} at ${best.path} can back up this server (PostgreSQL ${serverMajor}).`
      : `pg_dump ${best.major} at ${best.path} is older than the server (PostgreSQL ${serverMajor}) and cannot back it up. Install pg_dump ${serverMajor} or newer and set the tools folder.`
  }
}
