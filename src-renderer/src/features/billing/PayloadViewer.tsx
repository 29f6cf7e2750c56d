import { useMemo, useState } from 'react'
import { ErrorState } from '../../components/ErrorState'
import { useEventPayload } from './queries'

/** An event's JSON, formatted, with a search that marks and counts the matching lines. */
export function PayloadViewer({ eventId, onClose }: { eventId: string; onClose(): void }) {
  const q = useEventPayload(eventId)
  const [term, setTerm] = useState('')
  const lines = useMemo(() => (q.data ? q.data.json.split('\n') : []), [q.data])
  const needle = term.trim().toLowerCase()
  const hits = needle ? lines.reduce((n, l) => n + (l.toLowerCase().includes(needle) ? 1 : 0), 0) : 0
  return (
    <div className="bl-payload" role="dialog" aria-label={`Payload of ${eventId}`} data-testid="payload-viewer">
      <div className="bl-payload-head">
        <strong className="mono">{eventId}</strong>
        {q.data && <span className="muted small">from {q.data.source === 'table' ? 'the app’s table' : 'Stripe'}</span>}
        <input type="search" placeholder="Search the payload" value={term} onChange={(e) => setTerm(e.target.value)} aria-label="Search the payload" maxLength={200} />
        {needle && <span className="small" data-testid="payload-hits">{hits} matching line{hits === 1 ? '' : 's'}</span>}
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      </div>
      {q.isError ? (
        <ErrorState error={q.error} compact />
      ) : !q.data ? (
        <div className="muted">Loading…</div>
      ) : (
        <pre className="bl-json">
          {lines.map((l, i) => (
            <div key={i} className={needle && l.toLowerCase().includes(needle) ? 'hit' : undefined}>
              {l}
            </div>
          ))}
        </pre>
      )}
    </div>
  )
}
