import { describe, expect, it } from 'vitest'
import { checkHostname, checkSlug, schemaNameFor } from '../../src-preload/contract'
import { tenantCacheKeys } from '../../src-main/lifecycle/cache'
import { compareShapes } from '../../src-main/lifecycle/parity'
import type { SchemaShape } from '../../src-main/lifecycle/catalog'

describe('checkSlug', () => {
  it.each(['acme', 'acme-corp', 'a1b', '123', 'x'.repeat(56)])('accepts %s', (s) => {
    const r = checkSlug(s)
    expect(r.ok).toBe(true)
    if (r.ok) expect(Buffer.byteLength(r.schemaName)).toBeLessThanOrEqual(63)
  })
  it.each([
    ['', /Enter a slug/],
    ['Acme', /lower case/],
    ['аcme', /ASCII/], // Cyrillic а
    ['ａcme', /ASCII/], // full-width a
    ['acme\u200b', /ASCII/],
    ['a"; drop schema public cascade; --', /lower-case letters/],
    ['acme_corp', /lower-case letters/],
    ['-acme', /lower-case letters/],
    ['acme-', /lower-case letters/],
    ['ac--me', /lower-case letters/],
    ['ab', /at least 3/],
    ['x'.repeat(57), /at most 56/],
    ['admin', /reserved/],
    ['nchat', /reserved/],
    ['pg-toast', /reserved/]
  ])('refuses %j', (s, re) => {
    const r = checkSlug(s)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.problem).toMatch(re)
  })
  it('derives the schema name from the prefix and slug', () => {
    expect(schemaNameFor('acme-corp')).toBe('tenant_acme_corp')
    expect(checkSlug('x'.repeat(60), 't_')).toMatchObject({ ok: false })
  })
})

describe('checkHostname', () => {
  it.each(['chat.acme.com', 'a.b', 'xn--bcher-kva.example'])('accepts %s', (h) => expect(checkHostname(h)).toBeNull())
  it.each(['localhost', 'Chat.Acme.com', 'bad_host.com', '-a.com', 'a..com', 'bücher.example', '10.0.0.1', 'a'.repeat(64) + '.com'])('refuses %s', (h) =>
    expect(checkHostname(h)).not.toBeNull()
  )
})

describe('tenantCacheKeys', () => {
  it('covers the slug, its lower-cased form and every custom domain', () => {
    expect(tenantCacheKeys('NorthWind', ['Chat.North.example', null])).toEqual([
      'tenant:NorthWind',
      'tenant:northwind',
      'tenant:domain:chat.north.example',
      'tenant:chat.north.example'
    ])
  })
})

describe('compareShapes', () => {
  const shape = (over: Partial<SchemaShape> = {}): SchemaShape => ({
    schema: 's',
    qs: 's',
    owner: 'o',
    comment: null,
    acl: [{ grantee: '<owner>', priv: 'USAGE', grantable: false }],
    otherClasses: [],
    extensions: [],
    types: [],
    functions: [],
    sequences: [],
    relations: [],
    ...over
  })
  it('ignores the console roles and the aliased template owner, nothing else', () => {
    const t = shape()
    const n = shape({
      acl: [
        { grantee: '<owner>', priv: 'USAGE', grantable: false },
        { grantee: 'app', priv: 'USAGE', grantable: false },
        { grantee: 'nchat_console_support', priv: 'USAGE', grantable: false }
      ]
    })
    expect(compareShapes(t, n, { targetOwnerAliases: ['app'] }).ok).toBe(true)
    const r = compareShapes(t, n)
    expect(r.ok).toBe(false)
    expect(r.differences).toEqual(['differs: schema.acl'])
  })
})
