import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditDetail, AuditPage, MaintenancePreview } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { targetFromUrl } from '../../src-main/db/connection'
import { createRegistry, handlers, type Registry } from '../../src-main/ipc'
import { ROOT } from '../support/cli'
import { lifecycleDatabase } from './lifecycle-support'

/** The audit on the newer layout (tenant_audit_log, columns read from the catalog). */
const NEWER = readFileSync(join(resolve(__dirname, '..'), 'fixtures/app-newer.sql'), 'utf8')
const UMBRELLA = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
const meta = { senderUrl: 'file:///test/index.html' }

let db: Awaited<ReturnType<typeof lifecycleDatabase>>
let ctx: AppContext
let registry: Registry
const call = async <T>(channel: string, input: unknown): Promise<T> => {
  const r = await registry.invoke(channel, input, meta)
  if (!r.ok) throw new Error(`${channel} failed: ${r.error.code} ${r.error.message}`)
  return r.data as T
}

beforeAll(async () => {
  db = await lifecycleDatabase('audn', { template: () => NEWER })
  ctx = createContext({ platform: { emit: () => {} } as never, migrationsDir: join(ROOT, 'migrations') })
  await ctx.db.setTarget(targetFromUrl(db.url, { operator: { name: 'Test Operator', email: 'ops@example.com' } }))
  registry = createRegistry(ctx, handlers, () => true)
})
afterAll(async () => {
  await ctx?.db.close()
  await db?.close()
})

describe('audit on the newer layout', () => {
  it("lists the app's tenant_audit_log rows with the console's own, and a suspension shows at the top with its actor", async () => {
    const before = await call<AuditPage>('audit:list', { filter: { sources: ['app'] }, limit: 100 })
    expect(before.tables.app).toBe('public.tenant_audit_log')
    const n = await db.client.query(`SELECT count(*)::int AS n FROM public.tenant_audit_log`)
    expect(before.rows).toHaveLength(n.rows[0].n)
    const s = await registry.invoke('lifecycle:suspend', { id: UMBRELLA, reason: 'terms_violation' }, meta)
    expect(s.ok).toBe(true)
    const after = await call<AuditPage>('audit:list', { filter: { tenantId: UMBRELLA } })
    const app = after.rows.find((r) => r.source === 'app')!
    expect(app).toMatchObject({ action: 'tenant.suspend', tenantId: UMBRELLA, tenantSlug: 'umbrella', actorEmail: 'ops@example.com' })
    expect(after.rows.some((r) => r.source === 'console' && r.action === 'tenant.suspend')).toBe(true)
    const d = await call<AuditDetail>('audit:get', { source: 'app', id: app.id })
    expect(d.table).toBe('public.tenant_audit_log')
    expect(String(d.row.id)).toBe(app.id)
    // Text search reaches the values the newer layout keeps (old/new values or metadata).
    const found = await call<AuditPage>('audit:list', { filter: { tenantId: UMBRELLA, sources: ['app'], text: 'SUSPENDED' } })
    expect(found.rows.map((r) => r.id)).toContain(app.id)
  })

  it('says which maintenance jobs have nothing to work on here', async () => {
    const p = await call<MaintenancePreview>('maintenance:preview', { job: 'expired-invitations' })
    expect(p).toMatchObject({ available: false, count: 0 })
    expect(p.unavailable).toMatch(/tenant_invitations/)
    const w = await call<MaintenancePreview>('maintenance:preview', { job: 'old-webhooks' })
    expect(w.unavailable).toMatch(/stripe_webhooks/)
  })
})
