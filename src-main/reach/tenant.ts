import { checkHostname, type ReachHost, type ReachStep, type TenantReachability } from '../../src-preload/contract'
import { Dns, type DnsAnswer } from './dns'
import { probeTls, type Endpoint } from './probe'
import type { ReachSettings } from './settings'
import { dnsStep, healthStep, skipped, timed, tlsStep, worst, type Expectation } from './steps'
import type { TenantFacts } from './repository'

/** At most this many custom domains are checked (the newer layout may list many). */
export const MAX_CUSTOM_DOMAINS = 10

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

function recordStep(t: TenantFacts): Omit<ReachStep, 'durationMs'> {
  const evidence = [`public.tenants: slug ${t.slug}, status ${t.status}`, "the app finds only active and trial tenants (get_tenant_by_subdomain, get_tenant_by_domain)"]
  const title = 'Tenant record'
  switch (t.status) {
    case 'active':
    case 'trial':
      if (t.slug !== t.slug.toLowerCase()) {
        return {
          kind: 'record',
          title,
          status: 'warn',
          summary: `The slug "${t.slug}" has upper-case letters: browsers send host names in lower case, so the app's exact slug lookup does not find ${t.slug.toLowerCase()}`,
          evidence,
          fix: `Give the tenant a lower-case slug, or make sure the app compares slugs without case.`
        }
      }
      return { kind: 'record', title, status: 'pass', summary: `The tenant exists and is ${t.status}`, evidence, fix: null }
    case 'suspended':
    case 'cancelled':
      return {
        kind: 'record',
        title,
        status: 'warn',
        summary: `The tenant is ${t.status}: the app answers "Tenant not found" for it even when every host below is right`,
        evidence,
        fix: t.status === 'suspended' ? 'If it should be served, reactivate it (Tenant actions → Reactivate).' : 'If it should be served, restore it (Tenant actions → Restore).'
      }
    default:
      return { kind: 'record', title, status: 'warn', summary: `The tenant's status is ${t.status}: the app answers "Tenant not found" for it until it is active`, evidence, fix: 'Activate the tenant when its setup is finished.' }
  }
}

async function checkHost(x: Expectation, t: TenantFacts, dns: Dns, settings: ReachSettings, unverified: boolean): Promise<ReachHost> {
  const steps: ReachStep[] = []
  const invalid = x.role === 'custom' ? checkHostname(x.host) : null
  if (invalid) {
    steps.push(
      { kind: 'dns', title: 'DNS', status: 'fail', summary: `"${x.host}" is not a host name: ${invalid}`, evidence: [], fix: 'Correct the tenant\'s custom domain (Edit tenant).', durationMs: 0 },
      skipped('tls', 'TLS certificate', 'Skipped: no valid host name.'),
      skipped('health', 'Health endpoint', 'Skipped: no valid host name.')
    )
    return { host: x.host, role: x.role, steps, status: 'fail' }
  }
  let ans: DnsAnswer = { cnames: [], addresses: [], error: null }
  const d = await timed(async () => {
    ans = await dns.lookup(x.host)
    const s = dnsStep(ans, x, dns.label)
    if (unverified && s.status === 'pass') {
      return { ...s, status: 'warn', summary: `${s.summary}; but tenant_domains marks it unverified`, fix: 'Run the app\'s domain verification for it: the app may not serve an unverified domain.' }
    }
    return s
  })
  steps.push(d)
  const address = ans.addresses[0]
  if (!address) {
    steps.push(skipped('tls', 'TLS certificate', 'Skipped: the host has no address.'), skipped('health', 'Health endpoint', 'Skipped: the host has no address.'))
    return { host: x.host, role: x.role, steps, status: worst(steps.map((s) => s.status)) }
  }
  const ep: Endpoint = { address, port: settings.port, host: x.host, ca: settings.ca, timeoutMs: settings.timeoutMs }
  let connected = false
  steps.push(
    await timed(async () => {
      const r = await probeTls(ep)
      connected = r.ok
      return tlsStep(r, ep, x, settings)
    })
  )
  steps.push(connected ? await timed(() => healthStep(ep, x, t.slug)) : skipped('health', 'Health endpoint', 'Skipped: no HTTPS connection.'))
  return { host: x.host, role: x.role, steps, status: worst(steps.map((s) => s.status)) }
}

export async function checkTenant(t: TenantFacts, settings: ReachSettings & { baseDomain: string }): Promise<TenantReachability> {
  const started = performance.now()
  const dns = new Dns(settings.dnsServer, settings.timeoutMs)
  const base = settings.baseDomain
  const record = await timed(async () => recordStep(t))
  const baseAnswer = await dns.lookup(base)
  const label = t.slug.toLowerCase()
  const sub = `${label}.${base}`
  const hosts: Promise<ReachHost>[] = []
  if (LABEL.test(label)) {
    hosts.push(checkHost({ host: sub, role: 'subdomain', baseDomain: base, targets: [base], baseAddresses: baseAnswer.addresses }, t, dns, settings, false))
  } else {
    const why = `The slug "${t.slug}" is not a valid host name label (letters, digits and inner hyphens, at most 63): ${sub} cannot exist in DNS or in a certificate.`
    hosts.push(
      Promise.resolve({
        host: sub,
        role: 'subdomain',
        status: 'fail',
        steps: [
          { kind: 'dns', title: 'DNS', status: 'fail', summary: why, evidence: [], fix: 'Give the tenant a custom domain, or a slug that is a valid host name.', durationMs: 0 },
          skipped('tls', 'TLS certificate', 'Skipped: no valid host name.'),
          skipped('health', 'Health endpoint', 'Skipped: no valid host name.')
        ]
      })
    )
  }
  for (const d of t.domains.slice(0, MAX_CUSTOM_DOMAINS)) {
    hosts.push(checkHost({ host: d.domain, role: 'custom', baseDomain: base, targets: [base, sub], baseAddresses: baseAnswer.addresses }, t, dns, settings, d.verified === false))
  }
  const checked = await Promise.all(hosts)
  return {
    tenantId: t.id,
    slug: t.slug,
    name: t.name,
    baseDomain: base,
    resolver: dns.label,
    checkedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
    record,
    hosts: checked,
    status: worst([record.status, ...checked.map((h) => h.status)])
  }
}
