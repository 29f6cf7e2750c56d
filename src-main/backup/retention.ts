/**
 * Backup retention: which of a tenant's backup files to keep and which to delete, as a
 * pure function of the backups, the policy and a clock (tests pass a fixed one).
 *
 * Windows are calendar periods in UTC counted back from the clock: `daily: 7` keeps the
 * newest verified backup of each of the last 7 days (today included), `weekly: 4` the
 * newest of each of the last 4 ISO weeks (Monday to Sunday), `monthly: 12` the newest of
 * each of the last 12 months. Safety rules come first:
 *  - the newest verified backup is always kept (never the last good one);
 *  - a file is deleted only when a newer verified backup of the same tenant exists, so an
 *    unverified backup newer than every verified one stays (it may be all there is);
 *  - a backup dated after the clock (clock skew) is kept.
 * A policy with no window (all zero) deletes nothing.
 */

export interface RetentionPolicy {
  daily: number
  weekly: number
  monthly: number
}

export interface RetainedBackup {
  id: string
  /** When the backup was taken (the catalog's started_at). */
  createdAt: Date
  /** Verified after writing (or later) and the file is still there. */
  verified: boolean
  path: string
}

export interface RetentionDecision<B extends RetainedBackup = RetainedBackup> {
  backup: B
  keep: boolean
  /** Why, in words: "newest verified backup", "daily 2026-12-05", "older than every window"... */
  reason: string
}

export function hasRetention(p: RetentionPolicy): boolean {
  return p.daily > 0 || p.weekly > 0 || p.monthly > 0
}

const DAY = 86_400_000

/** Days since the Unix epoch (UTC). */
const dayNumber = (d: Date) => Math.floor(d.getTime() / DAY)
/** ISO weeks since the epoch: weeks start on Monday (1970-01-01 was a Thursday). */
const weekNumber = (d: Date) => Math.floor((dayNumber(d) + 3) / 7)
const monthNumber = (d: Date) => d.getUTCFullYear() * 12 + d.getUTCMonth()

const dayLabel = (d: Date) => d.toISOString().slice(0, 10)
const monthLabel = (d: Date) => d.toISOString().slice(0, 7)
function weekLabel(d: Date): string {
  // The Monday that starts the week.
  const monday = new Date((weekNumber(d) * 7 - 3) * DAY)
  return `week of ${dayLabel(monday)}`
}

interface Window {
  name: 'daily' | 'weekly' | 'monthly'
  count: number
  bucket: (d: Date) => number
  label: (d: Date) => string
}

/** Decides for one tenant's backups. The result is in the order given. */
export function decideRetention<B extends RetainedBackup>(backups: readonly B[], policy: RetentionPolicy, now: Date): RetentionDecision<B>[] {
  const byNewest = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
  const reasons = new Map<string, string>()
  const keepWith = (b: B, why: string) => {
    if (!reasons.has(b.id)) reasons.set(b.id, why)
  }

  const verified = byNewest.filter((b) => b.verified)
  const newestVerified = verified[0]
  if (newestVerified) keepWith(newestVerified, 'newest verified backup')
  for (const b of byNewest) if (b.createdAt.getTime() > now.getTime()) keepWith(b, 'dated after the clock')

  if (!hasRetention(policy)) {
    for (const b of byNewest) keepWith(b, 'no retention policy')
  } else {
    const windows: Window[] = [
      { name: 'daily', count: policy.daily, bucket: dayNumber, label: dayLabel },
      { name: 'weekly', count: policy.weekly, bucket: weekNumber, label: weekLabel },
      { name: 'monthly', count: policy.monthly, bucket: monthNumber, label: monthLabel }
    ]
    for (const w of windows) {
      if (w.count <= 0) continue
      const current = w.bucket(now)
      const taken = new Set<number>()
      // Newest first: the first verified backup met in a period is that period's keeper.
      for (const b of verified) {
        const k = w.bucket(b.createdAt)
        if (k > current || current - k >= w.count || taken.has(k)) continue
        taken.add(k)
        keepWith(b, `${w.name} ${w.label(b.createdAt)}`)
      }
    }
  }

  // Never delete without a newer verified backup of the same tenant.
  const decisions = new Map<string, RetentionDecision<B>>()
  for (const b of byNewest) {
    const kept = reasons.get(b.id)
    if (kept) {
      decisions.set(b.id, { backup: b, keep: true, reason: kept })
      continue
    }
    // The closest newer verified backup (verified is newest first).
    const newer = verified.findLast((v) => v.createdAt.getTime() > b.createdAt.getTime() || (v.createdAt.getTime() === b.createdAt.getTime() && v.id > b.id))
    if (!newer) decisions.set(b.id, { backup: b, keep: true, reason: 'no newer verified backup' })
    else
      decisions.set(b.id, {
        backup: b,
        keep: false,
        reason: b.verified
          ? `outside the retention policy (${describePolicy(policy)}); newer verified backup ${newer.id} from ${newer.createdAt.toISOString()}`
          : `not verified; newer verified backup ${newer.id} from ${newer.createdAt.toISOString()}`
      })
  }
  return backups.map((b) => decisions.get(b.id)!)
}

export function describePolicy(p: RetentionPolicy): string {
  return `keep ${p.daily} daily, ${p.weekly} weekly, ${p.monthly} monthly`
}
