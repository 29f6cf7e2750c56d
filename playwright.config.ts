import { defineConfig } from '@playwright/test'

/**
 * End-to-end tests: Debian's Chromium (never a downloaded browser) drives the built
 * renderer, served over http from out/renderer; the preload bridge is emulated over
 * the real main-process handler registry (test/e2e/harness.ts) against a real database
 * that test/e2e/global-setup.ts starts, migrates and seeds.
 */
// Several people run specs in one working tree: each run gets its own artifacts folder
// (the runner sets the id once; its workers inherit it).
process.env.NCHAT_E2E_RUN_ID ??= `${Date.now().toString(36)}-${process.pid}`

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: `test-results/e2e-${process.env.NCHAT_E2E_RUN_ID}`,
  globalSetup: './test/e2e/global-setup.ts',
  // One PostgreSQL server is shared, and specs stop and start it: run one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list'], ['junit', { outputFile: 'test-results/e2e-junit.xml' }]] : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
    }
  }
})
