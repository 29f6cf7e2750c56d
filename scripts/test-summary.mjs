// Adds up vitest's and Playwright's JSON reports into one closing line.
import { existsSync, readFileSync } from 'node:fs'

let passed = 0
let failed = 0
let skipped = 0
const [vitestFile, pwFile] = process.argv.slice(2)
if (vitestFile && existsSync(vitestFile)) {
  const v = JSON.parse(readFileSync(vitestFile, 'utf8'))
  passed += v.numPassedTests ?? 0
  // A test file that failed without any failed test (it did not load, or a hook threw)
  // is one more failure; a file's failed tests are already counted.
  const brokenFiles = (v.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length
  failed += (v.numFailedTests ?? 0) + brokenFiles
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0)
} else {
  console.log('vitest report missing')
  failed += 1
}
if (pwFile && existsSync(pwFile)) {
  const p = JSON.parse(readFileSync(pwFile, 'utf8'))
  passed += p.stats?.expected ?? 0
  // "flaky" tests failed once and passed on a retry: they count as passed.
  passed += p.stats?.flaky ?? 0
  failed += p.stats?.unexpected ?? 0
  skipped += p.stats?.skipped ?? 0
  if ((p.errors ?? []).length) failed += p.errors.length
} else {
  console.log('playwright report missing')
  failed += 1
}
console.log(`total: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed ? 1 : 0)
