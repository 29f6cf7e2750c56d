// Part of `npm run lint`: no file in src-main over 600 lines unless it says why, in a
// comment starting with "Long file:" (docs/architecture.md). A long file usually holds
// more than one reason to change; split it along its seams instead.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const LIMIT = 600
const root = join(import.meta.dirname, '..')

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield* files(p)
    else if (/\.(ts|tsx|mts|cts)$/.test(e.name)) yield p
  }
}

const over = []
for (const f of files(join(root, 'src-main'))) {
  const text = readFileSync(f, 'utf8')
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
  if (lines > LIMIT && !/^\s*(\/\/|\/?\*+)\s*Long file:/m.test(text)) over.push(`${relative(root, f)}: ${lines} lines`)
}
if (over.length) {
  console.error(`Files in src-main over ${LIMIT} lines without a "Long file:" note saying why:\n  ${over.join('\n  ')}`)
  process.exit(1)
}
