import { _electron as electron, expect, test } from '@playwright/test'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * Launches the real Electron app. Runs only where the Electron binary is installed
 * (users' machines after `npm run app`); CI and this workplace cannot download it.
 */
function electronBinary(): string | null {
  // Not require('electron'): since Electron 45 that starts a download when the binary is missing.
  try {
    const pkgDir = dirname(createRequire(__filename).resolve('electron/package.json'))
    const p = join(pkgDir, 'dist', readFileSync(join(pkgDir, 'path.txt'), 'utf8').trim())
    return existsSync(p) ? p : null
  } catch {
    return null
  }
}

const bin = electronBinary()

test.describe('Electron app', () => {
  test.skip(
    bin === null,
    'Electron binary not installed: npm allowScripts denies its download (ELECTRON_SKIP_BINARY_DOWNLOAD in CI, no network to fetch it). Run `npm run app` once on a machine with network to enable this test.'
  )

  test('opens one hardened window with only the named bridge', async () => {
    const app = await electron.launch({
      executablePath: bin!,
      args: [join(__dirname, '../../out/main/index.js')],
      env: { ...process.env, NCHAT_DATABASE_URL: process.env.NCHAT_TEST_DATABASE_URL ?? '' }
    })
    try {
      const win = await app.firstWindow()
      await expect(win).toHaveTitle(/nChat Console/)
      const bridge = await win.evaluate(() => ({
        hasBridge: typeof (window as unknown as { nchat?: unknown }).nchat === 'object',
        hasRequire: typeof (window as unknown as { require?: unknown }).require !== 'undefined',
        hasProcess: typeof (window as unknown as { process?: unknown }).process !== 'undefined',
        keys: Object.keys((window as unknown as { nchat: object }).nchat ?? {})
      }))
      expect(bridge.hasBridge).toBe(true)
      expect(bridge.hasRequire).toBe(false)
      expect(bridge.hasProcess).toBe(false)
      expect(bridge.keys).not.toContain('ipcRenderer')
      // window.open must not create a second window
      await win.evaluate(() => window.open('https://example.invalid/', '_blank'))
      expect(app.windows()).toHaveLength(1)
    } finally {
      await app.close()
    }
  })
})
