import { readFileSync } from 'node:fs'
import type pg from 'pg'
import { ENVIRONMENT_COLORS, type ProfileFieldsParsed, type ProfileView, type SecretKind } from '../../src-preload/contract/profiles'
import { AppError, toAppError } from '../core/errors'
import { registerSecret } from '../core/logger'
import type { ConnectionTarget } from '../db/connection'

export type Secrets = Partial<Record<SecretKind, string>>

/** The label the title bar shows for a profile's environment. */
export function environmentName(p: Pick<ProfileFieldsParsed, 'environment' | 'environmentLabel'>): string {
  return p.environment === 'custom' ? p.environmentLabel.trim() || 'custom' : p.environment
}

export function colorFor(p: Pick<ProfileFieldsParsed, 'environment' | 'color'>): string {
  return p.color ?? ENVIRONMENT_COLORS[p.environment]
}

export function sslConfig(fields: Pick<ProfileFieldsParsed, 'sslMode' | 'caFile'>): pg.PoolConfig['ssl'] {
  switch (fields.sslMode) {
    case 'disable':
      return false
    case 'require':
      // Encrypted, but the certificate is not checked (libpq's sslmode=require).
      return { rejectUnauthorized: false }
    case 'verify-full': {
      if (!fields.caFile) return { rejectUnauthorized: true }
      let ca: string
      try {
        ca = readFileSync(fields.caFile, 'utf8')
      } catch (e) {
        throw new AppError(
          'INVALID_INPUT',
          `The CA file ${fields.caFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}). Choose the certificate file of the authority that signed the server's certificate.`
        )
      }
      return { rejectUnauthorized: true, ca }
    }
  }
}

/** Puts the Redis password (kept in the keychain) back into the Redis URL, in main only. */
export function redisUrlWithPassword(url: string, password: string | undefined): string | null {
  if (!url) return null
  if (!password) return url
  try {
    const u = new URL(url)
    u.password = password
    return u.toString()
  } catch {
    return url
  }
}

/** Splits a password typed into a Redis URL out of it (it goes to the keychain). */
export function splitRedisUrl(url: string): { url: string; password: string | null } {
  if (!url) return { url: '', password: null }
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new AppError('INVALID_INPUT', 'The Redis URL is not valid (expected redis://host:6379/0 or rediss://...).')
  }
  if (!/^rediss?:$/.test(u.protocol)) throw new AppError('INVALID_INPUT', 'The Redis URL must start with redis:// or rediss://')
  const password = u.password ? decodeURIComponent(u.password) : null
  u.password = ''
  return { url: u.toString(), password }
}

export function targetFor(profile: ProfileFieldsParsed & { id: string }, secrets: Secrets): ConnectionTarget {
  for (const v of Object.values(secrets)) registerSecret(v)
  return {
    label: `${profile.user}@${profile.host}:${profile.port}/${profile.database}`,
    pg: {
      host: profile.host,
      port: profile.port,
      database: profile.database,
      user: profile.user,
      ...(secrets.password ? { password: secrets.password } : {}),
      ssl: sslConfig(profile)
    },
    templateSchema: profile.templateSchema,
    tenantPrefix: profile.tenantPrefix,
    operator: { name: profile.operatorName, email: profile.operatorEmail },
    profile: { id: profile.id, name: profile.name, environment: environmentName(profile), color: colorFor(profile) },
    redisUrl: redisUrlWithPassword(profile.redisUrl, secrets.redisPassword),
    stripeKey: secrets.stripeKey ?? null,
    webhookSecret: secrets.webhookSecret ?? null,
    pgBinDir: profile.pgBinDir || null,
    baseDomain: profile.baseDomain || null,
    checks: { dnsServer: profile.dnsServer || null, caFile: profile.checkCaFile || null }
  }
}

export function viewFields(p: ProfileView): ProfileFieldsParsed {
  const { id: _i, secrets: _s, createdAt: _c, updatedAt: _u, ...fields } = p
  return fields
}

/**
 * A connection failure in words a person can act on. pg's own messages are used only
 * where they hold no secret (they never contain the password).
 */
export function connectError(e: unknown, where: { host: string; port: number; database: string; user: string }): AppError {
  if (e instanceof AppError) return e
  const err = e as { code?: string; message?: string }
  const code = err.code ?? ''
  const msg = err.message ?? ''
  const at = `${where.host}:${where.port}`
  switch (code) {
    case '28P01':
      return new AppError('FORBIDDEN', `The server refused the password for user "${where.user}". Check the user name and replace the stored password.`)
    case '28000':
      return new AppError(
        'FORBIDDEN',
        `The server does not allow this connection (${msg.replace(/"/g, "'").slice(0, 160)}). Ask the database administrator to allow it in pg_hba.conf, or change the SSL mode.`
      )
    case '3D000':
      return new AppError('NOT_FOUND', `The database "${where.database}" does not exist on ${at}. Check the database name.`)
    case 'ECONNREFUSED':
      return new AppError('DB_UNAVAILABLE', `Nothing is accepting connections at ${at}. Check the host and port, and that the server is running.`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new AppError('DB_UNAVAILABLE', `The host name "${where.host}" could not be resolved. Check the host, or your network / VPN.`)
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return new AppError('DB_UNAVAILABLE', `${at} could not be reached (network unreachable or a firewall). Check the host, port and your VPN.`)
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new AppError(
        'INVALID_INPUT',
        `The server's certificate could not be verified (${code}). For verify-full, choose the CA file that signed it and make sure the host name matches the certificate; or use SSL mode "require".`
      )
  }
  if (/does not support SSL/i.test(msg)) {
    return new AppError('INVALID_INPUT', `The server at ${at} does not accept SSL. Use SSL mode "disable" only on a network you trust.`)
  }
  if (/client password must be a string|password authentication|SASL/i.test(msg)) {
    return new AppError('FORBIDDEN', `The server asks for a password for user "${where.user}" and none is stored for this profile. Enter the password.`)
  }
  if (/timeout|Connection terminated due to connection timeout/i.test(msg)) {
    return new AppError('DB_UNAVAILABLE', `${at} did not answer in time. Check the host and port, and your network / VPN.`)
  }
  return toAppError(e)
}
