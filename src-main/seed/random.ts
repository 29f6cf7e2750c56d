/** Deterministic randomness for the demo fleet: every value is a function of the seed. */

/** Mixes numbers into one 32-bit seed (so each tenant gets its own stream). */
function mix(...parts: number[]): number {
  let h = 0x811c9dc5
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0
    h ^= h >>> 15
  }
  return h >>> 0
}

/** sfc32: 128-bit state. */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    let t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    t = (t + d) | 0
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
}

/**
 * A deterministic stream keyed by any number of integers (seed, purpose, tenant...).
 * The state is 128 bits: with a 32-bit generator (mulberry32) every stream is a
 * shifted window of one 2^32 cycle, and at 10,000 tenants two tenants' streams
 * overlapped and produced the same uuids.
 */
export class Rng {
  private readonly next: () => number
  constructor(...key: number[]) {
    this.next = sfc32(mix(0x9e3779b9, ...key), mix(0x85ebca6b, ...key), mix(0xc2b2ae35, ...key), mix(0x27d4eb2f, ...key))
    for (let i = 0; i < 12; i++) this.next()
  }
  float(): number {
    return this.next()
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0)
    let r = this.next() * total
    for (const [v, w] of items) {
      r -= w
      if (r < 0) return v
    }
    return items[items.length - 1]![0]
  }
  /** Fisher-Yates on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const a = [...items]
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      ;[a[i], a[j]] = [a[j]!, a[i]!]
    }
    return a
  }
  hex(n: number): string {
    let s = ''
    for (let i = 0; i < n; i++) s += Math.floor(this.next() * 16).toString(16)
    return s
  }
  alnum(n: number): string {
    const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    let s = ''
    for (let i = 0; i < n; i++) s += a[Math.floor(this.next() * a.length)]
    return s
  }
  /** RFC 4122 version-4 uuid built from this stream (valid for zod's uuid()). */
  uuid(): string {
    const h = this.hex(32).split('')
    h[12] = '4'
    h[16] = '89ab'[parseInt(h[16]!, 16) & 3]!
    const s = h.join('')
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
  }
}
