/**
 * Local stand-ins for the internet, for reachability tests: a small UDP DNS server (A,
 * CNAME, NXDOMAIN), a test certificate authority made with the openssl command line, and
 * an HTTPS server that presents a certificate per name (SNI) and answers /api/health per
 * host. Everything listens on 127.0.0.1: nothing leaves the machine.
 */
import { execFileSync } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSecureContext, type SecureContext } from 'node:tls'

// ------------------------------------------------------------------ DNS

export interface ZoneEntry {
  A?: string[]
  CNAME?: string
  /** Never answer a query for this name (a resolver that times out). */
  silent?: true
}
/** Names (lower case, no trailing dot; `*.example.test` for a wildcard) and their records. */
export type Zone = Record<string, ZoneEntry>

const TYPE = { A: 1, CNAME: 5, AAAA: 28 } as const

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean)
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])), Buffer.from([0])])
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = []
  let i = offset
  for (;;) {
    const len = msg[i]!
    if (len === 0) return { name: labels.join('.'), end: i + 1 }
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'))
    i += 1 + len
  }
}

function rr(name: string, type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(10)
  head.writeUInt16BE(type, 0)
  head.writeUInt16BE(1, 2) // IN
  head.writeUInt32BE(60, 4)
  head.writeUInt16BE(data.length, 8)
  return Buffer.concat([encodeName(name), head, data])
}

function entryOf(zone: Zone, name: string): ZoneEntry | undefined {
  if (zone[name]) return zone[name]
  const dot = name.indexOf('.')
  return dot > 0 ? zone[`*.${name.slice(dot + 1)}`] : undefined
}

/** The answer a recursive resolver would give: CNAME chains followed, NXDOMAIN for unknown names. */
export function answer(zone: Zone, query: Buffer): Buffer {
  const id = query.readUInt16BE(0)
  const flags = query.readUInt16BE(2)
  const { name: asked, end } = readName(query, 12)
  const qtype = query.readUInt16BE(end)
  const question = query.subarray(12, end + 4)
  const answers: Buffer[] = []
  let rcode = 0
  let cur = asked.toLowerCase()
  for (let hops = 0; hops < 8; hops++) {
    const e = entryOf(zone, cur)
    if (!e) {
      if (!answers.length) rcode = 3 // NXDOMAIN
      break
    }
    if (e.CNAME) {
      answers.push(rr(cur, TYPE.CNAME, encodeName(e.CNAME)))
      if (qtype === TYPE.CNAME) break
      cur = e.CNAME.toLowerCase()
      continue
    }
    if (qtype === TYPE.A) for (const a of e.A ?? []) answers.push(rr(cur, TYPE.A, Buffer.from(a.split('.').map(Number))))
    break
  }
  const head = Buffer.alloc(12)
  head.writeUInt16BE(id, 0)
  head.writeUInt16BE(0x8000 | (flags & 0x0100) | 0x0080 | rcode, 2) // QR, RD copied, RA
  head.writeUInt16BE(1, 4)
  head.writeUInt16BE(answers.length, 6)
  return Buffer.concat([head, question, ...answers])
}

export interface DnsServer {
  /** "127.0.0.1:<port>", as a profile's DNS server. */
  address: string
  /** Names asked, in order (lower case). */
  queries: string[]
  zone: Zone
  close(): Promise<void>
}

export async function startDnsServer(zone: Zone): Promise<DnsServer> {
  const socket: Socket = createSocket('udp4')
  const queries: string[] = []
  const server: DnsServer = { address: '', queries, zone, close: () => new Promise((ok) => socket.close(() => ok())) }
  socket.on('message', (msg, from) => {
    try {
      const name = readName(msg, 12).name.toLowerCase()
      queries.push(name)
      if (server.zone[name]?.silent) return
      socket.send(answer(server.zone, msg), from.port, from.address)
    } catch {
      /* a malformed query gets no answer */
    }
  })
  await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', ok))
  server.address = `127.0.0.1:${(socket.address() as AddressInfo).port}`
  return server
}

// ------------------------------------------------------------------ certificates

export interface Pki {
  dir: string
  /** The test authority's certificate (PEM) and its file. */
  caPem: string
  caFile: string
  /** A leaf certificate for the names, signed by the test authority, valid between the dates (YYYYMMDDHHMMSSZ). */
  leaf(label: string, names: string[], dates?: { notBefore: string; notAfter: string }): { key: string; cert: string }
  /** A certificate signed by nobody (self-signed). */
  selfSigned(label: string, names: string[]): { key: string; cert: string }
  remove(): void
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })

/** yyyymmddhhmmssZ of a date `days` from now. */
export function certDate(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'
}

/** A test certificate authority in a temporary folder, made with the openssl command line. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'nchat-reach-pki-'))
  mkdirSync(join(dir, 'issued'))
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial'), '1000\n')
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `database = ${join(dir, 'index.txt')}`,
      `new_certs_dir = ${join(dir, 'issued')}`,
      `certificate = ${join(dir, 'ca.crt')}`,
      `private_key = ${join(dir, 'ca.key')}`,
      `serial = ${join(dir, 'serial')}`,
      'default_md = sha256',
      'policy = any_name',
      'unique_subject = no',
      'copy_extensions = none',
      '[any_name]',
      'commonName = supplied',
      ''
    ].join('\n')
  )
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=nChat Console Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
  const read = (f: string) => readFileSync(join(dir, f), 'utf8')
  const san = (names: string[]) => `subjectAltName = ${names.map((n) => `DNS:${n}`).join(', ')}`
  return {
    dir,
    caPem: read('ca.crt'),
    caFile: join(dir, 'ca.crt'),
    leaf(label, names, dates = { notBefore: certDate(-1), notAfter: certDate(90) }) {
      writeFileSync(join(dir, `${label}.ext`), ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = serverAuth', san(names), ''].join('\n'))
      openssl(['req', '-new', ...ec, '-keyout', `${label}.key`, '-out', `${label}.csr`, '-subj', `/CN=${names[0]}`], dir)
      openssl(
        ['ca', '-batch', '-config', 'ca.cnf', '-notext', '-in', `${label}.csr`, '-out', `${label}.crt`, '-startdate', dates.notBefore, '-enddate', dates.notAfter, '-extfile', `${label}.ext`],
        dir
      )
      return { key: read(`${label}.key`), cert: read(`${label}.crt`) }
    },
    selfSigned(label, names) {
      openssl(['req', '-x509', ...ec, '-keyout', `${label}.key`, '-out', `${label}.crt`, '-days', '30', '-subj', `/CN=${names[0]}`, '-addext', san(names).replace(' = ', '=')], dir)
      return { key: read(`${label}.key`), cert: read(`${label}.crt`) }
    },
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}

// ------------------------------------------------------------------ HTTPS

/** What /api/health answers for a host: a status code and a body. */
export interface HealthReply {
  status: number
  body: string
}
export const HEALTHY: HealthReply = { status: 200, body: JSON.stringify({ status: 'ok', version: 'test' }) }

export interface HttpsServer {
  port: number
  /** Host names asked (the Host header), in order. */
  requests: string[]
  /** What /api/health answers per host (may be changed while the server runs). */
  replies: Record<string, HealthReply>
  close(): Promise<void>
}

/**
 * An HTTPS server on 127.0.0.1: `certs` by SNI name (`*.example.test` matches one label),
 * `fallback` for any other name; `/api/health` answers `replies[host]`, else 404 with
 * "Tenant not found" (what the app says for a host it does not know).
 */
export async function startHttpsServer(opts: {
  certs: Record<string, { key: string; cert: string }>
  fallback: { key: string; cert: string }
  replies: Record<string, HealthReply>
  /** Names whose TLS handshake never completes (the server waits forever). */
  stall?: string[]
}): Promise<HttpsServer> {
  const contexts = new Map<string, SecureContext>(Object.entries(opts.certs).map(([n, c]) => [n, createSecureContext(c)]))
  const pick = (name: string) => contexts.get(name) ?? contexts.get(`*.${name.slice(name.indexOf('.') + 1)}`)
  const requests: string[] = []
  const server: Server = createServer({ ...opts.fallback, SNICallback: (name, cb) => (opts.stall?.includes(name.toLowerCase()) ? undefined : cb(null, pick(name.toLowerCase()))) }, (req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase()
    requests.push(host)
    const reply = req.url === '/api/health' ? (opts.replies[host] ?? { status: 404, body: JSON.stringify({ error: 'Tenant not found' }) }) : { status: 404, body: 'not here' }
    res.writeHead(reply.status, { 'content-type': 'application/json' })
    res.end(reply.body)
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    replies: opts.replies,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      })
  }
}
