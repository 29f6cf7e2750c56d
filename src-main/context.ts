import type { EventMap, EventName } from '../src-preload/contract'
import { ConnectionManager } from './db/connection'
import { SessionService } from './services/session'
import { TenantDirectoryService } from './services/tenants'

/** Native things only the Electron bootstrap can do; tests supply fakes. */
export interface Platform {
  /** Sends an event to the renderer. */
  emit<E extends EventName>(event: E, payload: EventMap[E]): void
}

export interface AppContext {
  db: ConnectionManager
  session: SessionService
  tenants: TenantDirectoryService
  platform: Platform
  migrationsDir: string
}

export function createContext(opts: { platform: Platform; migrationsDir: string; db?: ConnectionManager }): AppContext {
  const db = opts.db ?? new ConnectionManager()
  const session = new SessionService(db)
  return {
    db,
    session,
    tenants: new TenantDirectoryService(db, session),
    platform: opts.platform,
    migrationsDir: opts.migrationsDir
  }
}
