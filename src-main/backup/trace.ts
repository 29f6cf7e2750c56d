/** NCHAT_BACKUP_TRACE=1 logs phase timings (for the benchmark and profiling). */
const TRACE = Boolean(process.env.NCHAT_BACKUP_TRACE)
const traceTimes = new Map<string, number>()
export function trace(label: string, t0: number): void {
  if (!TRACE) return
  traceTimes.set(label, (traceTimes.get(label) ?? 0) + (performance.now() - t0))
}
export function traceReport(): Record<string, number> {
  const out = Object.fromEntries([...traceTimes].map(([k, v]) => [k, Math.round(v)]))
  traceTimes.clear()
  return out
}
