#!/usr/bin/env bash
# One command from a fresh clone to a running console:
#   installs dependencies, fetches the Electron binary, rebuilds keytar for Electron,
#   builds, and starts the app. With no profile configured, the app offers the
#   embedded demo database (no other setup needed).
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 22.12+ (24 LTS recommended) for the build tools.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null; then
  echo "nChat Console needs Node.js 22.12 or newer (24 LTS recommended); this is $(node --version 2>/dev/null || echo 'no node')." >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi
# npm's allowScripts denies Electron's postinstall (CI must never download it); fetch it here.
electron_version=$(node -p "require('electron/package.json').version")
# (Checked by its path file: since Electron 45, require('electron') itself starts a download.)
if ! node -e "const fs=require('fs'),p=require('path'),d=p.dirname(require.resolve('electron/package.json'));fs.accessSync(p.join(d,'dist',fs.readFileSync(p.join(d,'path.txt'),'utf8').trim()))" 2>/dev/null; then
  echo "Fetching the Electron $electron_version binary..."
  log=$(mktemp)
  if ! node node_modules/electron/install.js >"$log" 2>&1; then
    reason=$(grep -m1 -oE '(RequestError|HTTPError|Error): [^\n]{0,160}' "$log" || tail -n 1 "$log")
    rm -f "$log"
    echo "Could not download Electron $electron_version (${reason:-no answer}). Behind a proxy: set HTTPS_PROXY and ELECTRON_GET_USE_PROXY=1; with a mirror: set ELECTRON_MIRROR; offline: put electron-v$electron_version-$(node -p 'process.platform')-$(node -p 'process.arch').zip in a folder and set electron_config_cache to it. Then run npm run app again." >&2
    exit 1
  fi
  rm -f "$log"
fi
# keytar is a native module: build it for Electron's ABI (tests rebuild it for Node).
npm_config_runtime=electron npm_config_target="$electron_version" \
  npm_config_disturl=https://electronjs.org/headers npm rebuild keytar
npx electron-vite build
exec npx electron-vite preview --skipBuild "$@"
