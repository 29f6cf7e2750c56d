import type { SessionInfo } from '../../src-preload/contract'
import { log } from '../core/logger'
import { targetFromUrl, type ConnectionManager } from '../db/connection'
import type { ProfileService } from './service'

/**
 * Start-up connection: NCHAT_DATABASE_URL (developer/test override) when set, else the
 * profile (or demo) that was open when the console last quit, reopened in the background.
 * With neither, the renderer shows the first-run choice. Never throws.
 */
export async function openStartupConnection(ctx: { db: ConnectionManager; profiles: Pick<ProfileService, 'restore'> }, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const url = env.NCHAT_DATABASE_URL
  if (url) {
    try {
      await ctx.db.setTarget(targetFromUrl(url, { templateSchema: env.NCHAT_TEMPLATE_SCHEMA ?? 'nchat' }))
      log.info('using NCHAT_DATABASE_URL (profiles are not reopened)')
    } catch (e) {
      log.error('NCHAT_DATABASE_URL is not usable', e)
    }
    return
  }
  // In the background: the window shows at once ("Opening the last connection…"); a slow
  // network or a keychain unlock prompt never holds it back.
  void ctx.profiles.restore()
}

/** The native window title: environment first, so nobody mistakes production for staging. */
export function windowTitle(info: SessionInfo): string {
  if (!info.profileName && !info.databaseLabel) return 'nChat Console'
  const env = info.environment ? `[${info.environment.toUpperCase()}] ` : ''
  return `${env}${info.profileName ?? info.databaseLabel} — nChat Console`
}

/**
 * Uncaught errors go through the redacting logger (registered secrets and anything that
 * looks like a password are masked) instead of the runtime's raw crash print.
 */
export function installCrashRedaction(exit: (code: number) => void = (c) => process.exit(c)): void {
  process.on('uncaughtException', (e) => {
    log.error('uncaught exception', e, (e as Error)?.stack?.split('\n').slice(1, 6).join(' | ') ?? '')
    exit(1)
  })
  process.on('unhandledRejection', (e) => {
    log.error('unhandled promise rejection', e)
  })
}
