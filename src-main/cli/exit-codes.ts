import type { ErrorCode } from '../../src-preload/contract'

/**
 * Exit status per stable error code (documented in README "Command line" and in
 * `nchat-console --help`). Never renumber one: scripts test them.
 */
export const EXIT_CODES: Record<ErrorCode, number> = {
  INTERNAL: 1,
  INVALID_INPUT: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  FORBIDDEN: 5,
  DB_UNAVAILABLE: 6,
  UNSUPPORTED: 7,
  NOT_CONFIGURED: 8,
  KEYCHAIN_UNAVAILABLE: 9,
  TOOL_MISSING: 10,
  CANCELLED: 11,
  RATE_LIMITED: 13,
  UPSTREAM_UNAVAILABLE: 14
}

/** `backups run` (and a batch export): finished, but one or more tenants failed. */
export const EXIT_TENANTS_FAILED = 12

export function exitCodeTable(): string {
  const rows: [string, string][] = [
    ['0', 'success'],
    ...Object.entries(EXIT_CODES)
      .sort((a, b) => a[1] - b[1])
      .map(([code, n]): [string, string] => [String(n), code]),
    [String(EXIT_TENANTS_FAILED), 'TENANTS_FAILED (a batch or scheduled run finished with failed tenants)']
  ]
  return rows.map(([n, what]) => `  ${n.padStart(2)}  ${what}`).join('\n')
}
