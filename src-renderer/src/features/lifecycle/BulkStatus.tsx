import { useState } from 'react'
import type { SuspendReason } from '../../../../src-preload/contract'
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
        {label} {selection.count}
      </GatedButton>
      {open && <BulkDialog selection={selection} action={action} onClose={() => setOpen(false)} />}
    </>
  )
}

function BulkDialog({ selection, action, onClose }: { selection: TenantSelection; action: 'suspend' | 'reactivate'; onClose(): void }) {
  const m = useBulkStatus()
  const [reason, setReason] = useState<SuspendReason | ''>('')
  const [note, setNote] = useState('')
  const rows = [...selection.rows.values()]
  const valid = reason !== '' && (reason !== 'other' || note.trim() !== '')
  const label = action === 'suspend' ? 'Suspend' : 'Reactivate'
  const r = m.data
  const finish = () => {
    if (r && r.failed === 0) selection.clear()
    onClose()
  }
  return (
    <Dialog
      title={`${label} ${rows.length} tenant${rows.length === 1 ? '' : 's'}`}
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
            onConfirm={() => m.mutate({ ids: rows.map((x) => x.id), action, reason: reason as SuspendReason, note: note.trim() || undefined })}
          />
        )
      }
    >
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
          {rows.map((row) => {
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
