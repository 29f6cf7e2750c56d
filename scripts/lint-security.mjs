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
const bin = join(root, 'node_modules/.bin/electronegativity')
const r = spawnSync(bin, ['-i', stage, '-e', electronVersion, '-r', '-v', 'false', '-o', csv], {
  encoding: 'utf8',
  timeout: 600_000
})
if (r.status !== 0) {
  console.error(r.stdout, r.stderr)
  console.error('electronegativity failed to run')
  process.exit(2)
}

function parseCsvLine(line) {
  const out = []
  let cur = ''
  let q = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (ch === '"') q = false
      else cur += ch
    } else if (ch === '"') q = true
    else if (ch === ',') {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out
}

const lines = readFileSync(csv, 'utf8').split('\n').slice(1).filter(Boolean)
rmSync(stage, { recursive: true, force: true })
const findings = lines.map(parseCsvLine).map(([check, severity, confidence, file, location, sample]) => ({
  check,
  severity,
  confidence,
  file: file.replace(/^\/?/, ''),
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
