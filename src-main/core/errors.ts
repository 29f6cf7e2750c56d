import type { ErrorCode, ErrorPayload } from '../../src-preload/contract'

/** An error whose message is safe to show a person and whose code is stable. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown
  ) {
    super(message)
    this.name = 'AppError'
  }
  toPayload(): ErrorPayload {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN'
])

interface PgLikeError {
  code?: string
  message?: string
}

/** True when the error means "the database cannot be reached right now". */
export function isUnavailable(err: unknown): boolean {
  const e = err as PgLikeError | undefined
  if (!e) return false
  const code = e.code ?? ''
  if (UNAVAILABLE_NODE_CODES.has(code)) return true
  // 08xxx connection exceptions, 57P01..03 admin shutdown / crash / cannot connect now, 53300 too many connections
  if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true
  const msg = e.message ?? ''
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    msg
  )
}

/** The message for a database privilege refusal (42501); the registry adds which role to grant. */
export const DB_REFUSED = 'The connected database role is not allowed to do this.'

/**
 * Maps anything thrown by a service to an AppError with a person-readable message.
 * Unknown errors become INTERNAL with a generic message: their text may hold SQL or secrets.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  if (isUnavailable(err)) {
    return new AppError(
      'DB_UNAVAILABLE',
      'The database cannot be reached. Check that the server is running and the connection settings are right, then retry.'
    )
  }
  const code = (err as PgLikeError | undefined)?.code
  switch (code) {
    case '42501':
      return new AppError('FORBIDDEN', DB_REFUSED)
    case '23505':
      return new AppError('CONFLICT', 'That value is already in use by another record.')
    case '40001':
    case '40P01':
    case '55P03':
      return new AppError('CONFLICT', 'Another operation changed or locked this record at the same time. Reload and try again.')
    case '57014':
      return new AppError('INTERNAL', 'The database query took too long and was stopped.')
    default:
      return new AppError('INTERNAL', 'Something went wrong in the console. The details were written to the console log.')
  }
}
