/**
 * Connection profiles and the start-up connection. Public entry: service.ts (save, test,
 * activate, the demo as a connection), store.ts (profiles.json), target.ts/probe.ts
 * (building and testing a connection), startup.ts (what the bootstrap runs first).
 */
export { ProfileService, type ProfileServiceDeps } from './service'
export { ProfileStore } from './store'
export { installCrashRedaction, openStartupConnection, windowTitle } from './startup'
export { targetFor, viewFields } from './target'
