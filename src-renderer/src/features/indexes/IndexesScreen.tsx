import { useState } from 'react'
import type { IndexArea, IndexInfo } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { formatBytes } from '../../lib/format'
import { useSession } from '../../shell/session'
import { useConsoleIndexes, useIndexChange } from './queries'
import './indexes.css'

const AREA_LABEL: Record<IndexArea, string> = {
  directory: 'Tenant directory',
  audit: 'Audit timeline',
  billing: 'Billing: webhook failures'
}

/**
 * Every index the console may create on the app's tables, what each serves, and the
 * admin's create / drop. Nothing is created on its own: each is CREATE INDEX
 * CONCURRENTLY (the app keeps writing), named nchat_console_*, logged in the operator log.
 */
export function IndexesScreen() {
  const q = useConsoleIndexes()
  const change = useIndexChange()
  const session = useSession()
  const admin = session.data?.role === 'admin'
  const [bulk, setBulk] = useState<string | null>(null)
  const areas = [...new Set((q.data ?? []).map((i) => i.area))]
  const createMissing = async (list: IndexInfo[]) => {
    for (const i of list.filter((x) => !x.exists && x.canCreate)) {
      setBulk(i.name)
      try {
        await change.mutateAsync({ name: i.name, op: 'create' })
      } catch {
        break
      }
    }
    setBulk(null)
  }
  return (
    <div className="page-scroll" data-testid="console-indexes">
      <div className="page-head">
        <div>
          <h1>Console indexes</h1>
          <p className="page-sub">
            Indexes the console can add to the app’s tables so its screens stay fast on large fleets. The console never creates them on its own: an admin does, here.
          </p>
        </div>
      </div>
      {q.isError && <ErrorState error={q.error} onRetry={() => void q.refetch()} retrying={q.isFetching} />}
      {!admin && q.data && <p className="note small">Creating and dropping needs the admin console role; you can see what exists.</p>}
      {change.isError && (
        <p className="in-error small" role="alert">
          {(change.error as Error).message}
        </p>
      )}
      {areas.map((area) => {
        const list = (q.data ?? []).filter((i) => i.area === area)
        const missing = list.filter((i) => !i.exists)
        return (
          <section key={area} className="ix-card" data-testid={`ix-area-${area}`}>
            <header className="ix-head">
              <h3>{AREA_LABEL[area]}</h3>
              <span className="small muted">
                {list.length - missing.length} of {list.length} present
              </span>
              {admin && missing.some((i) => i.canCreate) && (
                <button type="button" className="btn btn-small" disabled={change.isPending} onClick={() => void createMissing(missing)} data-testid={`ix-create-all-${area}`}>
                  {bulk && missing.some((i) => i.name === bulk) ? `Creating ${bulk}…` : `Create ${missing.length} missing`}
                </button>
              )}
            </header>
            <table className="ix-table">
              <thead>
                <tr>
                  <th>Index</th>
                  <th>Serves</th>
                  <th>State</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.map((i) => (
                  <tr key={i.name} data-testid={`ix-${i.name}`}>
                    <td>
                      <code>{i.name}</code>
                      <div className="muted small mono ix-def" title={i.definition}>
                        {i.definition.replace(/^CREATE INDEX CONCURRENTLY \S+ /, '')}
                      </div>
                    </td>
                    <td className="small">
                      {i.purpose}
                      {i.reason && !i.exists && <div className="note note-warn small">{i.reason}</div>}
                    </td>
                    <td className="small">{i.exists ? `present, ${formatBytes(i.sizeBytes)}` : i.invalid ? 'invalid (failed build)' : 'missing'}</td>
                    <td>
                      {admin &&
                        (i.exists || i.invalid ? (
                          <button
                            type="button"
                            className="btn btn-small"
                            disabled={change.isPending || !i.canCreate}
                            title={i.reason ?? undefined}
                            onClick={() => change.mutate({ name: i.name, op: 'drop' })}
                          >
                            {change.isPending && change.variables?.name === i.name ? 'Dropping…' : 'Drop'}
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="btn btn-small"
                            disabled={change.isPending || !i.canCreate}
                            title={i.reason ?? undefined}
                            onClick={() => change.mutate({ name: i.name, op: 'create' })}
                          >
                            {change.isPending && change.variables?.name === i.name ? 'Creating…' : 'Create'}
                          </button>
                        ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )
      })}
    </div>
  )
}
