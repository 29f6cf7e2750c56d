import { describe, expect, it } from 'vitest'
import { buildApi } from '../../src-preload/api'
import { CHANNELS } from '../../src-preload/contract'
import { log, redact, registerSecret, setLogSink } from '../../src-main/core/logger'
import { parseCheckValues } from '../../src-main/db/layout'

describe('log redaction', () => {
  it('masks passwords in URLs, Stripe keys and registered secrets', () => {
    expect(redact('postgresql://admin:s3cr3t@db:5432/x')).toBe('postgresql://admin:***@db:5432/x')
    expect(redact('key sk_live_abcdefghijklmnop')).not.toMatch(/abcdefghijklmnop/)
    expect(redact('{"password":"hunter2"}')).not.toMatch(/hunter2/)
    registerSecret('canary-7f3a9c')
    const lines: string[] = []
    setLogSink((l) => lines.push(l))
    log.error('failed with canary-7f3a9c inside', new Error('also canary-7f3a9c'))
    expect(lines.join('\n')).not.toMatch(/canary-7f3a9c/)
    expect(lines.join('\n')).toMatch(/failed with \*\*\* inside/)
  })
})

describe('bridge api shape', () => {
  it('exposes one named function per channel and no raw transport', async () => {
    const calls: [string, unknown][] = []
    const api = buildApi(
      async (c, i) => (calls.push([c, i]), { ok: true, data: null }),
      () => () => {}
    ) as unknown as Record<string, Record<string, (i?: unknown) => Promise<unknown>>>
    for (const c of CHANNELS) {
      const [ns, m] = c.split(':') as [string, string]
      expect(typeof api[ns]?.[m]).toBe('function')
    }
    await api.tenants!.list!({ search: 'x' })
    await api.session!.info!()
    expect(calls).toEqual([
      ['tenants:list', { search: 'x' }],
      ['session:info', {}]
    ])
    expect(Object.keys(api)).not.toContain('invoke')
    expect(Object.isFrozen(api)).toBe(true)
    expect(() => (api as unknown as { on: (e: string, l: () => void) => void }).on('nope', () => {})).toThrow()
  })
})

describe('CHECK constraint parsing', () => {
  it('reads values from both PostgreSQL spellings', () => {
    expect(
      parseCheckValues(
        "CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'suspended'::character varying, 'trial'::character varying])::text[])))"
      )
    ).toEqual(['active', 'suspended', 'trial'])
    expect(parseCheckValues("CHECK ((billing_plan)::text IN ('free', 'pro'))")).toEqual(['free', 'pro'])
  })
})
