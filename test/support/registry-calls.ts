import type { Registry } from '../../src-main/ipc'

/** What the console window sends: the registry trusts this origin in the tests. */
export const TEST_META = { senderUrl: 'file:///test/index.html' }

/**
 * `call` answers a channel's data (and throws with the error's code and message), `fail`
 * answers the error of a call that must fail. The registry is read when called, so a test
 * file can create it in beforeAll.
 */
export function registryCalls(registry: () => Registry, meta = TEST_META) {
  return {
    async call<T>(channel: string, input: unknown): Promise<T> {
      const r = await registry().invoke(channel, input, meta)
      if (!r.ok) throw new Error(`${channel} failed: ${r.error.code} ${r.error.message}`)
      return r.data as T
    },
    async fail(channel: string, input: unknown) {
      const r = await registry().invoke(channel, input, meta)
      if (r.ok) throw new Error(`${channel} unexpectedly succeeded`)
      return r.error
    }
  }
}
