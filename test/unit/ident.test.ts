import { describe, expect, it } from 'vitest'
import { assertIdentifier, isProtectedSchema, isStrictIdentifier, qualify, quoteIdent } from '../../src-main/core/ident'

describe('identifier helpers', () => {
  it('quotes and escapes embedded quotes', () => {
    expect(quoteIdent('tenant_acme')).toBe('"tenant_acme"')
    expect(quoteIdent('Tenant_Acme')).toBe('"Tenant_Acme"')
    expect(quoteIdent('a"; drop schema public cascade; --')).toBe('"a""; drop schema public cascade; --"')
    expect(qualify('tenant_a', 'users')).toBe('"tenant_a"."users"')
  })

  it('refuses empty, NUL and over-long identifiers', () => {
    expect(() => quoteIdent('')).toThrow()
    expect(() => quoteIdent('a\u0000b')).toThrow()
    expect(() => quoteIdent('a'.repeat(64))).toThrow()
    expect(() => quoteIdent('é'.repeat(32))).toThrow() // 64 bytes
    expect(quoteIdent('a'.repeat(63))).toHaveLength(65)
  })

  it('the strict validator accepts only lower-case ascii names', () => {
    for (const ok of ['tenant_acme', 'nchat', '_x', 'tenant_a1']) expect(isStrictIdentifier(ok)).toBe(true)
    for (const bad of ['Tenant', 'tenant-acme', '1abc', 'a b', 'tenant_аcme' /* Cyrillic a */, 'a"b', 'a'.repeat(64), '']) {
      expect(isStrictIdentifier(bad), bad).toBe(false)
      expect(() => assertIdentifier(bad, 'schema name')).toThrow(/schema name/)
    }
  })

  it('protects system, public, console and template schemas', () => {
    for (const s of ['public', 'PUBLIC', 'pg_catalog', 'pg_toast', 'information_schema', 'console', 'nchat'])
      expect(isProtectedSchema(s, 'nchat'), s).toBe(true)
    expect(isProtectedSchema('tenant_acme', 'nchat')).toBe(false)
  })
})
