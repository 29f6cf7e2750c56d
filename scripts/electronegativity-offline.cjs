// Preloaded into Electronegativity (scripts/lint-security.mjs): its HTTP client `got` is
// replaced by one that fails at once. The tool fetches translations and Electron's release
// list over the network; offline, got's retry timer throws an uncaught error on Node 24 and
// kills the run. Both of the tool's fetches treat a rejection as "no connectivity" and go on.
const Module = require('node:module')
const load = Module._load
Module._load = function (request, parent, isMain) {
  if (request === 'got') {
    const offline = () => Promise.reject(new Error('offline: the security lint makes no network requests'))
    offline.head = offline
    offline.get = offline
    return { __esModule: true, default: offline }
  }
  return load.call(this, request, parent, isMain)
}
