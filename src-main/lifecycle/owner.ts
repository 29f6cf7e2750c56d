/**
 * How a new tenant's owner is added, decided from what the template has: a row in its
 * users table (the app's is nchat_users; older demo templates have users; anything
 * ending in _users with an email column will do), filling every NOT NULL column that has
 * no default; else, where the database has public.tenant_invitations, an invitation with
 * role owner; else nothing (the tenant is still created and the outcome says so).
 */
import type { CreateOwnerPlan } from '../../src-preload/contract'
import type { SchemaShape, ShapeColumn } from './catalog'

export interface UsersTable {
  name: string
  qn: string
  columns: ShapeColumn[]
}

const PREFERRED = ['nchat_users', 'users']

/** The template's users table: a preferred name first, else any *_users table with an email column. */
export function findUsersTable(shape: SchemaShape): UsersTable | null {
  const tables = shape.relations.filter((r) => r.kind === 'r' || r.kind === 'p')
  const withEmail = tables.filter((r) => r.columns.some((c) => c.name === 'email'))
  const pick =
    PREFERRED.map((n) => withEmail.find((r) => r.name === n)).find(Boolean) ??
    withEmail.filter((r) => /(^|_)users$/.test(r.name)).sort((a, b) => a.name.length - b.name.length)[0]
  return pick ? { name: pick.name, qn: pick.qn, columns: pick.columns } : null
}

export interface OwnerInput {
  ownerEmail: string
  ownerName: string
}

/** Column, SQL value expression with $n placeholders, parameters. */
export interface OwnerInsert {
  columns: string[]
  exprs: string[]
  params: unknown[]
}

const NAME_COLS = ['display_name', 'name', 'full_name']

function isUuid(c: ShapeColumn): boolean {
  return c.type === 'uuid'
}

/**
 * The owner's row for this users table, or the names of NOT NULL columns without a
 * default that the console cannot fill.
 */
export function ownerInsert(t: UsersTable, input: OwnerInput): OwnerInsert | { missing: string[] } {
  const out: OwnerInsert = { columns: [], exprs: [], params: [] }
  const add = (col: string, value: unknown, expr?: string) => {
    out.columns.push(col)
    if (expr) out.exprs.push(expr)
    else {
      out.params.push(value)
      out.exprs.push(`$${out.params.length}`)
    }
  }
  const has = (n: string) => t.columns.find((c) => c.name === n)
  add('email', input.ownerEmail)
  const nameCol = NAME_COLS.find((n) => has(n))
  if (nameCol) add(nameCol, input.ownerName)
  if (has('role')) add('role', 'owner')
  const local = input.ownerEmail.split('@')[0] ?? input.ownerEmail
  const missing: string[] = []
  for (const c of t.columns) {
    if (out.columns.includes(c.name) || !c.notNull || c.default !== null || c.identity || c.generated) continue
    if (c.name === 'username' || c.name === 'handle') add(c.name, local)
    else if (c.name === 'status') add(c.name, 'active')
    else if (/(^|_)(auth_)?user_id$/.test(c.name) && isUuid(c)) add(c.name, null, 'gen_random_uuid()')
    else missing.push(c.name)
  }
  return missing.length ? { missing } : out
}

/** What creating a tenant will do about its owner (capabilities say it in advance). */
export function planOwner(template: string, users: UsersTable | null, hasInvitations: boolean): CreateOwnerPlan {
  const fallback = (why: string): CreateOwnerPlan =>
    hasInvitations
      ? { mode: 'invitation', table: 'tenant_invitations', message: `${why} The owner gets an invitation (public.tenant_invitations, role owner) instead.` }
      : { mode: 'none', table: null, message: `${why} This database has no tenant_invitations table either, so the tenant is created without its owner; add the owner in the app.` }
  if (!users) return fallback(`The template schema "${template}" has no users table with an email column (such as nchat_users).`)
  const probe = ownerInsert(users, { ownerEmail: 'x@example.com', ownerName: 'x' })
  if ('missing' in probe) {
    return fallback(`The template's ${users.name} table requires ${probe.missing.join(', ')}, which the console cannot fill.`)
  }
  return { mode: 'user', table: users.name, message: `The owner is added to ${users.name} as the tenant's first user (role owner).` }
}
