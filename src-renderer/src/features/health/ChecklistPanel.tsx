import type { CheckStatus } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { Pill } from '../../components/Pill'
import { formatDateTime } from '../../lib/format'
import { useChecklist } from './ops-queries'

const TONE: Record<CheckStatus, string> = { pass: 'green', fail: 'red', 'cannot-tell': 'gray' }
const WORD: Record<CheckStatus, string> = { pass: 'pass', fail: 'fail', 'cannot-tell': 'cannot tell' }

/** The deployment guide's security checklist, each line checked where the database can show it. */
export function ChecklistPanel({ enabled }: { enabled: boolean }) {
  const q = useChecklist(enabled)
  const counts = q.data ? q.data.lines.reduce<Record<string, number>>((m, l) => ({ ...m, [l.status]: (m[l.status] ?? 0) + 1 }), {}) : {}
  return (
    <section className="hl-section" aria-label="Security checklist" data-testid="checklist">
      <header className="hl-section-head">
        <h2>The deployment guide’s security checklist</h2>
        {q.data && <span className="muted small">checked {formatDateTime(q.data.checkedAt)}</span>}
        <span className="hl-spacer" />
        {(['pass', 'fail', 'cannot-tell'] as CheckStatus[]).map((s) =>
          counts[s] ? (
            <Pill key={s} tone={TONE[s]}>
              {counts[s]} {WORD[s]}
            </Pill>
          ) : null
        )}
        <button type="button" className="btn btn-small" disabled={!enabled || q.isFetching} onClick={() => void q.refetch()}>
          {q.isFetching ? 'Checking…' : 'Check again'}
        </button>
      </header>
      {!enabled ? (
        <p className="muted small">The checklist needs a console role (support or admin).</p>
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} retrying={q.isFetching} compact />
      ) : !q.data ? (
        <p className="muted small">Checking…</p>
      ) : (
        <table className="hl-checklist">
          <tbody>
            {q.data.lines.map((l) => (
              <tr key={l.id} data-testid="check-line" data-check={l.id} data-status={l.status}>
                <td className="hl-check-status">
                  <Pill tone={TONE[l.status]}>{WORD[l.status]}</Pill>
                </td>
                <td>
                  <div className="hl-check-line">
                    {l.line}
                    {!l.verifiable && <span className="muted small"> · not verifiable from the console</span>}
                  </div>
                  <div className="muted small">{l.evidence}</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
