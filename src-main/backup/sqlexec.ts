/**
 * Runs the SQL script pg_restore writes (`pg_restore -f -`) on one of the console's own
 * connections, so a restore can share a transaction with other statements (the public
 * rows, the schema renames, the checks). The script is cut at pg_restore's entry
 * headers; SQL runs as multi-statement simple queries, and each `COPY ... FROM stdin`
 * block streams through COPY. psql meta-commands pg_restore emits (\restrict,
 * \unrestrict) are dropped: nothing here interprets meta-commands.
 */
import { createInterface } from 'node:readline'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'

export interface SqlRunStats {
  statements: number
  copies: number
  rows: number
}

/** pg_restore's entry headers: `-- Name: x; Type: TABLE; Schema: s; ...` and `-- Data for Name: ...`. */
const HEADER = /^-- (?:Data for )?Name: .*; Type: ([A-Z ]+); Schema: /

async function writeCopy(client: pg.ClientBase, copySql: string, lines: AsyncIterator<string>): Promise<number> {
  const stream = client.query(copyFrom(copySql))
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('finish', () => resolve())
    stream.on('error', reject)
  })
  let rows = 0
  let buf: string[] = []
  let size = 0
  const flush = async () => {
    if (!buf.length) return
    const ok = stream.write(buf.join(''))
    buf = []
    size = 0
    if (!ok) await new Promise<void>((r) => stream.once('drain', () => r()))
  }
  try {
    for (;;) {
      const n = await lines.next()
      if (n.done) throw new Error('The restore script ended inside a COPY block.')
      if (n.value === '\\.') break
      buf.push(n.value + '\n')
      size += n.value.length + 1
      rows++
      if (size >= 256 * 1024) await flush()
    }
    await flush()
    stream.end()
  } catch (e) {
    stream.destroy(e as Error)
    await finished.catch(() => {})
    throw e
  }
  await finished
  return rows
}

/**
 * Executes the script from `input`. `afterSql` runs after each SQL batch (e.g. to
 * re-apply lock_timeout, which pg_restore's preamble sets to 0).
 */
export async function runRestoreScript(
  client: pg.ClientBase,
  input: NodeJS.ReadableStream,
  opts: {
    afterPreamble?: string
    onEntry?: (type: string) => void
    /** After each table's data block (COPY) has been loaded. */
    onCopy?: (stats: SqlRunStats) => void
    /** Checked before each statement: an aborted run stops with `signal.reason`. */
    signal?: AbortSignal
  } = {}
): Promise<SqlRunStats> {
  const rl = createInterface({ input, crlfDelay: Infinity })
  const it = rl[Symbol.asyncIterator]()
  // A cancel stops reading at once: a killed pg_restore (or a wrapper script's orphaned
  // child) may never close its output.
  const stopReading = () => rl.close()
  opts.signal?.addEventListener('abort', stopReading)
  input.once('close', stopReading)
  const stats: SqlRunStats = { statements: 0, copies: 0, rows: 0 }
  let sql: string[] = []
  let lastType = ''
  let preambleDone = false
  const runSql = async () => {
    const text = sql.join('\n').trim()
    sql = []
    if (!text || /^(--[^\n]*\n?|\s)*$/.test(text)) return
    opts.signal?.throwIfAborted()
    await client.query(text)
    stats.statements++
    if (!preambleDone && opts.afterPreamble) {
      preambleDone = true
      await client.query(opts.afterPreamble)
    }
  }
  try {
    for (;;) {
      const n = await it.next()
      if (n.done) break
      const line = n.value
      const h = HEADER.exec(line)
      if (h) {
        await runSql()
        lastType = h[1]!
        opts.onEntry?.(lastType)
        sql.push(line)
        continue
      }
      // COPY data never reaches this point (writeCopy consumes it), so these are meta-commands.
      if (/^\\(restrict|unrestrict)\b/.test(line)) continue
      if (lastType === 'TABLE DATA' && /^COPY .* FROM stdin;$/.test(line)) {
        await runSql()
        opts.signal?.throwIfAborted()
        stats.rows += await writeCopy(client, line, it)
        stats.copies++
        opts.onCopy?.(stats)
        continue
      }
      sql.push(line)
    }
    await runSql()
  } finally {
    opts.signal?.removeEventListener('abort', stopReading)
    input.removeListener('close', stopReading)
    rl.close()
  }
  opts.signal?.throwIfAborted()
  return stats
}
