import { z } from 'zod'
import { Uuid } from './common'

/**
 * Reachability: the app's health endpoint (https://<base domain>/api/health) and, for one
 * tenant, "Tenant not found" checked step by step: DNS of <slug>.<base domain> and of its
 * custom domains, the TLS certificate each host presents, and the tenant's health
 * endpoint. Read-only: nothing is written anywhere.
 */

export const ReachTenantInput = z.strictObject({ id: Uuid })

export type StepStatus = 'pass' | 'warn' | 'fail' | 'skipped'

export interface ReachStep {
  /** 'record' (the tenant row), 'dns', 'tls' or 'health'. */
  kind: 'record' | 'dns' | 'tls' | 'health'
  title: string
  status: StepStatus
  /** One line: what was found. */
  summary: string
  /** What was seen (records, certificate names and dates, HTTP status), line by line. */
  evidence: string[]
  /** What to do about it, in words; null when nothing needs doing. */
  fix: string | null
  durationMs: number
}

export interface ReachHost {
  host: string
  /** subdomain: <slug>.<base domain>; custom: the custom_domain column or a tenant_domains row. */
  role: 'subdomain' | 'custom'
  steps: ReachStep[]
  /** The worst status of its steps (skipped counts as nothing). */
  status: StepStatus
}

export interface TenantReachability {
  tenantId: string
  slug: string
  name: string
  baseDomain: string
  /** The DNS server asked ("system" when the profile names none). */
  resolver: string
  checkedAt: string
  durationMs: number
  /** Checks about the tenant itself (its status), before any host. */
  record: ReachStep
  hosts: ReachHost[]
  status: StepStatus
}

/** The app's health endpoint, as the health screen shows it. */
export type AppEndpointStatus =
  | { configured: false; reason: string }
  | {
      configured: true
      url: string
      checkedAt: string
      /** up: 2xx and the body (if JSON) says so; degraded: 2xx but the body says otherwise, or a TLS problem; down: no answer or not 2xx. */
      state: 'up' | 'degraded' | 'down'
      httpStatus: number | null
      latencyMs: number | null
      /** The body's `status` field when the body is JSON with one. */
      bodyStatus: string | null
      /** A TLS problem in words (untrusted, expired, wrong name), or null. */
      tlsProblem: string | null
      /** Why there was no answer, in words, or null. */
      error: string | null
    }
