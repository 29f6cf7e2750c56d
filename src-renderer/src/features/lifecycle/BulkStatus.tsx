import { useState } from 'react'
import { MAX_MATCHING, type SuspendReason } from '../../../../src-preload/contract'
import { formatInt } from '../../lib/format'
import { StatusPill } from '../../components/Pill'
import type { TenantSelection } from '../tenants/selection'
import { GatedButton } from './GatedButton'
import { ConfirmFooter, Dialog, ErrorNote, Warnings } from './Dialog'
import { ReasonPicker } from './ReasonDialog'
import { useBulkStatus, useCapabilities } from './queries'
import './lifecycle.css'

const OUTCOME_LABEL = { changed: 'done', unchanged: 'already so', failed: 'failed' } as const

/** Suspend or reactivate the directory's selection with one reason; results per tenant. */
export function BulkStatusButton({ selection, action }: { selection: TenantSelection; action: 'suspend' | 'reactivate' }) {
  const caps = useCapabilities()
  const [open, setOpen] = useState(false)
  const p = caps.data?.actions.bulk
  const label = action === 'suspend' ? 'Suspend' : 'Reactivate'
  return (
    <>
      <GatedButton permission={p} className="btn btn-small" onClick={() => setOpen(true)} data-testid={`lc-bulk-${action}`}>
        {label} {formatInt(selection.count)}
      </GatedButton>
      {open && <BulkDialog selection={selection} action={action} onClose={() => setOpen(false)} />}
    </>
  )
}

function BulkDialog({ selection, action, onClose }: { selection: TenantSelection; action: 'suspend' | 'reactivate'; onClose(): void }) {
  const m = useBulkStatus()
  const [reason, setReason] = useState<SuspendReason | ''>('')
  const [note, setNote] = useState('')
  const matching = selection.matching
  // Select all matching: the first tenants by name stand for the rest (main resolves the ids).
  const rows: { id: string; name: string; slug: string; status: string }[] = matching ? matching.preview.sample : [...selection.rows.values()]
  const count = selection.count
  const tooMany = matching !== null && count > MAX_MATCHING.lifecycle
  const valid = reason !== '' && (reason !== 'other' || note.trim() !== '') && !tooMany
  const label = action === 'suspend' ? 'Suspend' : 'Reactivate'
  const r = m.data
  const finish = () => {
    if (r && r.failed === 0) selection.clear()
    onClose()
  }
  return (
    <Dialog
      title={`${label} ${formatInt(count)} tenant${count === 1 ? '' : 's'}`}
      onClose={finish}
      wide
      testId="lc-bulk-dialog"
      footer={
        r ? (
          <button type="button" className="btn lc-primary" onClick={finish}>
            Close
          </button>
        ) : (
          <ConfirmFooter
            cancel="Cancel"
            onCancel={onClose}
            confirm={`${label} all`}
            busy="Working…"
            pending={m.isPending}
            disabled={!valid}
            testId="lc-confirm"
            onConfirm={() =>
              m.mutate(
                matching
                  ? { matching: matching.filter, expected: matching.preview.total, action, reason: reason as SuspendReason, note: note.trim() || undefined }
                  : { ids: rows.map((x) => x.id), action, reason: reason as SuspendReason, note: note.trim() || undefined }
              )
            }
          />
        )
      }
    >
      {matching && (
        <p className="muted" data-testid="lc-bulk-matching">
          Every tenant matching the directory&apos;s search and filters: <b>{formatInt(count)}</b> now (
          {matching.preview.byStatus.map((x) => `${formatInt(x.count)} ${x.status}`).join(', ')}). The console resolves them when you confirm and
          stops if that number has changed. {rows.length < count && `The first ${rows.length} by name are listed below.`}
        </p>
      )}
      {tooMany && (
        <p className="lc-conflict" role="alert" data-testid="lc-bulk-too-many">
          {label} acts on at most {formatInt(MAX_MATCHING.lifecycle)} tenants at once. Narrow the search or filters first.
        </p>
      )}
      {!r && <ReasonPicker reason={reason} note={note} onReason={setReason} onNote={setNote} />}
      {r && (
        <p className={r.failed ? 'lc-conflict' : 'lc-success'} role="status" data-testid="lc-bulk-summary">
          {r.changed} {action === 'suspend' ? 'suspended' : 'reactivated'}, {r.unchanged} already so, <b>{r.failed} failed</b>.
        </p>
      )}
      {r && <Warnings warnings={r.warnings} />}
      <ErrorNote error={m.error} />
      <table className="lc-table" data-testid="lc-bulk-results">
        <thead>
          <tr>
            <th>Tenant</th>
            <th>Status</th>
            {r && <th>Result</th>}
          </tr>
        </thead>
        <tbody>
          {(matching && r ? r.results.filter((x) => x.outcome === 'failed').map((x) => ({ id: x.id, name: x.slug ?? x.id, slug: '', status: x.status ?? '' })) : rows).map((row) => {
            const res = r?.results.find((x) => x.id === row.id)
            return (
              <tr key={row.id} data-outcome={res?.outcome}>
                <td>
                  {row.name} <span className="mono muted">{row.slug}</span>
                </td>
                <td>
                  <StatusPill status={res?.status ?? row.status} />
                </td>
                {r && (
                  <td className={res?.outcome === 'failed' ? 'lc-bad' : undefined}>
                    {res ? (res.outcome === 'failed' ? `${OUTCOME_LABEL.failed}: ${res.message}` : OUTCOME_LABEL[res.outcome]) : '—'}
                  </td>
                )}
              </tr>
            )
          })}
        </tbody>
      </table>
    </Dialog>
  )
}
