import { ApiError } from '../api/bridge'
import { IconAlert, IconDatabase, IconRefresh } from './icons'

const TITLES: Record<string, string> = {
  DB_UNAVAILABLE: 'The database cannot be reached',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  UNSUPPORTED: 'Not available on this database',
  NOT_CONFIGURED: 'No database selected',
  INVALID_INPUT: 'The request was not valid',
  RATE_LIMITED: 'Stripe is limiting requests',
  UPSTREAM_UNAVAILABLE: 'Stripe cannot be reached'
}

/** A failed query, in words, with a way to try again. */
export function ErrorState({
  error,
  onRetry,
  retrying = false,
  compact = false
}: {
  error: unknown
  onRetry?: () => void
  retrying?: boolean
  compact?: boolean
}) {
  const code = error instanceof ApiError ? error.code : 'INTERNAL'
  const title = TITLES[code] ?? 'Something went wrong'
  const raw = error instanceof Error ? error.message : 'Something went wrong.'
  // Main's messages often open with the same sentence as the title: say it once.
  const message = raw.startsWith(`${title}.`) ? raw.slice(title.length + 1).trim() : raw
  const Icon = code === 'DB_UNAVAILABLE' ? IconDatabase : IconAlert
  return (
    <div className={`state state-error${compact ? ' state-compact' : ''}`} role="alert" data-error-code={code}>
      <div className="state-icon">
        <Icon width={22} height={22} />
      </div>
      <div className="state-title">{title}</div>
      <p className="state-text">{message}</p>
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry} disabled={retrying}>
          <IconRefresh className={retrying ? 'spin' : undefined} />
          {retrying ? 'Retrying…' : 'Retry'}
        </button>
      )}
    </div>
  )
}
