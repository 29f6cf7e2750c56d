import type { AppEndpointStatus } from '../../src-preload/contract'
import { Dns } from './dns'
import { chainWords, getHealth, healthyWord, probeTls } from './probe'
import { urlOf, type ReachSettings } from './settings'

/** The app's own health endpoint, https://<base domain>/api/health, as the health screen shows it. */
export async function appEndpoint(settings: ReachSettings & { baseDomain: string }): Promise<AppEndpointStatus> {
  const host = settings.baseDomain
  const url = urlOf(host, settings.port)
  const checkedAt = new Date().toISOString()
  const down = (error: string, tlsProblem: string | null = null): AppEndpointStatus => ({ configured: true, url, checkedAt, state: 'down', httpStatus: null, latencyMs: null, bodyStatus: null, tlsProblem, error })
  const ans = await new Dns(settings.dnsServer, settings.timeoutMs).lookup(host)
  const address = ans.addresses[0]
  if (!address) return down(ans.error?.words ?? `${host} has no address`)
  const ep = { address, port: settings.port, host, ca: settings.ca, timeoutMs: settings.timeoutMs }
  const t = await probeTls(ep)
  if (!t.ok) return down(t.words)
  const c = t.cert
  const problems: string[] = []
  if (c.daysLeft < 0) problems.push(`the certificate expired ${-c.daysLeft} days ago (${c.validTo.slice(0, 10)})`)
  if (c.nameError) problems.push(`the certificate does not cover ${host} (it names ${c.names.join(', ') || 'nothing'})`)
  if (c.chainError) problems.push(chainWords(c.chainError))
  const tlsProblem = problems.length ? problems.join('; ') : null
  const r = await getHealth(ep)
  if (!r.ok) return down(r.words, tlsProblem)
  const ok2xx = r.status >= 200 && r.status < 300
  const healthy = ok2xx && (!r.bodyStatus || healthyWord(r.bodyStatus))
  return {
    configured: true,
    url,
    checkedAt,
    state: !ok2xx ? 'down' : healthy && !tlsProblem ? 'up' : 'degraded',
    httpStatus: r.status,
    latencyMs: r.latencyMs,
    bodyStatus: r.bodyStatus,
    tlsProblem,
    error: ok2xx ? null : `the endpoint answered HTTP ${r.status}`
  }
}
