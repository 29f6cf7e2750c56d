import https from 'node:https'
import tls from 'node:tls'

/** The certificate a host presented, and what this machine thinks of it. */
export interface CertFacts {
  subject: string
  issuer: string
  /** DNS names of the subjectAltName (the CN when there is none). */
  names: string[]
  validFrom: string
  validTo: string
  /** Whole days until it expires (negative: expired that many days ago). */
  daysLeft: number
  /** The chain's verification error (OpenSSL code) ignoring dates, or null when trusted. */
  chainError: string | null
  /** Why the certificate does not cover the host name, or null when it does. */
  nameError: string | null
}

export type TlsResult = { ok: true; cert: CertFacts; protocol: string | null } | { ok: false; code: string; words: string }

export interface Endpoint {
  /** The address to connect to (from DNS). */
  address: string
  port: number
  /** The host name sent as SNI and Host. */
  host: string
  ca: string[]
  timeoutMs: number
}

// Dates and the host name are judged on their own (the handshake reports only one error).
const NOT_CHAIN_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID'])
const DAY = 86_400_000

function namesOf(cert: tls.PeerCertificate): string[] {
  const alt = cert.subjectaltname
  if (alt) {
    return alt
      .split(/,\s*/)
      .filter((x) => x.startsWith('DNS:'))
      .map((x) => x.slice(4))
  }
  const cn = cert.subject?.CN
  return cn ? [Array.isArray(cn) ? cn[0]! : cn] : []
}

function nameOf(part: tls.Certificate | undefined): string {
  if (!part) return ''
  const v = (k: keyof tls.Certificate) => {
    const x = part[k]
    return Array.isArray(x) ? x[0] : x
  }
  return [v('CN'), v('O')].filter(Boolean).join(', ')
}

/** Connects, completes the handshake without trusting it, and reports on the certificate. */
export function probeTls(ep: Endpoint, now = Date.now()): Promise<TlsResult> {
  return new Promise((resolve) => {
    let done = false
    const finish = (r: TlsResult) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(r)
    }
    const socket = tls.connect({ host: ep.address, port: ep.port, servername: ep.host, ca: ep.ca, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
    const timer = setTimeout(() => finish({ ok: false, code: 'ETIMEDOUT', words: `no TLS handshake with ${ep.address}:${ep.port} within ${ep.timeoutMs / 1000} s` }), ep.timeoutMs)
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(false)
      if (!cert || !cert.raw) {
        finish({ ok: false, code: 'ENOCERT', words: `${ep.address}:${ep.port} presented no certificate for ${ep.host}` })
        return
      }
      const authError = socket.authorizationError ? String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError) : null
      const identity = tls.checkServerIdentity(ep.host, cert)
      const validTo = new Date(cert.valid_to)
      finish({
        ok: true,
        protocol: socket.getProtocol(),
        cert: {
          subject: nameOf(cert.subject),
          issuer: nameOf(cert.issuer),
          names: namesOf(cert),
          validFrom: new Date(cert.valid_from).toISOString(),
          validTo: validTo.toISOString(),
          daysLeft: Math.floor((validTo.getTime() - now) / DAY),
          chainError: authError && !NOT_CHAIN_ERRORS.has(authError) ? authError : null,
          nameError: identity ? identity.message : null
        }
      })
    })
    socket.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, code: e.code ?? 'EPROTO', words: connectWords(e.code ?? 'EPROTO', ep) }))
  })
}

export function connectWords(code: string, ep: Pick<Endpoint, 'address' | 'port' | 'host'>): string {
  const at = `${ep.address}:${ep.port}`
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing accepts connections on ${at}`
    case 'ETIMEDOUT':
      return `${at} did not answer in time`
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${at} cannot be reached from this machine (no route)`
    case 'ECONNRESET':
    case 'EPROTO':
    case 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR':
    case 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE':
    case 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME':
      return `${at} closed the TLS handshake for ${ep.host} (${code}): it probably has no certificate for this name, or speaks no HTTPS on this port`
    default:
      return `the connection to ${at} failed (${code})`
  }
}

/** The chain's verification error in words. */
export function chainWords(code: string): string {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'the certificate is self-signed'
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'the chain ends in an authority this machine does not trust'
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return 'the certificate is not signed by an authority this machine trusts (or the server does not send its intermediate certificates)'
    case 'CERT_REVOKED':
      return 'the certificate has been revoked'
    default:
      return `the certificate chain is not valid (${code})`
  }
}

export interface HealthAnswer {
  ok: true
  status: number
  latencyMs: number
  /** The body's `status` when the body is JSON with a string status. */
  bodyStatus: string | null
  json: boolean
  location: string | null
  /** The first characters of the body (for the evidence). */
  snippet: string
}

const BODY_LIMIT = 64 * 1024

/** GET https://host/api/health at the given address (SNI and Host set to the name). */
export function getHealth(ep: Endpoint, path = '/api/health'): Promise<HealthAnswer | { ok: false; code: string; words: string }> {
  return new Promise((resolve) => {
    const started = performance.now()
    let done = false
    const finish = (r: HealthAnswer | { ok: false; code: string; words: string }) => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      resolve(r)
    }
    const req = https.request({
      host: ep.address,
      port: ep.port,
      path,
      method: 'GET',
      servername: ep.host,
      ca: ep.ca,
      // The TLS step reports on trust; this one asks whether the app answers.
      rejectUnauthorized: false,
      agent: false,
      headers: { Host: ep.port === 443 ? ep.host : `${ep.host}:${ep.port}`, Accept: 'application/json', 'User-Agent': 'nchat-console-reachability' }
    })
    const timer = setTimeout(() => finish({ ok: false, code: 'ETIMEDOUT', words: `${ep.host} did not answer ${path} within ${ep.timeoutMs / 1000} s` }), ep.timeoutMs)
    req.once('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size <= BODY_LIMIT) chunks.push(c)
      })
      res.once('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        let json = false
        let bodyStatus: string | null = null
        try {
          const parsed = JSON.parse(body) as unknown
          json = true
          if (parsed && typeof parsed === 'object' && typeof (parsed as { status?: unknown }).status === 'string') bodyStatus = (parsed as { status: string }).status.slice(0, 60)
        } catch {
          /* not JSON */
        }
        finish({
          ok: true,
          status: res.statusCode ?? 0,
          latencyMs: Math.round(performance.now() - started),
          bodyStatus,
          json,
          location: typeof res.headers.location === 'string' ? res.headers.location.slice(0, 200) : null,
          snippet: body.replace(/\s+/g, ' ').slice(0, 160)
        })
      })
      res.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, code: e.code ?? 'EPROTO', words: connectWords(e.code ?? 'EPROTO', ep) }))
    })
    req.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, code: e.code ?? 'EPROTO', words: connectWords(e.code ?? 'EPROTO', ep) }))
    req.end()
  })
}

/** A body status that means healthy. */
export function healthyWord(s: string): boolean {
  return /^(ok|healthy|up|pass|passing|green|alive|ready)$/i.test(s.trim())
}
