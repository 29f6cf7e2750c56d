import type { HandlerMap } from '../registry'

export const sessionHandlers: HandlerMap<'session:info'> = {
  'session:info': { minRole: 'none', noDatabase: true, handle: (_input, ctx) => ctx.session.info() }
}
