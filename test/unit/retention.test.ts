import { describe, expect, it } from 'vitest'
import { decideRetention, type RetainedBackup } from '../../src-main/backup'

/** A fixed clock: Sunday 2026-12-06, 03:00 UTC. */
const NOW = new Date('2026-12-06T03:00:00Z')
const b = (id: string, at: string, verified = true): RetainedBackup => ({ id, createdAt: new Date(at), verified, path: `/backups/${id}.nchatbak` })
const kept = (ds: ReturnType<typeof decideRetention>) => ds.filter((d) => d.keep).map((d) => d.backup.id).sort()
const gone = (ds: ReturnType<typeof decideRetention>) => ds.filter((d) => !d.keep).map((d) => d.backup.id).sort()

describe('retention with a fixed clock', () => {
  it('keep-daily 3: the newest verified backup of each of the last 3 days; older ones and same-day duplicates go', () => {
    const backups = [
      b('d0-late', '2026-12-06T02:00:00Z'),
      b('d0-early', '2026-12-06T00:30:00Z'),
      b('d1', '2026-12-05T02:00:00Z'),
      b('d2', '2026-12-04T02:00:00Z'),
      b('d3', '2026-12-03T02:00:00Z'),
      b('d10', '2026-11-26T02:00:00Z')
    ]
    const ds = decideRetention(backups, { daily: 3, weekly: 0, monthly: 0 }, NOW)
    expect(kept(ds)).toEqual(['d0-late', 'd1', 'd2'])
    expect(gone(ds)).toEqual(['d0-early', 'd10', 'd3'])
    expect(ds.find((d) => d.backup.id === 'd1')!.reason).toBe('daily 2026-12-05')
    expect(ds.find((d) => d.backup.id === 'd3')!.reason).toMatch(/^outside the retention policy .*newer verified backup d2/)
  })

  it('weekly and monthly windows keep the newest backup of each ISO week and month', () => {
    const backups = [
      b('mon', '2026-11-30T02:00:00Z'), // Monday of the current week
      b('prev-sun', '2026-11-29T02:00:00Z'), // Sunday: the previous ISO week
      b('prev-mon', '2026-11-23T02:00:00Z'),
      b('oct', '2026-10-15T02:00:00Z'),
      b('sep', '2026-09-15T02:00:00Z')
    ]
    expect(kept(decideRetention(backups, { daily: 0, weekly: 2, monthly: 0 }, NOW))).toEqual(['mon', 'prev-sun'])
    expect(kept(decideRetention(backups, { daily: 0, weekly: 0, monthly: 3 }, NOW))).toEqual(['mon', 'oct'])
    expect(kept(decideRetention(backups, { daily: 1, weekly: 1, monthly: 4 }, NOW))).toEqual(['mon', 'oct', 'sep'])
  })

  it('never deletes the last verified backup, even when it is older than every window', () => {
    const backups = [b('old-good', '2026-01-01T00:00:00Z'), b('older-good', '2025-12-01T00:00:00Z')]
    const ds = decideRetention(backups, { daily: 1, weekly: 0, monthly: 0 }, NOW)
    expect(kept(ds)).toEqual(['old-good'])
    expect(ds[0]!.reason).toBe('newest verified backup')
    expect(gone(ds)).toEqual(['older-good'])
  })

  it('an unverified backup goes only when a newer verified one exists', () => {
    const backups = [
      b('new-unverified', '2026-12-06T02:00:00Z', false),
      b('verified', '2026-12-05T02:00:00Z'),
      b('old-unverified', '2026-12-04T02:00:00Z', false)
    ]
    const ds = decideRetention(backups, { daily: 7, weekly: 0, monthly: 0 }, NOW)
    expect(kept(ds)).toEqual(['new-unverified', 'verified'])
    expect(ds.find((d) => d.backup.id === 'new-unverified')!.reason).toBe('no newer verified backup')
    expect(gone(ds)).toEqual(['old-unverified'])
    expect(ds.find((d) => d.backup.id === 'old-unverified')!.reason).toMatch(/^not verified; newer verified backup verified/)
  })

  it('nothing verified: nothing is deleted', () => {
    const backups = [b('a', '2026-12-06T01:00:00Z', false), b('b', '2026-10-01T01:00:00Z', false)]
    expect(gone(decideRetention(backups, { daily: 1, weekly: 0, monthly: 0 }, NOW))).toEqual([])
  })

  it('no policy deletes nothing; a backup dated after the clock is kept', () => {
    const backups = [b('future', '2026-12-07T00:00:00Z'), b('today', '2026-12-06T01:00:00Z'), b('old', '2026-01-01T00:00:00Z')]
    expect(gone(decideRetention(backups, { daily: 0, weekly: 0, monthly: 0 }, NOW))).toEqual([])
    const ds = decideRetention(backups, { daily: 1, weekly: 0, monthly: 0 }, NOW)
    expect(kept(ds)).toEqual(['future', 'today'])
    expect(gone(ds)).toEqual(['old'])
  })

  it('answers in the order given', () => {
    const backups = [b('x', '2026-11-01T00:00:00Z'), b('y', '2026-12-06T00:00:00Z')]
    expect(decideRetention(backups, { daily: 1, weekly: 0, monthly: 0 }, NOW).map((d) => d.backup.id)).toEqual(['x', 'y'])
  })
})
