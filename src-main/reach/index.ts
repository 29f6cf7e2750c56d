/**
 * Reachability ("Tenant not found"): the app's health endpoint and, per tenant, DNS of
 * <slug>.<base domain> and its custom domains, the TLS certificate each presents, and
 * its health endpoint. Public entry.
 *   service.ts     the two checks (settings from the connection's profile)
 *   settings.ts    base domain, DNS server, trusted authorities, port, time limit
 *   dns.ts         lookups with a time limit (node:dns Resolver, optional server)
 *   probe.ts       TLS handshake facts and GET /api/health
 *   steps.ts       each step's verdict, evidence and fix in words
 *   tenant.ts      the tenant check; endpoint.ts the app's endpoint
 */
export { ReachService } from './service'
export type { ReachOptions } from './settings'
