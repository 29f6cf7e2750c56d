import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TenantReachability } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { ROOT } from '../support/cli'
import { HEALTHY, makePki, startDnsServer, startHttpsServer, type DnsServer, type HttpsServer, type Pki } from '../support/reach-servers'
import { registryCalls } from '../support/registry-calls'
import { lifecycleDatabase } from './lifecycle-support'

/** Reachability on the newer layout: custom domains from custom_domain and tenant_domains, once each, with their verification. */
const NEWER = readFileSync(join(resolve(__dirname, '..'), 'fixtures/app-newer.sql'), 'utf8')
const UMBRELLA = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
const BASE = 'nchat.test'

describe('reachability on the newer layout', () => {
  let db: Awaited<ReturnType<typeof lifecycleDatabase>>
  let ctx: AppContext
  let registry: Registry
  let pki: Pki
  let dns: DnsServer
  let web: HttpsServer
  const { call } = registryCalls(() => registry)

  beforeAll(async () => {
    db = await lifecycleDatabase('reachn', { template: () => NEWER })
    pki = makePki()
    const cert = pki.leaf('all', [BASE, `*.${BASE}`, 'chat.umbrella.example', 'umbrella-corp.example'])
    web = await startHttpsServer({ certs: {}, fallback: cert, replies: { [`umbrella.${BASE}`]: HEALTHY, 'chat.umbrella.example': HEALTHY, 'umbrella-corp.example': HEALTHY } })
    // The apex domain cannot be a CNAME: it has the base domain's address instead.
    dns = await startDnsServer({ [BASE]: { A: ['127.0.0.1'] }, [`*.${BASE}`]: { CNAME: BASE }, 'chat.umbrella.example': { CNAME: BASE }, 'umbrella-corp.example': { A: ['127.0.0.1'] } })
    ctx = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
    await ctx.db.setTarget({ ...targetFromUrl(db.url), baseDomain: BASE, checks: { dnsServer: dns.address, caFile: pki.caFile, httpsPort: web.port } })
    registry = createRegistry(ctx, handlers, () => true)
  })
  afterAll(async () => {
    await ctx?.db.close()
    await web?.close()
    await dns?.close()
    pki?.remove()
    await db?.close()
  })

  it('checks the subdomain and every domain once; an unverified tenant_domains row is a warning', async () => {
    const r = await call<TenantReachability>('reach:tenant', { id: UMBRELLA })
    expect(r.hosts.map((h) => [h.host, h.role, h.status])).toEqual([
      [`umbrella.${BASE}`, 'subdomain', 'pass'],
      ['chat.umbrella.example', 'custom', 'pass'],
      ['umbrella-corp.example', 'custom', 'warn']
    ])
    const apex = r.hosts[2]!.steps.find((s) => s.kind === 'dns')!
    expect(apex.summary).toBe(`umbrella-corp.example resolves to 127.0.0.1, the address of ${BASE}; but tenant_domains marks it unverified`)
    expect(apex.fix).toContain('verification')
    expect(r.hosts[2]!.steps.map((s) => s.status)).toEqual(['warn', 'pass', 'pass'])
    expect(r.status).toBe('warn')
  })
})
