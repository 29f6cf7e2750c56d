import { describe, expect, it } from 'vitest'
import { NEWER_FEATURE_KEYS, NEWER_LIMIT_KEYS, mergePlanValues, plansFor } from '../../src-main/domain/plan-layouts'
import { templateTenantReason } from '../../src-main/domain/template-tenant'
import type { ShapeColumn } from '../../src-main/lifecycle/catalog'
import { ownerInsert, planOwner } from '../../src-main/lifecycle/owner'
import { normalizeExpr } from '../../src-main/lifecycle/parity'
import { Uuid } from '../../src-preload/contract/common'

const col = (name: string, type: string, notNull = false, def: string | null = null): ShapeColumn => ({
  name,
  qn: name,
  type,
  notNull,
  default: def,
  generated: null,
  identity: '',
  collation: null,
  comment: null,
  acl: []
})

describe('layouts', () => {
  it('accepts any well-formed uuid, including the app default tenant', () => {
    expect(Uuid.safeParse('00000000-0000-0000-0000-000000000001').success).toBe(true)
    expect(Uuid.safeParse('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa').success).toBe(true)
    expect(Uuid.safeParse('00000000-0000-0000-0000-00000000000').success).toBe(false)
    expect(Uuid.safeParse("x' OR 1=1").success).toBe(false)
  })

  it('plan defaults per layout, keys kept on merge', () => {
    const b = plansFor('newer').defaults('business')!
    expect(Object.keys(b.limits)).toEqual([...NEWER_LIMIT_KEYS])
    expect(Object.keys(b.features)).toEqual([...NEWER_FEATURE_KEYS])
    expect(plansFor('newer').defaults('enterprise')!.limits.maxBotsPerWorkspace).toBe(-1)
    expect(plansFor('030').defaults('business')).toBeNull()
    expect(plansFor('030').defaults('pro')!.limits).toHaveProperty('rateLimitPerMinute')
    expect(mergePlanValues({ maxUsers: 1, custom: 5 }, { maxUsers: 10 }, { maxChannels: 3 })).toEqual({ maxUsers: 10, custom: 5, maxChannels: 3 })
    expect(mergePlanValues({ maxUsers: 1, custom: 5 }, null, {})).toEqual({ maxUsers: 1, custom: 5 })
  })

  it('reads varchar IN lists the way PostgreSQL re-renders them', () => {
    const written = `CHECK (((role)::text = ANY ((ARRAY['owner'::character varying, 'it''s'::character varying])::text[])))`
    const reread = `CHECK (((role)::text = ANY (ARRAY[('owner'::character varying)::text, ('it''s'::character varying)::text])))`
    expect(normalizeExpr(written)).toBe(reread)
    expect(normalizeExpr(reread)).toBe(reread)
  })

  it("fills the owner row of the app's nchat_users, else says what is missing", () => {
    const users = {
      name: 'nchat_users',
      qn: 'nchat_users',
      columns: [
        col('id', 'uuid', true, 'gen_random_uuid()'),
        col('auth_user_id', 'uuid', true),
        col('username', 'character varying(50)', true),
        col('display_name', 'character varying(100)'),
        col('email', 'character varying(255)', true),
        col('role', 'character varying(20)', true, "'member'"),
        col('status', 'character varying(20)', true)
      ]
    }
    const ins = ownerInsert(users, { ownerEmail: 'ann@x.test', ownerName: 'Ann' })
    expect(ins).toEqual({
      columns: ['email', 'display_name', 'role', 'auth_user_id', 'username', 'status'],
      exprs: ['$1', '$2', '$3', 'gen_random_uuid()', '$4', '$5'],
      params: ['ann@x.test', 'Ann', 'owner', 'ann', 'active']
    })
    const odd = { ...users, columns: [...users.columns, col('tenant_code', 'text', true)] }
    expect(ownerInsert(odd, { ownerEmail: 'a@x.test', ownerName: 'A' })).toEqual({ missing: ['tenant_code'] })
    expect(planOwner('nchat', odd, true)).toMatchObject({ mode: 'invitation', message: expect.stringMatching(/tenant_code/) })
    expect(planOwner('nchat', null, false)).toMatchObject({ mode: 'none' })
    expect(planOwner('nchat', users, false)).toMatchObject({ mode: 'user', table: 'nchat_users' })
  })

  it('marks only the tenant whose schema is the template', () => {
    expect(templateTenantReason('nchat', 'nchat')).toMatch(/default tenant/)
    expect(templateTenantReason('NCHAT', 'nchat')).not.toBeNull()
    expect(templateTenantReason('tenant_acme', 'nchat')).toBeNull()
  })
})
