import { seedFleet } from '../seed/generator'
import { DemoService } from './service'

/** Tenants in the demo fleet: enough to page, sort and filter; generated in seconds. */
export const DEMO_TENANTS = 150
export const DEMO_SEED = 1

/** The demo as the app runs it: the real fleet generator, seeded once per demo cluster. */
export function createDemo(userDataDir: string, migrationsDir: string): DemoService {
  return new DemoService({
    userDataDir,
    migrationsDir,
    seed: async (db) => {
      // NCHAT_DEMO_TENANTS: a smaller fleet for tests (read when the demo is first built).
      const n = Number(process.env.NCHAT_DEMO_TENANTS)
      await seedFleet(db, { tenants: Number.isInteger(n) && n > 0 && n <= 5000 ? n : DEMO_TENANTS, seed: DEMO_SEED })
    }
  })
}

export { DemoService }
