import { describe, expect, it } from 'vitest'
import { chooseSources, csvField, estimateMrr, monthRange, periodOf, toCsv } from '../../src-main/insights'

describe('insights helpers', () => {
  it('CSV: quotes what needs it, defuses formulas, keeps numbers and empty cells', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('line\nbreak')).toBe('"line\nbreak"')
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvField('+1')).toBe("'+1")
    expect(csvField(-5)).toBe('-5')
    expect(csvField(null)).toBe('')
    expect(toCsv(['a', 'b'], [[1, null]])).toBe('a,b\r\n1,\r\n')
  })

  it('months: UTC periods, oldest first, across a year boundary', () => {
    expect(periodOf(new Date('2026-01-31T23:30:00-05:00'))).toBe('2026-02')
    expect(monthRange(new Date('2026-02-15T00:00:00Z'), 3)).toEqual(['2025-12', '2026-01', '2026-02'])
  })

  it('revenue estimate: yearly is a twelfth, overrides replace list prices, unknown plans are named', () => {
    const notes: string[] = []
    const m = estimateMrr(
      [
        { plan: 'pro', interval: 'yearly', listPriced: 12, overrides: 0, overrideCents: 0 },
        { plan: 'pro', interval: 'monthly', listPriced: 1, overrides: 2, overrideCents: 700 },
        { plan: 'business', interval: 'monthly', listPriced: 3, overrides: 0, overrideCents: 0 }
      ],
      notes
    )
    expect(m.byPlan).toEqual([
      { plan: 'pro', tenants: 15, cents: 15000 + 1500 + 700 },
      { plan: 'business', tenants: 3, cents: 0 }
    ])
    expect(m.overrides).toBe(2)
    expect(notes).toEqual([expect.stringMatching(/No list price is known for plan business/)])
  })

  it('finds source tables by what the template has', () => {
    const t = (entries: Record<string, string[]>) => new Map(Object.entries(entries).map(([k, v]) => [k, new Set(v)]))
    expect(
      chooseSources(t({ nchat_users: ['id', 'email', 'last_seen_at'], nchat_messages: ['id', 'created_at'], nchat_attachments: ['id', 'size_bytes'] }))
    ).toEqual({
      users: { table: 'nchat_users', activeColumn: 'last_seen_at' },
      messages: { table: 'nchat_messages', createdColumn: 'created_at' },
      files: { table: 'nchat_attachments', sizeColumn: 'size_bytes' },
      channels: null
    })
    // A users table without an email column is not taken for the app's users.
    expect(chooseSources(t({ bot_users: ['id'], users: ['id', 'email'] })).users?.table).toBe('users')
    expect(chooseSources(t({ things: ['id'] }))).toEqual({ users: null, messages: null, files: null, channels: null })
    // Channels, not their members.
    expect(chooseSources(t({ nchat_channel_members: ['id'], nchat_channels: ['id'] })).channels).toEqual({ table: 'nchat_channels' })
  })
})
