import { describe, expect, it, vi } from 'vitest'
import { CHANNELS, contract, ERROR_CODES } from '../../src-preload/contract'
import { createContext, type AppContext } from '../../src-main/context'
import { createRegistry, handlers, type Handler } from '../../src-main/ipc'
import { AppError } from '../../src-main/core/errors'

const ORIGIN = 'file:///app/out/renderer/'
const meta = { senderUrl: ORIGIN + 'index.html' }

function setup(role: 'none' | 'support' | 'admin' = 'admin') {
  const ctx: AppContext = createContext({ platform: { emit: () => {} }, migrationsDir: '/nonexistent' })
  vi.spyOn(ctx.session, 'role').mockResolvedValue(role)
  const list = vi.spyOn(ctx.tenants, 'list').mockResolvedValue({ rows: [], total: 0, totalExact: true, offset: 0, limit: 50, next: null, mode: 'slow', slowHint: null })
  const registry = createRegistry(ctx, handlers, (url) => url.startsWith(ORIGIN))
  return { ctx, registry, list }
}

describe('IPC contract', () => {
  it('has a handler for every channel and a strict schema for every input', () => {
    for (const c of CHANNELS) {
      expect(handlers[c], c).toBeDefined()
      // unknown keys must be rejected by every channel
      const r = contract[c].input.safeParse({ __unexpected: 1 })
      expect(r.success, `${c} accepted an unknown key`).toBe(false)
    }
  })

  it('channel names are namespace:method', () => {
    for (const c of CHANNELS) expect(c).toMatch(/^[a-z]+:[a-zA-Z]+$/)
  })
})

describe('handler registry', () => {
  it('answers ok with data for a valid request and applies defaults', async () => {
    const { registry, list } = setup()
    const res = await registry.invoke('tenants:list', { search: 'acme' }, meta)
    expect(res).toEqual({ ok: true, data: { rows: [], total: 0, totalExact: true, offset: 0, limit: 50, next: null, mode: 'slow', slowHint: null } })
    expect(list).toHaveBeenCalledWith(expect.objectContaining({ search: 'acme', sort: 'name', direction: 'asc', offset: 0, limit: 50 }))
  })

  it.each([
    ['wrong type', { limit: 'ten' }],
    ['unknown field', { search: 'a', dropTable: true }],
    ['1 MB string', { search: 'x'.repeat(1024 * 1024) }],
    ['over-long search', { search: 'x'.repeat(201) }],
    ['negative offset', { offset: -1 }],
    ['page too large', { limit: 100000 }],
    ['not an object', 'SELECT 1'],
    ['bad sort key', { sort: 'password' }],
    ['injection in a status filter', { statuses: ["active' OR 1=1 --"] }]
  ])('rejects %s with INVALID_INPUT and touches nothing', async (_name, input) => {
    const { registry, list } = setup()
    const res = await registry.invoke('tenants:list', input, meta)
    expect(res.ok).toBe(false)
    if (!res.ok) expect(res.error.code).toBe('INVALID_INPUT')
    expect(list).not.toHaveBeenCalled()
  })

  it('rejects an unknown channel with INVALID_INPUT', async () => {
    const { registry } = setup()
    for (const ch of ['tenants:drop', '__proto__', 'constructor', '', 'session:info ']) {
      const res = await registry.invoke(ch, {}, meta)
      expect(res).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    }
  })

  it('refuses requests from a frame that is not the console window', async () => {
    const { registry, list } = setup()
    for (const url of ['https://evil.example/', 'file:///tmp/other.html', '', 'file:///app/out/rendererX/index.html']) {
      const res = await registry.invoke('tenants:list', {}, { senderUrl: url })
      expect(res).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    }
    expect(list).not.toHaveBeenCalled()
  })

  it('enforces the minimum console role before calling the service', async () => {
    const { ctx } = setup('support')
    const called = vi.fn()
    const adminOnly: Handler<'tenants:list'> = { minRole: 'admin', handle: async () => (called(), { rows: [], total: 0, totalExact: true, offset: 0, limit: 1, next: null, mode: 'slow' as const, slowHint: null }) }
    const registry = createRegistry(ctx, { ...handlers, 'tenants:list': adminOnly }, () => true)
    const res = await registry.invoke('tenants:list', {}, meta)
    expect(res).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    if (!res.ok) expect(res.error.message).toMatch(/admin/)
    expect(called).not.toHaveBeenCalled()
  })

  it('never leaks internal error text, SQL or stack traces', async () => {
    const { ctx, registry } = setup()
    const err = Object.assign(new Error('syntax error at or near "FROM" in SELECT secret FROM users; password=hunter2'), { code: '42601' })
    vi.spyOn(ctx.tenants, 'list').mockRejectedValue(err)
    const res = await registry.invoke('tenants:list', {}, meta)
    expect(res.ok).toBe(false)
    if (!res.ok) {
      expect(res.error.code).toBe('INTERNAL')
      expect(JSON.stringify(res)).not.toMatch(/SELECT|hunter2|at .*\.ts|stack/i)
    }
  })

  it('maps connection failures to DB_UNAVAILABLE and app errors to their code', async () => {
    const { ctx, registry } = setup()
    vi.spyOn(ctx.tenants, 'list').mockRejectedValueOnce(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5'), { code: 'ECONNREFUSED' }))
    expect(await registry.invoke('tenants:list', {}, meta)).toMatchObject({ ok: false, error: { code: 'DB_UNAVAILABLE' } })
    vi.spyOn(ctx.tenants, 'get').mockRejectedValueOnce(new AppError('NOT_FOUND', 'gone'))
    expect(await registry.invoke('tenants:get', { id: '00000000-0000-4000-8000-000000000000' }, meta)).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'gone' }
    })
  })

  it('answers NOT_CONFIGURED when no database is selected', async () => {
    const ctx = createContext({ platform: { emit: () => {} }, migrationsDir: '/x' })
    const registry = createRegistry(ctx, handlers, () => true)
    const res = await registry.invoke('tenants:list', {}, meta)
    expect(res).toMatchObject({ ok: false, error: { code: 'NOT_CONFIGURED' } })
    expect(ERROR_CODES).toContain('NOT_CONFIGURED')
  })
})
