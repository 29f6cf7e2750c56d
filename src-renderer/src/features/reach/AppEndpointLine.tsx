import { Pill } from '../../components/Pill'
import { formatInt } from '../../lib/format'
import { useSession } from '../../shell/session'
import { useAppEndpoint } from './queries'
import './reach.css'

const TONE = { up: 'green', degraded: 'amber', down: 'red' } as const

/** The app's health endpoint (https://<base domain>/api/health), one line on the health screen. */
export function AppEndpointLine() {
  const session = useSession()
  const role = session.data?.role ?? 'none'
  const q = useAppEndpoint(role !== 'none')
  const e = q.data
  return (
    <div className="rc-endpoint" data-testid="app-endpoint">
      <b>App health endpoint</b>
      {role === 'none' ? (
        <span className="muted">needs a console role</span>
      ) : q.isError ? (
        <span className="rc-problem">{(q.error as Error).message}</span>
      ) : !e ? (
        <span className="muted">checking…</span>
      ) : !e.configured ? (
        <span className="muted" title={e.reason}>
          not configured: the connection profile names no base domain
        </span>
      ) : (
        <>
          <span className="mono">{e.url}</span>
          <Pill tone={TONE[e.state]} dot>
            {e.state}
          </Pill>
          {e.httpStatus !== null && <span>HTTP {e.httpStatus}</span>}
          {e.latencyMs !== null && <span className="muted">{formatInt(e.latencyMs)} ms</span>}
          {e.bodyStatus && <span>status “{e.bodyStatus}”</span>}
          {e.tlsProblem && <span className="rc-problem">TLS: {e.tlsProblem}</span>}
          {e.error && <span className="rc-problem">{e.error}</span>}
        </>
      )}
      <span className="rc-spacer" />
      {role !== 'none' && (
        <button type="button" className="btn btn-small" disabled={q.isFetching} onClick={() => void q.refetch()}>
          {q.isFetching ? 'Checking…' : 'Check now'}
        </button>
      )}
    </div>
  )
}
