import type { AppEndpointStatus, TenantReachability } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import type { ConnectionManager } from '../db/connection'
import type { SessionService } from '../session'
import { appEndpoint } from './endpoint'
import { tenantFacts } from './repository'
import { settingsFor, type ReachOptions, type ReachSettings } from './settings'
import { checkTenant } from './tenant'

const NO_BASE_DOMAIN = "The connection's profile names no base domain: set it in Settings → Connections (the app's NEXT_PUBLIC_BASE_DOMAIN)."

/**
 * Reachability checks: they read the tenant row and then only talk to DNS and the app's
 * hosts over HTTPS (GET /api/health). They write nothing, anywhere.
 */
export class ReachService {
  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    private readonly opts: ReachOptions = {}
  ) {}

  private async settings(): Promise<ReachSettings> {
    const target = this.db.target
    if (!target) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return settingsFor(target, this.opts)
  }

  async appEndpoint(): Promise<AppEndpointStatus> {
    const s = await this.settings()
    if (!s.baseDomain) return { configured: false, reason: NO_BASE_DOMAIN }
    return appEndpoint({ ...s, baseDomain: s.baseDomain })
  }

  async tenant(id: string): Promise<TenantReachability> {
    if (!this.db.target) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    const layout = await this.session.layout()
    if (!layout.tenantColumns.has('id')) throw new AppError('UNSUPPORTED', 'This database has no public.tenants table, so there are no tenants to check.')
    const t = await tenantFacts(this.db, layout, id)
    if (!t) throw new AppError('NOT_FOUND', 'That tenant no longer exists. It may have been deleted by another operator.')
    const s = await this.settings()
    if (!s.baseDomain) throw new AppError('NOT_CONFIGURED', NO_BASE_DOMAIN)
    return checkTenant(t, { ...s, baseDomain: s.baseDomain })
  }
}
