import { useState } from 'react'
import { MAINTENANCE_JOBS, type MaintenanceJob } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { formatInt } from '../../lib/format'
import { useAuditIndexes, useCreateIndex, useMaintenancePreview, useMaintenanceRun } from './queries'

const cell = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v))

/** The deployment guide's cleanup jobs (dry run first, then run) and the audit's indexes. Admins only. */
export function MaintenancePanel() {
  return (
    <div className="au-maint" data-testid="maintenance">
      <p className="muted small">
        The deployment guide’s cleanup jobs. Each one first counts what it would change and shows a sample; running it changes exactly that (it is refused if the count
        changed meanwhile), in one transaction, recorded in the operator log. The same jobs are available to scripts through the CLI (maintenance:preview, maintenance:run).
      </p>
      {MAINTENANCE_JOBS.map((j) => (
        <JobCard key={j} job={j} />
      ))}
      <Indexes />
    </div>
  )
}

function JobCard({ job }: { job: MaintenanceJob }) {
  const [asked, setAsked] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const preview = useMaintenancePreview(job, asked)
  const run = useMaintenanceRun()
  const p = preview.data
  return (
    <section className="au-card" data-testid={`job-${job}`}>
      <header className="au-card-head">
        <h3>{p?.title ?? job}</h3>
        <button type="button" className="btn btn-small" onClick={() => (asked ? void preview.refetch() : setAsked(true))} disabled={preview.isFetching}>
          {preview.isFetching ? 'Counting…' : 'Dry run'}
        </button>
      </header>
      {preview.isError && <ErrorState error={preview.error} compact />}
      {p && (
        <>
          <p className="small">{p.explanation}</p>
          {!p.available ? (
            <p className="note note-warn small">{p.unavailable}</p>
          ) : (
            <>
              <p className="small" data-testid="job-count">
                <b>{formatInt(p.count)}</b> {p.count === 1 ? 'row' : 'rows'} would change{p.count > p.sample.length && p.sample.length ? ` (first ${p.sample.length} below)` : ''}.
              </p>
              {p.sample.length > 0 && (
                <div className="au-sample">
                  <table>
                    <thead>
                      <tr>
                        {Object.keys(p.sample[0]!).map((k) => (
                          <th key={k}>{k}</th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {p.sample.map((r, i) => (
                        <tr key={i}>
                          {Object.values(r).map((v, k) => (
                            <td key={k} className="mono small">
                              {cell(v)}
                            </td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              <div className="au-card-foot">
                {run.data && run.variables?.job === job && (
                  <span className="small" data-testid="job-result">
                    Done: {formatInt(run.data.affected)} changed{run.data.mode ? ` (${run.data.mode})` : ''}.
                  </span>
                )}
                {run.isError && run.variables?.job === job && <span className="in-error small">{(run.error as Error).message}</span>}
                <button
                  type="button"
                  className="btn btn-small btn-danger"
                  disabled={p.count === 0 || run.isPending}
                  onClick={() => {
                    if (!confirming) return setConfirming(true)
                    setConfirming(false)
                    run.mutate({ job, token: p.token }, { onSettled: () => void preview.refetch() })
                  }}
                >
                  {run.isPending && run.variables?.job === job ? 'Running…' : confirming ? `Confirm: change ${formatInt(p.count)} now` : `Run on ${formatInt(p.count)}`}
                </button>
                {confirming && (
                  <button type="button" className="btn btn-small" onClick={() => setConfirming(false)}>
                    Keep them
                  </button>
                )}
              </div>
            </>
          )}
        </>
      )}
    </section>
  )
}

function Indexes() {
  const q = useAuditIndexes(true)
  const create = useCreateIndex()
  return (
    <section className="au-card" data-testid="audit-indexes">
      <header className="au-card-head">
        <h3>Indexes for the audit on the app’s table</h3>
      </header>
      <p className="small muted">
        The console never changes the app’s tables on its own. These indexes make the audit’s pages fast on millions of rows; creating one runs CREATE INDEX CONCURRENTLY
        (the app keeps writing meanwhile) and shows the plan of the query it serves before and after.
      </p>
      {q.isError && <ErrorState error={q.error} compact />}
      {q.data?.length === 0 && <p className="small">This database has no app audit table.</p>}
      {q.data?.map((i) => (
        <div key={i.name} className="au-index">
          <div>
            <code>{i.definition}</code>
            <div className="muted small">{i.purpose}</div>
            {!i.canCreate && !i.exists && <div className="note note-warn small">{i.reason}</div>}
          </div>
          {i.exists ? (
            <span className="small">Exists</span>
          ) : (
            <button type="button" className="btn btn-small" disabled={!i.canCreate || create.isPending} onClick={() => create.mutate(i.name)}>
              {create.isPending && create.variables === i.name ? 'Creating…' : 'Create'}
            </button>
          )}
        </div>
      ))}
      {create.isError && <span className="in-error small">{(create.error as Error).message}</span>}
      {create.data && (
        <div className="au-plans">
          <div>
            <div className="small muted">Plan before</div>
            <pre className="au-json">{create.data.planBefore}</pre>
          </div>
          <div>
            <div className="small muted">Plan after</div>
            <pre className="au-json">{create.data.planAfter}</pre>
          </div>
        </div>
      )}
    </section>
  )
}
