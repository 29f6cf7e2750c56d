import { quoteIdent } from '../core/ident'
import type { ConsoleRole, LayoutInfo, SessionInfo } from '../../src-preload/contract'
import { toAppError } from '../core/errors'
import type { ConnectionManager } from '../db/connection'
import { readLayout, type Layout } from '../db/layout'

export const SUPPORT_ROLE = 'nchat_console_support'
export const ADMIN_ROLE = 'nchat_console_admin'

interface Facts {
  gen: number
  layout: Layout
  role: ConsoleRole
  dbUser: string
  serverVersion: string
  serverVersionNum: number
}

/**
 * What the connected database is and what the connected role may do. Cached per
 * connection generation; refreshed on demand (e.g. after the database comes back).
 */
export class SessionService {
  private facts: Facts | null = null
  private pending: Promise<Facts> | null = null

  constructor(private readonly db: ConnectionManager) {}

  invalidate(): void {
    this.facts = null
  }

  async get(): Promise<Facts> {
    if (this.facts && this.facts.gen === this.db.gen) return this.facts
    if (!this.pending) {
      const gen = this.db.gen
      this.pending = this.load(gen).finally(() => {
        this.pending = null
      })
    }
    const f = await this.pending
    if (f.gen === this.db.gen) this.facts = f
    return f
  }

  async layout(): Promise<Layout> {
    return (await this.get()).layout
  }

  async role(): Promise<ConsoleRole> {
    return (await this.get()).role
  }

  /**
   * What an administrator runs to give this login a console role: names both group roles
   * and the GRANT for the one needed. Never throws (a refusal must still be explained).
   */
  async grantAdvice(need: 'support' | 'admin'): Promise<string> {
    const login = await this.get().then(
      (f) => f.dbUser,
      () =>
        this.db.query<{ u: string }>('SELECT session_user AS u').then(
          (r) => r.rows[0]?.u ?? null,
          () => null
        )
    )
    const group = need === 'admin' ? ADMIN_ROLE : SUPPORT_ROLE
    return (
      `The console's roles are ${SUPPORT_ROLE} (read, suspend, reactivate, back up) and ${ADMIN_ROLE} (everything). ` +
      `A database administrator can grant one: GRANT ${group} TO ${login ? quoteIdent(login) : '<login>'};`
    )
  }

  private async load(gen: number): Promise<Facts> {
    return this.db.withClient(async (c) => {
      const who = await c.query<{ usr: string; su: boolean; ver: string; vnum: string; owns: boolean }>(
        `SELECT current_user AS usr,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su,
                current_setting('server_version') AS ver,
                current_setting('server_version_num') AS vnum,
                COALESCE((SELECT pg_has_role(current_user, c.relowner, 'member') FROM pg_class c
                           WHERE c.oid = to_regclass('public.tenants')), false) AS owns`
      )
      const groups = await c.query<{ rolname: string; member: boolean }>(
        `SELECT r.rolname, pg_has_role(current_user, r.oid, 'member') AS member
           FROM pg_roles r WHERE r.rolname = ANY($1)`,
        [[SUPPORT_ROLE, ADMIN_ROLE]]
      )
      const member = (name: string) => groups.rows.some((g) => g.rolname === name && g.member)
      const w = who.rows[0]!
      const role: ConsoleRole =
        w.su || w.owns || member(ADMIN_ROLE) ? 'admin' : member(SUPPORT_ROLE) ? 'support' : 'none'
      const layout = await readLayout(c)
      return { gen, layout, role, dbUser: w.usr, serverVersion: w.ver, serverVersionNum: Number(w.vnum) }
    })
  }

  /** The session as the renderer sees it. Never throws: problems become `problem`. */
  async info(): Promise<SessionInfo> {
    const t = this.db.target
    const base: SessionInfo = {
      connected: false,
      profileName: t?.profile?.name ?? null,
      environment: t?.profile?.environment ?? null,
      environmentColor: t?.profile?.color ?? null,
      databaseLabel: t?.label ?? null,
      serverVersion: null,
      dbUser: null,
      role: 'none',
      layout: null,
      problem: null
    }
    if (!t) return { ...base, problem: 'No database is selected.' }
    try {
      const f = await this.get()
      const l = f.layout
      // Only the fields of the contract's LayoutInfo cross the bridge.
      const layout: LayoutInfo = {
        kind: l.kind,
        statuses: l.statuses,
        plans: l.plans,
        hasStripeWebhooks: l.hasStripeWebhooks,
        hasInvitations: l.hasInvitations,
        auditTable: l.auditTable,
        migrationsApplied: l.migrationsApplied,
        unsupported: l.unsupported
      }
      return { ...base, connected: true, serverVersion: f.serverVersion, dbUser: f.dbUser, role: f.role, layout }
    } catch (e) {
      return { ...base, problem: toAppError(e).message }
    }
  }
}
