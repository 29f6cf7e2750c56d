import { CHANNELS, EVENT_NAMES, type Channel, type EventName, type NchatApi } from './contract'

/**
 * Builds the object exposed as `window.nchat` from two transport functions.
 * Used by the real preload (ipcRenderer) and by the end-to-end harness
 * (Playwright bindings), so both expose exactly the same named functions.
 */
export function buildApi(
  invoke: (channel: Channel, input: unknown) => Promise<unknown>,
  subscribe: (event: EventName, listener: (payload: unknown) => void) => () => void
): NchatApi {
  const api: Record<string, Record<string, (input: unknown) => Promise<unknown>>> = {}
  for (const channel of CHANNELS) {
    const [ns, method] = channel.split(':') as [string, string]
    const group = (api[ns] ??= {})
    group[method] = (input: unknown) => invoke(channel, input === undefined ? {} : input)
  }
  const on = (event: EventName, listener: (payload: unknown) => void): (() => void) => {
    if (!EVENT_NAMES.includes(event)) throw new Error(`Unknown event ${String(event)}`)
    return subscribe(event, listener)
  }
  return Object.freeze({ ...api, on }) as unknown as NchatApi
}
