import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppEndpointStatus, LifecycleCapabilities, ReachHost, ReachStep, TenantReachability } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl, type ConnectionTarget } from '../../src-main/db/connection'
import { loadMigrations, runMigrations } from '../../src-main/db/migrate'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { ROOT } from '../support/cli'
import { freshDatabase } from '../support/db'
import { registryCalls } from '../support/registry-calls'
import { nchatConsole } from '../support/console-cli'
import { ProfileFields } from '../../src-preload/contract'
import { targetFor } from '../../src-main/profiles'
import { ReachService } from '../../src-main/reach'
import { dropRole, loginRole, urlFor } from './lifecycle-support'
import { HEALTHY, certDate, makePki, startDnsServer, startHttpsServer, type DnsServer, type HttpsServer, type Pki } from '../support/reach-servers'

/**
 * Tenant reachability ("Tenant not found") and the app's health endpoint, against a local
 * DNS server and a local HTTPS server with a test authority: every name resolves to
 * 127.0.0.1 (or 127.0.0.2, where nothing listens), so nothing leaves the machine.
 */
type Db = Awaited<ReturnType<typeof freshDatabase>>

const BASE = 'nchat.test'
const tenants = {
  acme: { id: randomUUID(), domain: 'chat.good.test' },
  wrongco: { id: randomUUID(), domain: 'chat.wrong.test' },
  expco: { id: randomUUID(), domain: 'chat.expired.test' },
  otherco: { id: randomUUID(), domain: 'chat.other.test' },
  downco: { id: randomUUID(), domain: 'chat.down.test' },
  ghostco: { id: randomUUID(), domain: 'chat.missing.test' },
  closedco: { id: randomUUID(), domain: 'chat.closed.test' },
  quietco: { id: randomUUID(), domain: 'chat.quiet.test' },
  stallco: { id: randomUUID(), domain: 'chat.stall.test' },
  lost: { id: randomUUID(), domain: null },
  sleepy: { id: randomUUID(), domain: null }
}

describe('reachability against local DNS and HTTPS servers', () => {
  let db: Db
  let ctx: AppContext
  let registry: Registry
  let pki: Pki
  let dns: DnsServer
  let web: HttpsServer
  const { call, fail } = registryCalls(() => registry)
  const reach = (slug: keyof typeof tenants) => call<TenantReachability>('reach:tenant', { id: tenants[slug].id })
  const host = (r: TenantReachability, role: ReachHost['role']) => r.hosts.find((h) => h.role === role)!
  const step = (h: ReachHost, kind: ReachStep['kind']) => h.steps.find((s) => s.kind === kind)!
  const target = (checks: Partial<ConnectionTarget> = {}): ConnectionTarget => ({
    ...targetFromUrl(db.url),
    baseDomain: BASE,
    checks: { dnsServer: dns.address, caFile: pki.caFile, httpsPort: web.port },
    ...checks
  })

  beforeAll(async () => {
    db = await freshDatabase('reach')
    await runMigrations(db.client, await loadMigrations(join(ROOT, 'migrations')))
    for (const [slug, t] of Object.entries(tenants)) {
      const status = slug === 'sleepy' ? 'suspended' : 'active'
      await db.client.query(`INSERT INTO public.tenants (id, name, slug, owner_email, owner_name, schema_name, custom_domain, status) VALUES ($1, $2, $2, $3, 'O', $4, $5, $6)`, [
        t.id,
        slug,
        `${slug}@x.io`,
        `tenant_${slug}`,
        t.domain,
        status
      ])
    }
    pki = makePki()
    const wildcard = pki.leaf('wildcard', [BASE, `*.${BASE}`])
    web = await startHttpsServer({
      certs: {
        [BASE]: wildcard,
        [`*.${BASE}`]: wildcard,
        'chat.good.test': pki.leaf('good', ['chat.good.test']),
        'chat.wrong.test': pki.leaf('wrong', ['chat.wrong.test']),
        'chat.down.test': pki.leaf('down', ['chat.down.test']),
        'chat.expired.test': pki.leaf('expired', ['chat.expired.test'], { notBefore: certDate(-90), notAfter: certDate(-30) })
      },
      // Any other name (chat.other.test) gets a certificate for another name.
      fallback: pki.leaf('unrelated', ['unrelated.test']),
      stall: ['chat.stall.test'],
      replies: {
        [BASE]: HEALTHY,
        'acme.nchat.test': HEALTHY,
        'chat.good.test': HEALTHY,
        'chat.wrong.test': HEALTHY,
        'chat.expired.test': HEALTHY,
        'chat.other.test': HEALTHY,
        'downco.nchat.test': HEALTHY,
        'wrongco.nchat.test': HEALTHY,
        'chat.down.test': { status: 503, body: JSON.stringify({ status: 'down', reason: 'database unavailable' }) }
        // lost.nchat.test: not known to the "app", which answers 404 Tenant not found.
      }
    })
    dns = await startDnsServer({
      [BASE]: { A: ['127.0.0.1'] },
      [`*.${BASE}`]: { CNAME: BASE },
      'chat.good.test': { CNAME: BASE },
      'chat.wrong.test': { CNAME: 'old-host.example.test' },
      'old-host.example.test': { A: ['127.0.0.1'] },
      'chat.expired.test': { CNAME: BASE },
      'chat.other.test': { CNAME: `otherco.${BASE}` },
      'chat.down.test': { CNAME: BASE },
      // An old address where nothing listens any more.
      'chat.closed.test': { A: ['127.0.0.2'] },
      // A name the DNS server never answers for, and a host whose TLS handshake never ends.
      'chat.quiet.test': { silent: true },
      'chat.stall.test': { CNAME: BASE }
      // chat.missing.test: NXDOMAIN
    })
    ctx = createContext({ platform: { emit() {} } as never, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget(target())
    registry = createRegistry(ctx, handlers, () => true)
  })
  let support: { name: string; password: string } | null = null
  afterAll(async () => {
    if (support && db) {
      const admin = new URL(db.url)
      admin.pathname = '/postgres'
      await dropRole(admin.toString(), support.name).catch(() => {})
    }
    await ctx?.db.close()
    await web?.close()
    await dns?.close()
    pki?.remove()
    await db?.close()
  })

  it('good: the subdomain (wildcard CNAME) and the custom domain pass every step', async () => {
    const r = await reach('acme')
    expect(r.status).toBe('pass')
    expect(r.record.status).toBe('pass')
    expect(r.baseDomain).toBe(BASE)
    expect(r.resolver).toBe(dns.address)
    const sub = host(r, 'subdomain')
    expect(sub.host).toBe('acme.nchat.test')
    expect(sub.steps.map((s) => [s.kind, s.status])).toEqual([
      ['dns', 'pass'],
      ['tls', 'pass'],
      ['health', 'pass']
    ])
    expect(step(sub, 'dns').evidence.join('\n')).toContain(`CNAME acme.nchat.test → ${BASE}`)
    expect(step(sub, 'tls').summary).toMatch(/Valid for acme\.nchat\.test, trusted, (89|90) days left/)
    expect(step(sub, 'tls').evidence.join('\n')).toContain('*.nchat.test')
    expect(step(sub, 'health').summary).toContain('HTTP 200')
    expect(step(sub, 'health').summary).toContain('status "ok"')
    const custom = host(r, 'custom')
    expect(custom.host).toBe('chat.good.test')
    expect(custom.status).toBe('pass')
    expect(web.requests).toContain('chat.good.test')
    expect(dns.queries).toContain('chat.good.test')
  })

  it('wrong CNAME: the custom domain points elsewhere, and the fix says where it should point', async () => {
    const custom = host(await reach('wrongco'), 'custom')
    const d = step(custom, 'dns')
    expect(d.status).toBe('fail')
    expect(d.summary).toBe(`chat.wrong.test is a CNAME to old-host.example.test, not to ${BASE} or wrongco.${BASE}`)
    expect(d.fix).toContain(`change its CNAME from old-host.example.test to ${BASE}`)
    expect(custom.status).toBe('fail')
  })

  it('a CNAME to the tenant’s own subdomain is as good as one to the base domain', async () => {
    const custom = host(await reach('otherco'), 'custom')
    expect(step(custom, 'dns').status).toBe('pass')
    expect(step(custom, 'dns').summary).toContain(`CNAME to otherco.${BASE}`)
  })

  it('expired certificate: fails with the date, and the app behind it still answers', async () => {
    const custom = host(await reach('expco'), 'custom')
    const t = step(custom, 'tls')
    expect(t.status).toBe('fail')
    expect(t.summary).toMatch(/^The certificate expired (29|30|31) days ago/)
    expect(t.fix).toContain('Renew the certificate for chat.expired.test')
    expect(step(custom, 'health').status).toBe('pass')
  })

  it('certificate for another name: names what it covers', async () => {
    const t = step(host(await reach('otherco'), 'custom'), 'tls')
    expect(t.status).toBe('fail')
    expect(t.summary).toBe('The certificate does not cover chat.other.test (it names unrelated.test)')
    expect(t.fix).toContain('Add chat.other.test to the certificate')
  })

  it('health endpoint down: HTTP 503 fails; a host where nothing listens skips the endpoint', async () => {
    const down = host(await reach('downco'), 'custom')
    expect(step(down, 'tls').status).toBe('pass')
    const h = step(down, 'health')
    expect(h.status).toBe('fail')
    expect(h.summary).toBe('HTTP 503: the app or its proxy fails')
    expect(h.evidence.join('\n')).toContain('database unavailable')

    const closed = host(await reach('closedco'), 'custom')
    expect(step(closed, 'dns').status).toBe('warn')
    expect(step(closed, 'dns').summary).toContain(`not to ${BASE}'s address (127.0.0.1)`)
    expect(step(closed, 'tls').status).toBe('fail')
    expect(step(closed, 'tls').summary).toBe(`nothing accepts connections on 127.0.0.2:${web.port}`)
    expect(step(closed, 'health').status).toBe('skipped')
  })

  it('NXDOMAIN: fails with the record to add; TLS and health are skipped', async () => {
    const custom = host(await reach('ghostco'), 'custom')
    const d = step(custom, 'dns')
    expect(d.status).toBe('fail')
    expect(d.summary).toBe(`chat.missing.test does not exist in DNS (NXDOMAIN from the DNS server ${dns.address})`)
    expect(d.fix).toContain(`CNAME chat.missing.test → ${BASE}`)
    expect(step(custom, 'tls').status).toBe('skipped')
    expect(step(custom, 'health').status).toBe('skipped')
  })

  it('"Tenant not found": the app answers 404 for a subdomain it does not know; a suspended tenant is named as the cause', async () => {
    const h = step(host(await reach('lost'), 'subdomain'), 'health')
    expect(h.status).toBe('fail')
    expect(h.summary).toBe('HTTP 404: the app does not resolve lost.nchat.test to a tenant ("Tenant not found")')
    expect(h.fix).toContain('tenant:lost')

    const sleepy = await reach('sleepy')
    expect(sleepy.record.status).toBe('warn')
    expect(sleepy.record.summary).toContain('The tenant is suspended')
    expect(sleepy.record.fix).toContain('reactivate')
  })

  it('without the profile’s extra CA the test authority is not trusted; the app endpoint says so too', async () => {
    await ctx.db.setTarget(target({ checks: { dnsServer: dns.address, caFile: null, httpsPort: web.port } }))
    try {
      const t = step(host(await reach('acme'), 'subdomain'), 'tls')
      expect(t.status).toBe('fail')
      expect(t.summary).toContain('not signed by an authority this machine trusts')
      expect(t.fix).toContain("the profile's extra CA")
      const e = await call<AppEndpointStatus>('reach:appEndpoint', {})
      expect(e).toMatchObject({ configured: true, state: 'degraded', httpStatus: 200, bodyStatus: 'ok' })
      expect(e.configured && e.tlsProblem).toContain('not signed by an authority')
    } finally {
      await ctx.db.setTarget(target())
    }
  })

  it('the app health endpoint: up with status, code and latency; not configured without a base domain', async () => {
    const e = await call<AppEndpointStatus>('reach:appEndpoint', {})
    expect(e).toMatchObject({ configured: true, url: `https://${BASE}:${web.port}/api/health`, state: 'up', httpStatus: 200, bodyStatus: 'ok', tlsProblem: null, error: null })
    expect(e.configured && e.latencyMs).toBeGreaterThanOrEqual(0)

    await ctx.db.setTarget(target({ baseDomain: null }))
    try {
      expect(await call<AppEndpointStatus>('reach:appEndpoint', {})).toEqual({ configured: false, reason: expect.stringContaining('names no base domain') })
      expect(await fail('reach:tenant', { id: tenants.acme.id })).toMatchObject({ code: 'NOT_CONFIGURED' })
      // Lifecycle falls back to NCHAT_BASE_DOMAIN or nchat.app.
      expect((await call<LifecycleCapabilities>('lifecycle:capabilities', {})).baseDomain).toBe((process.env.NCHAT_BASE_DOMAIN ?? 'nchat.app').toLowerCase())
    } finally {
      await ctx.db.setTarget(target())
    }
    // The profile's base domain wins in lifecycle too.
    expect((await call<LifecycleCapabilities>('lifecycle:capabilities', {})).baseDomain).toBe(BASE)
  })

  it('an unknown tenant is NOT_FOUND; an unreadable extra CA file is said in words', async () => {
    expect(await fail('reach:tenant', { id: randomUUID() })).toMatchObject({ code: 'NOT_FOUND' })
    await ctx.db.setTarget(target({ checks: { dnsServer: dns.address, caFile: join(pki.dir, 'nope.pem'), httpsPort: web.port } }))
    try {
      const e = await fail('reach:tenant', { id: tenants.acme.id })
      expect(e.code).toBe('INVALID_INPUT')
      expect(e.message).toContain("The profile's extra CA file")
    } finally {
      await ctx.db.setTarget(target())
    }
  })

  it('a profile carries its base domain, DNS server and extra CA into the connection', () => {
    const fields = ProfileFields.parse({ name: 'P', environment: 'staging', host: 'db', database: 'd', user: 'u', operatorName: 'O', operatorEmail: 'o@x.io', baseDomain: ' Chat.Example.COM ', dnsServer: '10.0.0.2:5353', checkCaFile: '/etc/ca.pem' })
    expect(fields.baseDomain).toBe('chat.example.com')
    const t = targetFor({ ...fields, id: randomUUID() }, {})
    expect(t.baseDomain).toBe('chat.example.com')
    expect(t.checks).toEqual({ dnsServer: '10.0.0.2:5353', caFile: '/etc/ca.pem' })
    expect(ProfileFields.safeParse({ ...fields, baseDomain: 'https://chat.example.com/' }).success).toBe(false)
    expect(ProfileFields.safeParse({ ...fields, dnsServer: 'dns.example.com' }).success).toBe(false)
    // Left out: empty, and the connection names no base domain.
    const bare = ProfileFields.parse({ name: 'P', environment: 'staging', host: 'db', database: 'd', user: 'u', operatorName: 'O', operatorEmail: 'o@x.io' })
    expect(targetFor({ ...bare, id: randomUUID() }, {}).baseDomain).toBeNull()
  })

  it('the command line: a support login runs reach tenant with the check flags (read-only, no operator needed)', async () => {
    support = await loginRole(db.client, 'nchat_console_support', 'reachsup')
    const url = urlFor(db.url, support.name, support.password)
    const flags = ['--database-url', url, '--base-domain', BASE, '--dns-server', dns.address, '--check-ca-file', pki.caFile, '--check-https-port', String(web.port)]
    const r = await nchatConsole(['reach', 'tenant', '--id', tenants.wrongco.id, '--json', ...flags])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout) as TenantReachability
    expect(out.status).toBe('fail')
    expect(step(host(out, 'subdomain'), 'health').status).toBe('pass')
    expect(step(host(out, 'custom'), 'dns').summary).toContain('is a CNAME to old-host.example.test')
    const e = await nchatConsole(['reach', 'app-endpoint', '--json', ...flags])
    expect(e.code).toBe(0)
    expect(JSON.parse(e.stdout)).toMatchObject({ configured: true, state: 'up', httpStatus: 200 })
  })

  it('every step has a time limit: a silent DNS server and a stalled TLS handshake fail in words', async () => {
    const quick = new ReachService(ctx.db, ctx.session, { timeoutMs: 800 })
    const quiet = host(await quick.tenant(tenants.quietco.id), 'custom')
    expect(step(quiet, 'dns').status).toBe('fail')
    expect(step(quiet, 'dns').summary).toBe(`the DNS server ${dns.address} did not answer for chat.quiet.test in time`)
    expect(step(quiet, 'tls').status).toBe('skipped')
    const stalled = host(await quick.tenant(tenants.stallco.id), 'custom')
    expect(step(stalled, 'dns').status).toBe('pass')
    expect(step(stalled, 'tls').status).toBe('fail')
    expect(step(stalled, 'tls').summary).toBe(`no TLS handshake with 127.0.0.1:${web.port} within 0.8 s`)
    expect(step(stalled, 'health').status).toBe('skipped')
  })
})
