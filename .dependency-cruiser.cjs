/**
 * The architecture, checked (npm run lint runs this after eslint). The map and the why
 * are in docs/architecture.md. Every rule is an error: a violation fails the lint.
 */
const FEATURES = '(tenants|session|lifecycle|backup|profiles|demo|insights|health|audit|billing|reach|indexes)'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only imports included: a cycle is two modules that can only change together.',
      from: {},
      to: { circular: true }
    },
    {
      name: 'feature-public-entry',
      severity: 'error',
      comment:
        "Outside a feature folder, use only the feature's index.ts (its public entry): its other files are its internals. " +
        'Features of main: ' + FEATURES + '.',
      from: { path: '^src-main/([^/]+)' },
      to: { path: `^src-main/${FEATURES}/`, pathNot: '^src-main/($1/|[^/]+/index\\.ts$)' }
    },
    {
      name: 'features-below-the-context',
      severity: 'error',
      comment:
        'A feature never imports the composition root (context.ts), the bootstrap (index.ts), the IPC layer or the CLI: ' +
        'it gets what it needs as constructor arguments (Platform, SessionService, ...).',
      from: { path: `^src-main/${FEATURES}/` },
      to: { path: '^src-main/(context\\.ts|index\\.ts|ipc/|cli/)' }
    },
    {
      name: 'infrastructure-below-features',
      severity: 'error',
      comment:
        'Shared infrastructure (core, db, platform, secrets, domain, seed) knows no feature, no context, no IPC handler. ' +
        'ipc/registry.ts may see the context type; ipc/handlers are checked by handlers-call-the-context.',
      from: { path: `^src-main/(core|db|platform|secrets|domain|seed)/` },
      to: { path: `^src-main/(${FEATURES.slice(1, -1)}|ipc|cli)/|^src-main/(context|index)\\.ts$` }
    },
    {
      name: 'handlers-call-the-context',
      severity: 'error',
      comment:
        'IPC handlers (src-main/ipc/handlers/<contract file>.ts) are one line per channel: they reach services only ' +
        "through the context object they are given, and import nothing of main but the registry's types.",
      from: { path: '^src-main/ipc/handlers/' },
      to: { path: '^src-main/', pathNot: '^src-main/ipc/' }
    },
    {
      name: 'electron-only-in-the-bootstrap',
      severity: 'error',
      comment:
        'Only src-main/index.ts imports electron (it hands Electron objects to platform/ adapters); everything else in main ' +
        'is plain Node, tested without Electron. In the preload only src-preload/index.ts does; the renderer never does.',
      from: { pathNot: '^src-(main|preload)/index\\.ts$' },
      to: { path: '^(node_modules/)?electron(/|$)' }
    },
    {
      name: 'renderer-and-preload-not-main',
      severity: 'error',
      comment: 'The renderer and the preload talk to main only over IPC (the contract in src-preload/contract); never import src-main.',
      from: { path: '^src-(renderer|preload)/' },
      to: { path: '^src-main/' }
    },
    {
      name: 'nothing-imports-the-bootstrap',
      severity: 'error',
      comment: 'src-main/index.ts is an entry point (Electron runs it); nothing imports it.',
      from: { path: '^src-' },
      to: { path: '^src-main/index\\.ts$' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' }
  }
}
