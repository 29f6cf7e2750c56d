import type { ReachStep, StepStatus } from '../../src-preload/contract'
import type { DnsAnswer } from './dns'
import { chainWords, getHealth, healthyWord, type Endpoint, type TlsResult } from './probe'
import { urlOf, type ReachSettings } from './settings'

/** Certificates expiring within this many days are a warning. */
export const EXPIRY_WARN_DAYS = 14

const RANK: Record<StepStatus, number> = { skipped: 0, pass: 1, warn: 2, fail: 3 }

export function worst(statuses: StepStatus[]): StepStatus {
  let w: StepStatus = 'skipped'
  for (const s of statuses) if (RANK[s] > RANK[w]) w = s
  return w
}

export function skipped(kind: ReachStep['kind'], title: string, why: string): ReachStep {
  return { kind, title, status: 'skipped', summary: why, evidence: [], fix: null, durationMs: 0 }
}

export async function timed(fn: () => Promise<Omit<ReachStep, 'durationMs'>>): Promise<ReachStep> {
  const t = performance.now()
  const step = await fn()
  return { ...step, durationMs: Math.round(performance.now() - t) }
}

/** What a host is expected to point at. */
export interface Expectation {
  host: string
  role: 'subdomain' | 'custom'
  baseDomain: string
  /** Names a CNAME may point to (the base domain; for a custom domain also the tenant's subdomain). */
  targets: string[]
  /** The base domain's addresses (an A record with one of them is as good as a CNAME). */
  baseAddresses: string[]
}

export function dnsStep(ans: DnsAnswer, x: Expectation, server: string): Omit<ReachStep, 'durationMs'> {
  const title = 'DNS'
  const evidence: string[] = [`asked ${server === 'system' ? 'the system resolver' : `DNS server ${server}`}`]
  if (ans.cnames.length) evidence.push(`CNAME ${[x.host, ...ans.cnames].join(' → ')}`)
  if (ans.addresses.length) evidence.push(`addresses ${ans.addresses.join(', ')}`)
  if (x.baseAddresses.length) evidence.push(`${x.baseDomain} has ${x.baseAddresses.join(', ')}`)
  const expected = x.targets.join(' or ')
  const recordFix =
    x.role === 'subdomain'
      ? `Add the wildcard record *.${x.baseDomain} (CNAME to ${x.baseDomain}, or an A record with its address), as the deployment guide's DNS setup says.`
      : `Ask the tenant to add the record CNAME ${x.host} → ${x.baseDomain} at their DNS provider (an apex domain, which cannot have a CNAME, needs an A record with ${x.baseDomain}'s address).`
  if (ans.error && !ans.cnames.length) {
    return { kind: 'dns', title, status: 'fail', summary: ans.error.words, evidence, fix: ans.error.code === 'ETIMEOUT' || ans.error.code === 'ECONNREFUSED' ? `Check the DNS server (the profile's, or this machine's network). ${recordFix}` : recordFix }
  }
  const first = ans.cnames[0]
  const chainOk = ans.cnames.some((c) => x.targets.includes(c))
  if (first && !chainOk) {
    return {
      kind: 'dns',
      title,
      status: 'fail',
      summary: `${x.host} is a CNAME to ${first}, not to ${expected}`,
      evidence,
      fix: `Point ${x.host} at ${x.baseDomain}: change its CNAME from ${first} to ${x.baseDomain}.`
    }
  }
  if (ans.error) return { kind: 'dns', title, status: 'fail', summary: ans.error.words, evidence, fix: `The CNAME is right but ${ans.cnames[ans.cnames.length - 1]} has no address: fix the records of ${x.baseDomain}.` }
  if (chainOk) return { kind: 'dns', title, status: 'pass', summary: `${x.host} is a CNAME to ${ans.cnames.find((c) => x.targets.includes(c))} and resolves to ${ans.addresses.join(', ')}`, evidence, fix: null }
  const shared = ans.addresses.filter((a) => x.baseAddresses.includes(a))
  if (shared.length) return { kind: 'dns', title, status: 'pass', summary: `${x.host} resolves to ${shared.join(', ')}, the address of ${x.baseDomain}`, evidence, fix: null }
  return {
    kind: 'dns',
    title,
    status: 'warn',
    summary: `${x.host} resolves to ${ans.addresses.join(', ')}, not to ${x.baseDomain}'s address${x.baseAddresses.length ? ` (${x.baseAddresses.join(', ')})` : ''}`,
    evidence,
    fix: `If ${x.host} is not behind a proxy or CDN that answers with its own addresses, point it at ${x.baseDomain} (CNAME ${x.host} → ${x.baseDomain}).`
  }
}

export function tlsStep(r: TlsResult, ep: Endpoint, x: Expectation, settings: ReachSettings): Omit<ReachStep, 'durationMs'> {
  const title = 'TLS certificate'
  if (!r.ok) {
    return {
      kind: 'tls',
      title,
      status: 'fail',
      summary: r.words,
      evidence: [`connected to ${ep.address}:${ep.port} as ${ep.host}`],
      fix:
        r.code === 'ECONNREFUSED' || r.code === 'ETIMEDOUT'
          ? `Check that the app's proxy or load balancer listens for HTTPS on ${ep.address}:${ep.port}.`
          : `Install a certificate for ${ep.host} on the proxy serving ${ep.address}${x.role === 'subdomain' ? ` (the guide's wildcard *.${x.baseDomain})` : ''}.`
    }
  }
  const c = r.cert
  const evidence = [
    `subject ${c.subject || '(none)'}; issued by ${c.issuer || '(unknown)'}`,
    `names ${c.names.join(', ') || '(none)'}`,
    `valid ${c.validFrom.slice(0, 10)} to ${c.validTo.slice(0, 10)}`,
    ...(settings.extraCa ? [`trusted also: the profile's extra CA (${settings.extraCa})`] : [])
  ]
  const problems: string[] = []
  const fixes: string[] = []
  if (c.daysLeft < 0) {
    problems.push(`expired ${-c.daysLeft} day${c.daysLeft === -1 ? '' : 's'} ago (${c.validTo.slice(0, 10)})`)
    fixes.push(`Renew the certificate for ${ep.host} and reload the proxy.`)
  } else if (Date.parse(c.validFrom) > Date.now()) {
    problems.push(`not valid before ${c.validFrom.slice(0, 10)}`)
    fixes.push("Check the server's clock and the certificate's dates.")
  }
  if (c.nameError) {
    problems.push(`does not cover ${ep.host} (it names ${c.names.join(', ') || 'nothing'})`)
    fixes.push(
      x.role === 'subdomain'
        ? `Use the wildcard certificate for *.${x.baseDomain} on this host (the guide's certbot command with -d ${x.baseDomain} -d *.${x.baseDomain}).`
        : `Add ${ep.host} to the certificate (certbot -d ${ep.host}), or let the CDN issue one for it.`
    )
  }
  if (c.chainError) {
    problems.push(chainWords(c.chainError))
    fixes.push('Serve the full chain (fullchain.pem, not cert.pem). For a private authority, set its certificate as the profile\'s extra CA.')
  }
  if (problems.length) return { kind: 'tls', title, status: 'fail', summary: `The certificate ${problems.join('; ')}`, evidence, fix: fixes.join(' ') }
  if (c.daysLeft < EXPIRY_WARN_DAYS) {
    return { kind: 'tls', title, status: 'warn', summary: `Valid for ${ep.host}, but expires in ${c.daysLeft} day${c.daysLeft === 1 ? '' : 's'}`, evidence, fix: `Renew the certificate before ${c.validTo.slice(0, 10)} (check that automatic renewal runs).` }
  }
  return { kind: 'tls', title, status: 'pass', summary: `Valid for ${ep.host}, trusted, ${c.daysLeft} days left`, evidence, fix: null }
}

export async function healthStep(ep: Endpoint, x: Expectation, slug: string): Promise<Omit<ReachStep, 'durationMs'>> {
  const title = 'Health endpoint'
  const url = urlOf(ep.host, ep.port)
  const r = await getHealth(ep)
  if (!r.ok) return { kind: 'health', title, status: 'fail', summary: r.words, evidence: [`GET ${url} at ${ep.address}`], fix: `Check that the app is running behind the proxy for ${ep.host}.` }
  const evidence = [`GET ${url} at ${ep.address}: HTTP ${r.status} in ${r.latencyMs} ms`, ...(r.snippet ? [`body ${r.snippet}`] : []), ...(r.location ? [`Location ${r.location}`] : [])]
  if (r.status >= 200 && r.status < 300) {
    if (r.bodyStatus && !healthyWord(r.bodyStatus)) return { kind: 'health', title, status: 'warn', summary: `HTTP ${r.status}, but the app reports status "${r.bodyStatus}"`, evidence, fix: "Read the app's logs: it answers but reports a problem (database, Redis...)." }
    return { kind: 'health', title, status: 'pass', summary: `HTTP ${r.status} in ${r.latencyMs} ms${r.bodyStatus ? `, status "${r.bodyStatus}"` : r.json ? '' : ' (the body is not JSON)'}`, evidence, fix: null }
  }
  if (r.status >= 300 && r.status < 400) return { kind: 'health', title, status: 'warn', summary: `HTTP ${r.status}: redirected${r.location ? ` to ${r.location}` : ''}`, evidence, fix: `Check the proxy's redirects for ${ep.host}: the health endpoint should answer directly.` }
  if (r.status === 404) {
    return {
      kind: 'health',
      title,
      status: 'fail',
      summary: `HTTP 404: the app does not resolve ${ep.host} to a tenant ("Tenant not found")`,
      evidence,
      fix:
        x.role === 'subdomain'
          ? `Check that the tenant's slug is "${slug}" and its status is active. The app caches tenant:${slug} in Redis for an hour: after a change, evict it (any console action on the tenant does) or wait.`
          : `The app must know ${ep.host}: set it as the tenant's custom domain (and add it to ALLOWED_CUSTOM_DOMAINS when the app uses that list), then evict tenant:${slug} from Redis.`
    }
  }
  if (r.status >= 500) return { kind: 'health', title, status: 'fail', summary: `HTTP ${r.status}: the app or its proxy fails`, evidence, fix: "Read the app's and the proxy's logs; a 502/504 means the proxy cannot reach the app." }
  return { kind: 'health', title, status: 'fail', summary: `HTTP ${r.status}`, evidence, fix: `Check the proxy's rules for ${ep.host}: the health endpoint should answer 200.` }
}
