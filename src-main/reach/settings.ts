import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import tls from 'node:tls'
import { AppError } from '../core/errors'
import type { ConnectionTarget } from '../db/connection'

/** What a reachability check needs to know, from the connection's profile. */
export interface ReachSettings {
  /** The app's base domain, lower case; null: the profile names none. */
  baseDomain: string | null
  /** DNS server as "ip" or "ip:port" / "[ipv6]:port"; null: the system's. */
  dnsServer: string | null
  /** The certificate authorities a host's chain is checked against (the system's plus the profile's extra CA). */
  ca: string[]
  /** The extra CA's subject, for the evidence; null when there is none. */
  extraCa: string | null
  port: number
  timeoutMs: number
}

export interface ReachOptions {
  /** Per-step time limit (DNS query, TLS handshake, HTTP request). Default 5 s. */
  timeoutMs?: number
}

let systemCas: string[] | null = null

/** Node's bundled authorities plus the operating system's, read once. */
function trustedAuthorities(): string[] {
  if (systemCas) return systemCas
  const all = new Set<string>(tls.rootCertificates)
  const get = (tls as unknown as { getCACertificates?: (type: string) => string[] }).getCACertificates
  if (typeof get === 'function') {
    for (const kind of ['default', 'system']) {
      try {
        for (const c of get(kind)) all.add(c)
      } catch {
        /* this platform cannot list them: the bundled ones stay */
      }
    }
  }
  systemCas = [...all]
  return systemCas
}

/** "10.0.0.2", "10.0.0.2:5353", "::1", "[::1]:5353": checked, or an INVALID_INPUT error. */
export function checkDnsServer(value: string): string {
  const v = value.trim()
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(v) ?? /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(v)
  const ip = m ? m[1]! : v
  const port = m?.[2] ? Number(m[2]) : 53
  if (!isIP(ip) || port < 1 || port > 65535) {
    throw new AppError('INVALID_INPUT', `The profile's DNS server "${v.slice(0, 100)}" is not an IP address (optionally with :port). Edit the profile.`)
  }
  return v
}

export async function settingsFor(target: ConnectionTarget, opts: ReachOptions = {}): Promise<ReachSettings> {
  const checks = target.checks ?? {}
  let extra: string | null = null
  let extraCa: string | null = null
  if (checks.caFile) {
    try {
      extra = await readFile(checks.caFile, 'utf8')
    } catch (e) {
      throw new AppError(
        'INVALID_INPUT',
        `The profile's extra CA file ${checks.caFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}). Choose the PEM certificate of your private authority, or clear the field.`
      )
    }
    try {
      extraCa = new X509Certificate(extra).subject.replace(/\n/g, ', ')
    } catch {
      throw new AppError('INVALID_INPUT', `The profile's extra CA file ${checks.caFile} is not a PEM certificate. Choose the authority's certificate (-----BEGIN CERTIFICATE-----).`)
    }
  }
  const port = checks.httpsPort ?? 443
  return {
    baseDomain: target.baseDomain ? target.baseDomain.trim().toLowerCase().replace(/\.$/, '') || null : null,
    dnsServer: checks.dnsServer ? checkDnsServer(checks.dnsServer) : null,
    ca: extra ? [...trustedAuthorities(), extra] : trustedAuthorities(),
    extraCa,
    port,
    timeoutMs: opts.timeoutMs ?? 5_000
  }
}

/** https://host/path, with the port when it is not 443. */
export function urlOf(host: string, port: number, path = '/api/health'): string {
  return `https://${host}${port === 443 ? '' : `:${port}`}${path}`
}
