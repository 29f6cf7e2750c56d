import type { Channel, ErrorCode, ErrorPayload, InputOf, NchatApi, OutputOf } from '../../../src-preload/contract'

declare global {
  interface Window {
    nchat: NchatApi
  }
}

/** An error answer from main, thrown so TanStack Query treats it as a failure. */
export class ApiError extends Error {
  readonly code: ErrorCode
  readonly details: unknown
  constructor(payload: ErrorPayload) {
    super(payload.message)
    this.code = payload.code
    this.details = payload.details
  }
}

export function api(): NchatApi {
  if (!window.nchat) throw new Error('The console bridge is missing: the preload script did not run.')
  return window.nchat
}

/** Calls a channel by name and unwraps the envelope. */
export async function call<C extends Channel>(channel: C, input: InputOf<C>): Promise<OutputOf<C>> {
  const [ns, method] = channel.split(':') as [string, string]
  const group = (api() as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>)[ns]
  const fn = group?.[method]
  if (!fn) throw new ApiError({ code: 'INTERNAL', message: `The bridge has no ${channel}.` })
  const res = (await fn(input)) as { ok: true; data: OutputOf<C> } | { ok: false; error: ErrorPayload }
  if (!res.ok) throw new ApiError(res.error)
  return res.data
}
