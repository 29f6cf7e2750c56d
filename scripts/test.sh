#!/usr/bin/env bash
# The whole test suite: static checks, build, unit + integration tests (vitest, real
# PostgreSQL), security lint, and end-to-end tests (Playwright + Debian Chromium),
# all inside a private D-Bus session with an unlocked keyring (scripts/with-keyring.sh).
# Ends with one line "total: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
reports=.tmp/reports
rm -rf "$reports"; mkdir -p "$reports"

# keytar may have been rebuilt for Electron's ABI by `npm run app`: tests run on Node.
node -e "require('keytar')" 2>/dev/null || npm rebuild keytar >/dev/null

status=0
step() { echo; echo "== $*"; }

step "typecheck";       npm run -s typecheck || status=1
step "lint";            npm run -s lint || status=1
step "build";           npx electron-vite build >"$reports/build.log" 2>&1 || { cat "$reports/build.log"; status=1; }
step "security lint";   npm run -s lint:security || status=1
step "unit + integration tests (vitest)"
scripts/with-keyring.sh npx vitest run --reporter=default --reporter=json --outputFile.json="$reports/vitest.json" || status=1
step "end-to-end tests (Playwright, Chromium)"
PLAYWRIGHT_JSON_OUTPUT_FILE="$PWD/$reports/playwright.json" PLAYWRIGHT_JSON_OUTPUT_NAME="$PWD/$reports/playwright.json" \
  scripts/with-keyring.sh npx playwright test --reporter=list,json || status=1

node scripts/test-summary.mjs "$reports/vitest.json" "$reports/playwright.json" || status=1
exit $status
