import { IconDatabase, IconRefresh } from '../components/icons'

export function DbBanner({ onRetry, retrying }: { onRetry: () => void; retrying: boolean }) {
  return (
    <div className="db-banner" role="alert" data-testid="db-banner">
      <IconDatabase />
      <span>
        <b>Database unreachable.</b> The console will keep trying every few seconds; nothing you see is being updated.
      </span>
      <button type="button" className="btn btn-small btn-on-danger" onClick={onRetry} disabled={retrying}>
        <IconRefresh className={retrying ? 'spin' : undefined} />
        {retrying ? 'Retrying…' : 'Retry now'}
      </button>
    </div>
  )
}
