import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeToolFailure, pgEnv } from '../../src-main/backup/pgproc'
import { findPgTools, parseToolVersion } from '../../src-main/backup/tools'

function fakeTools(version: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nchat-fake-pg-'))
  for (const t of ['pg_dump', 'pg_restore']) {
    const f = join(dir, t)
    writeFileSync(f, `#!/bin/sh\necho "${t} (PostgreSQL) ${version}"\n`)
    chmodSync(f, 0o755)
  }
  return dir
}

describe('pg tools', () => {
  it('parses versions', () => {
    expect(parseToolVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toEqual({ version: '15.18', major: 15 })
    expect(parseToolVersion('pg_dump (PostgreSQL) 17devel')).toEqual({ version: '17', major: 17 })
    expect(parseToolVersion('nonsense')).toBeNull()
  })

  it("prefers the profile's folder when it is new enough", async () => {
    const dir = fakeTools('16.4')
    const t = await findPgTools({ profileBinDir: dir, serverMajor: 15, serverVersion: '15.18', env: { PATH: '' } })
    expect(t.source).toBe('profile')
    expect(t.pgDump).toMatchObject({ path: join(dir, 'pg_dump'), version: '16.4', major: 16 })
  })

  it('skips tools older than the server and says exactly which version is needed', async () => {
    const old = fakeTools('13.2')
    const err = await findPgTools({ profileBinDir: old, serverMajor: 99, serverVersion: '99.1', env: { PATH: old } }).catch((e) => e)
    expect(err.code).toBe('TOOL_MISSING')
    expect(err.message).toMatch(/version 99 or newer are needed/)
    expect(err.message).toMatch(/13\.2 in /)
    expect(err.message).toMatch(/profile's pg_dump is 13\.2, older than the server/)
  })
})

describe('pg_dump environment', () => {
  it('puts the password in a 0600 passfile, never in the environment or arguments, and removes it', async () => {
    const env = await pgEnv({ connectionString: 'postgresql://ops:s3cr%3At@db.example:6543/chat?sslmode=require' }, 'test')
    expect(env.env.PGPASSWORD).toBeUndefined()
    expect(env.env).toMatchObject({ PGHOST: 'db.example', PGPORT: '6543', PGUSER: 'ops', PGDATABASE: 'chat', PGSSLMODE: 'require' })
    const file = env.env.PGPASSFILE!
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).toBe('*:*:*:*:s3cr\\:t\n')
    expect(JSON.stringify(Object.entries(env.env).filter(([k]) => k !== 'PGPASSFILE'))).not.toContain('s3cr')
    await env.cleanup()
    expect(existsSync(file)).toBe(false)
  })

  it('describes failures in words', () => {
    expect(describeToolFailure('pg_dump', { code: 1, signal: null, stderr: 'FATAL:  password authentication failed for user "x"' })).toMatch(/refused the password/)
    expect(describeToolFailure('pg_dump', { code: null, signal: 'SIGKILL', stderr: '' })).toMatch(/stopped \(SIGKILL\)/)
    expect(describeToolFailure('pg_dump', { code: 1, signal: null, stderr: 'ERROR:  permission denied for schema tenant_x' })).toMatch(/USAGE on the schema/)
  })
})
