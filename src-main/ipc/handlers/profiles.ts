import type { HandlerMap } from '../registry'

type ProfileChannels =
  | 'profiles:state'
  | 'profiles:save'
  | 'profiles:test'
  | 'profiles:applyMigrations'
  | 'profiles:delete'
  | 'profiles:activate'
  | 'profiles:disconnect'
  | 'profiles:setAsideDamagedFile'
  | 'demo:open'
  | 'demo:reset'
  | 'demo:status'

/**
 * Profiles and the demo work without a database (they choose one). None of them ever
 * answers with a secret: views carry only "stored: yes/no" flags.
 */
export const profileHandlers: HandlerMap<ProfileChannels> = {
  'profiles:state': { minRole: 'none', noDatabase: true, handle: (_i, ctx) => ctx.profiles.state() },
  'profiles:save': { minRole: 'none', noDatabase: true, handle: (input, ctx) => ctx.profiles.save(input) },
  'profiles:test': { minRole: 'none', noDatabase: true, handle: (input, ctx) => ctx.profiles.test(input) },
  'profiles:applyMigrations': { minRole: 'none', noDatabase: true, handle: (input, ctx) => ctx.profiles.applyMigrations(input) },
  'profiles:delete': { minRole: 'none', noDatabase: true, handle: (input, ctx) => ctx.profiles.remove(input.id) },
  'profiles:activate': { minRole: 'none', noDatabase: true, handle: (input, ctx) => ctx.profiles.activate(input.id) },
  'profiles:disconnect': { minRole: 'none', noDatabase: true, handle: (_i, ctx) => ctx.profiles.disconnect() },
  'profiles:setAsideDamagedFile': {
    minRole: 'none',
    noDatabase: true,
    handle: async (_i, ctx) => {
      await ctx.profileStore.setAsideDamaged()
      return ctx.profiles.state()
    }
  },
  'demo:open': { minRole: 'none', noDatabase: true, handle: (_i, ctx) => ctx.profiles.openDemo() },
  'demo:reset': { minRole: 'none', noDatabase: true, handle: (_i, ctx) => ctx.profiles.resetDemo() },
  'demo:status': {
    minRole: 'none',
    noDatabase: true,
    handle: async (_i, ctx) => (await ctx.profiles.state()).demo
  }
}
