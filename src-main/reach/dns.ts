import { Resolver } from 'node:dns/promises'

/** What DNS says about one name. */
export interface DnsAnswer {
  /** The CNAME chain from the name (first hop first); [] when the name has no CNAME. */
  cnames: string[]
  addresses: string[]
  /** null: answered. Else the resolver's code and the reason in words. */
  error: { code: string; words: string } | null
}

const CHAIN_LIMIT = 8

/** Lookups with a time limit, on the configured server or the system's. */
export class Dns {
  constructor(
    private readonly server: string | null,
    private readonly timeoutMs: number
  ) {}

  get label(): string {
    return this.server ?? 'system'
  }

  lookup(name: string): Promise<DnsAnswer> {
    // One resolver per name: a timeout cancels only that name's queries.
    return new NameLookup(this.server, this.timeoutMs).run(name)
  }
}

class NameLookup {
  private readonly resolver: Resolver

  constructor(
    private readonly server: string | null,
    private readonly timeoutMs: number
  ) {
    // c-ares' own timeout is per try; the overall limit is enforced below as well.
    this.resolver = new Resolver({ timeout: Math.max(100, Math.floor(timeoutMs / 2)), tries: 2 })
    if (server) this.resolver.setServers([server])
  }

  private async limited<T>(what: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.resolver.cancel()
        reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' }))
      }, this.timeoutMs)
    })
    try {
      return await Promise.race([what, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private async cname(name: string): Promise<string | null> {
    try {
      const r = await this.limited(this.resolver.resolveCname(name))
      return r[0] ? r[0].toLowerCase().replace(/\.$/, '') : null
    } catch (e) {
      const code = (e as { code?: string }).code
      if (code === 'ENODATA') return null
      throw e
    }
  }

  private async addressesOf(name: string): Promise<string[]> {
    const one = async (q: Promise<string[]>) => {
      try {
        return await this.limited(q)
      } catch (e) {
        if ((e as { code?: string }).code === 'ENODATA') return []
        throw e
      }
    }
    const [v4, v6] = await Promise.all([one(this.resolver.resolve4(name)), one(this.resolver.resolve6(name))])
    return [...v4, ...v6]
  }

  async run(name: string): Promise<DnsAnswer> {
    const cnames: string[] = []
    try {
      let at = name
      for (let i = 0; i < CHAIN_LIMIT; i++) {
        const next = await this.cname(at)
        if (!next || cnames.includes(next)) break
        cnames.push(next)
        at = next
      }
      const addresses = await this.addressesOf(name)
      return { cnames, addresses, error: addresses.length ? null : { code: 'ENODATA', words: `${name} exists but has no address (A or AAAA record)` } }
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'EUNKNOWN'
      return { cnames, addresses: [], error: { code, words: dnsWords(code, name, this.server ?? 'system') } }
    }
  }
}

export function dnsWords(code: string, name: string, server: string): string {
  const by = server === 'system' ? 'the system resolver' : `the DNS server ${server}`
  switch (code) {
    case 'ENOTFOUND':
      return `${name} does not exist in DNS (NXDOMAIN from ${by})`
    case 'ENODATA':
      return `${name} has no address record`
    case 'ETIMEOUT':
      return `${by} did not answer for ${name} in time`
    case 'ECONNREFUSED':
      return `${by} refused the query`
    case 'ESERVFAIL':
      return `${by} failed to resolve ${name} (SERVFAIL: often a broken delegation or DNSSEC)`
    case 'EREFUSED':
      return `${by} refused to resolve ${name}`
    case 'ECANCELLED':
      return `the query for ${name} was cancelled`
    default:
      return `${name} could not be resolved by ${by} (${code})`
  }
}
