#!/usr/bin/env node
// Runs Electronegativity over the app's sources and fails on any HIGH or MEDIUM
// finding that is not explained in resources/security/electronegativity-allowlist.json.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const electronVersion = pkg.devDependencies.electron.replace(/^[^\d]*/, '')
const allow = JSON.parse(readFileSync(join(root, 'resources/security/electronegativity-allowlist.json'), 'utf8'))

// Scan a copy holding only the app's own sources (no node_modules, no build output).
const stage = mkdtempSync(join(tmpdir(), 'nchat-eneg-'))
for (const d of ['src-main', 'src-preload', 'src-renderer']) cpSync(join(root, d), join(stage, d), { recursive: true })
const csv = join(stage, 'report.csv')
const bin = join(root, 'node_modules/@doyensec/electronegativity/dist/index.js')
const offline = join(root, 'scripts/electronegativity-offline.cjs')
const r = spawnSync(process.execPath, ['--require', offline, bin, '-i', stage, '-e', electronVersion, '-r', '-v', 'false', '-o', csv], {
  encoding: 'utf8',
  timeout: 600_000
})
if (r.status !== 0) {
  console.error(r.stdout, r.stderr)
  console.error('electronegativity failed to run')
  process.exit(2)
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes and newlines. */
function parseCsv(text) {
  const rows = []
  let row = []
  let cur = ''
  let q = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (q) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"'
        i++
      } else if (ch === '"') q = false
      else cur += ch
    } else if (ch === '"') q = true
    else if (ch === ',') {
      row.push(cur)
      cur = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(cur)
      cur = ''
      if (row.some((f) => f.trim() !== '')) rows.push(row)
      row = []
    } else cur += ch
  }
  row.push(cur)
  if (row.some((f) => f.trim() !== '')) rows.push(row)
  return rows
}

const rows = parseCsv(readFileSync(csv, 'utf8')).slice(1)
rmSync(stage, { recursive: true, force: true })
const findings = rows.map(([check = '', severity = '', confidence = '', file = '', location = '', sample = '']) => ({
  check: check.trim(),
  severity: severity.trim(),
  confidence,
  file: file.trim().replace(/^\/?/, ''),
  location,
  sample
}))
const serious = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'MEDIUM')
const unexplained = serious.filter(
  (f) => !allow.some((a) => a.check === f.check && (a.file === '*' || f.file.endsWith(a.file)) && a.reason && a.reviewedBy)
)
for (const f of serious) {
  const ok = !unexplained.includes(f)
  console.log(`${ok ? 'allowed ' : 'FAIL    '} ${f.severity.padEnd(6)} ${f.check} ${f.file}:${f.location}`)
}
console.log(`${findings.length} findings, ${serious.length} HIGH/MEDIUM, ${unexplained.length} unexplained`)
process.exit(unexplained.length ? 1 : 0)
