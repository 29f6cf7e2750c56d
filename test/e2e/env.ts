import type { SeedQuirks } from '../../src-main/seed/generator'

/** Environment variables the global setup hands to the workers. */
export const E2E_ENV = {
  adminUrl: 'NCHAT_E2E_ADMIN_URL',
  templateDb: 'NCHAT_E2E_TEMPLATE_DB',
  sharedUrl: 'NCHAT_E2E_SHARED_URL',
  control: 'NCHAT_E2E_CONTROL_URL',
  canStop: 'NCHAT_E2E_PG_CAN_STOP',
  seed: 'NCHAT_E2E_SEED_SUMMARY'
} as const

export interface SharedSeed {
  tenants: number
  seed: number
  quirks: SeedQuirks
}

export function e2eEnv(key: keyof typeof E2E_ENV): string {
  const v = process.env[E2E_ENV[key]]
  if (v === undefined) throw new Error(`${E2E_ENV[key]} is not set: run end-to-end tests through playwright.config.ts (its global setup)`)
  return v
}
