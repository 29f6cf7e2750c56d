import type { z } from 'zod'
import {
  CHANNELS,
  MAX_PAYLOAD_BYTES,
  contract,
  type Channel,
  type ConsoleRole,
  type OutputOf,
  type ParsedInputOf,
  type Result
} from '../../src-preload/contract'
import { AppError, DB_REFUSED, toAppError } from '../core/errors'
import { log } from '../core/logger'
import type { AppContext } from '../context'

/** `none` may only read what the database itself lets it read. */
const RANK: Record<ConsoleRole, number> = { none: 0, support: 1, admin: 2 }

export interface Handler<C extends Channel> {
  /** Lowest console role allowed to call this channel. */
  minRole: ConsoleRole
  /** Set for channels that work without a database (profiles, demo). */
  noDatabase?: boolean
  handle(input: ParsedInputOf<C>, ctx: AppContext): Promise<OutputOf<C>>
}
export type HandlerMap<C extends Channel> = { [K in C]: Handler<K> }

export interface InvokeMeta {
  /** URL of the frame that sent the request. */
  senderUrl: string
}

export interface Registry {
  invoke(channel: string, input: unknown, meta: InvokeMeta): Promise<Result<unknown>>
  channels: readonly Channel[]
}

/** Bounded: zod quotes the caller's keys (e.g. every unrecognized one), and a message is for a person. */
function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

function describeIssues(err: z.ZodError): string {
  const first = err.issues.slice(0, 3).map((i) => {
    const where = i.path.length ? clip(i.path.join('.'), 80) : 'input'
    return `${where}: ${clip(i.message, 160)}`
  })
  return `The request was not valid (${first.join('; ')}).`
}

function payloadTooLarge(input: unknown): boolean {
  try {
    const s = JSON.stringify(input)
    return s !== undefined && Buffer.byteLength(s, 'utf8') > MAX_PAYLOAD_BYTES
  } catch {
    return true
  }
}

/**
 * The one entry point for every request from the renderer, free of Electron:
 * the bootstrap wires it to ipcMain, the end-to-end harness to Playwright.
 * Order: sender, channel, size, schema, role, service; errors become the envelope.
 */
export function createRegistry(
  ctx: AppContext,
  handlers: { [C in Channel]: Handler<C> },
  isTrustedSender: (url: string) => boolean
): Registry {
  const known = new Set<string>(CHANNELS)
  return {
    channels: CHANNELS,
    async invoke(channel, input, meta) {
      // Which console role to grant, and how; a refusal is still explained if this fails.
      const advice = async (need: 'support' | 'admin') => {
        try {
          return ' ' + (await ctx.session.grantAdvice(need))
        } catch {
          return ''
        }
      }
      try {
        if (!isTrustedSender(meta.senderUrl)) {
          log.warn('rejected IPC from untrusted frame', { channel: String(channel).slice(0, 60) })
          throw new AppError('FORBIDDEN', 'Request refused: it did not come from the console window.')
        }
        if (typeof channel !== 'string' || !known.has(channel)) {
          throw new AppError('INVALID_INPUT', 'Unknown request.')
        }
        const c = channel as Channel
        if (payloadTooLarge(input)) throw new AppError('INVALID_INPUT', 'The request is too large.')
        const parsed = contract[c].input.safeParse(input)
        if (!parsed.success) throw new AppError('INVALID_INPUT', describeIssues(parsed.error))
        const handler = handlers[c] as Handler<Channel>
        if (handler.minRole !== 'none') {
          const role = await ctx.session.role()
          if (RANK[role] < RANK[handler.minRole]) {
            throw new AppError(
              'FORBIDDEN',
              `This needs the ${handler.minRole} console role; the connected database role has ${role === 'none' ? 'no console role' : `the ${role} role`}.${await advice(handler.minRole)}`
            )
          }
        }
        const data = await handler.handle(parsed.data as never, ctx)
        return { ok: true, data }
      } catch (e) {
        let appErr = toAppError(e)
        // The database refused (42501): say which console role would allow it and how to grant it.
        if (appErr.code === 'FORBIDDEN' && appErr.message === DB_REFUSED) {
          log.warn(`request ${String(channel).slice(0, 60)} refused by the database`, e)
          const need = (handlers as Record<string, Handler<Channel> | undefined>)[String(channel)]?.minRole === 'admin' ? 'admin' : 'support'
          appErr = new AppError('FORBIDDEN', `${DB_REFUSED}${await advice(need)}`)
        }
        if (appErr.code === 'INTERNAL') log.error(`request ${String(channel).slice(0, 60)} failed`, e)
        if (appErr.code === 'DB_UNAVAILABLE') ctx.session.invalidate()
        return { ok: false, error: appErr.toPayload() }
      }
    }
  }
}
