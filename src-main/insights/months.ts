/** Usage periods: the app's tenant_usage.period is the UTC month, 'YYYY-MM'. */

/** The UTC month of a date, 'YYYY-MM'. */
export function periodOf(d: Date): string {
  return d.toISOString().slice(0, 7)
}

/** The `count` months ending with the month of `now`, oldest first. */
export function monthRange(now: Date, count: number): string[] {
  const out: string[] = []
  for (let i = count - 1; i >= 0; i--) out.push(periodOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1))))
  return out
}

/** The first instant of a period. */
export const monthStart = (period: string): Date => new Date(`${period}-01T00:00:00Z`)
