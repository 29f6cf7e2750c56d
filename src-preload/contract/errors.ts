/** Stable error codes that cross the bridge. Never rename one: the renderer keys UI on them. */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'DB_UNAVAILABLE',
  'UNSUPPORTED',
  'NOT_CONFIGURED',
  'KEYCHAIN_UNAVAILABLE',
  'TOOL_MISSING',
  'CANCELLED',
  'INTERNAL',
  /** An outside service (Stripe) asked the console to slow down; retry later. */
  'RATE_LIMITED',
  /** An outside service (Stripe) could not be reached or failed. */
  'UPSTREAM_UNAVAILABLE'
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ErrorPayload {
  code: ErrorCode
  /** A sentence a person can act on. Never SQL text, a stack trace or a secret. */
  message: string
  /** Optional structured facts (e.g. current values on CONFLICT). Must be JSON-safe. */
  details?: unknown
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload }
