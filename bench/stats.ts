/** Nearest-rank percentile of an ascending-sorted list (p in 0..100). */
export function pct(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, i)]!
}

/** Median (nearest rank) of an unsorted list. */
export function median(xs: number[]): number {
  return pct([...xs].sort((a, b) => a - b), 50)
}
