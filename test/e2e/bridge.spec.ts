import { buildApi } from '../../src-preload/api'
import { expect, test } from './harness'

/** Names of the functions on an api object, per namespace. */
function shapeOf(api: object): Record<string, string[] | 'function'> {
  return Object.fromEntries(
    Object.entries(api).map(([k, v]) => [k, typeof v === 'function' ? ('function' as const) : Object.keys(v as object).sort()])
  )
}

test('the emulated bridge has exactly the shape of the real preload', async ({ page, harness }) => {
  await harness.open()
  const expected = shapeOf(
    buildApi(
      async () => ({}),
      () => () => {}
    )
  )
  const actual = await page.evaluate(() => {
    const api = (window as unknown as { nchat: Record<string, unknown> }).nchat
    return {
      frozen: Object.isFrozen(api),
      shape: Object.fromEntries(
        Object.entries(api).map(([k, v]) => [k, typeof v === 'function' ? 'function' : Object.keys(v as object).sort()])
      )
    }
  })
  expect(actual.shape).toEqual(expected)
  expect(actual.frozen).toBe(true)
  const unknownEvent = await page.evaluate(() => {
    try {
      ;(window as unknown as { nchat: { on: (e: string, l: () => void) => void } }).nchat.on('no:such', () => {})
      return 'accepted'
    } catch (e) {
      return (e as Error).message
    }
  })
  expect(unknownEvent).toContain('Unknown event')
})

test('requests from a page that is not the console are refused', async ({ page, harness }) => {
  await harness.open()
  await page.goto('about:blank')
  const res = await page.evaluate(() =>
    (window as unknown as { nchat: { session: { info: (i: object) => Promise<unknown> } } }).nchat.session.info({})
  )
  expect(res).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
})

test('the built renderer runs under its Content-Security-Policy: no injected script runs, nothing loads from outside', async ({ page, harness }) => {
  await harness.open()
  const result = await page.evaluate(async () => {
    const violations: string[] = []
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective))
    const script = document.createElement('script')
    script.textContent = 'window.__injected = 1'
    document.body.appendChild(script)
    const img = document.createElement('img')
    img.src = 'https://tracker.example/pixel.gif'
    document.body.appendChild(img)
    await new Promise((r) => setTimeout(r, 300))
    return { injected: (window as unknown as { __injected?: number }).__injected ?? null, violations }
  })
  expect(result.injected).toBeNull()
  expect(result.violations).toEqual(expect.arrayContaining(['script-src-elem', 'img-src']))
})
