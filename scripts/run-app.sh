#!/usr/bin/env bash
# One command from a fresh clone to a running console:
#   installs dependencies, fetches the Electron binary, rebuilds keytar for Electron,
#   builds, and starts the app. With no profile configured, the app offers the
#   embedded demo database (no other setup needed).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi
# npm's allowScripts denies Electron's postinstall (CI must never download it); fetch it here.
if ! node -e "require('fs').accessSync(require('electron'))" 2>/dev/null; then
  echo "Fetching the Electron binary..."
  node node_modules/electron/install.js
fi
electron_version=$(node -p "require('electron/package.json').version")
# keytar is a native module: build it for Electron's ABI (tests rebuild it for Node).
npm_config_runtime=electron npm_config_target="$electron_version" \
  npm_config_disturl=https://electronjs.org/headers npm rebuild keytar
npx electron-vite build
exec npx electron-vite preview --skipBuild "$@"
