import { useState } from 'react'
import { formatBytes, formatDateTime, formatInt, formatRelative } from '../../lib/format'
import { ConfirmFooter, Dialog, ErrorNote, Warnings } from './Dialog'
import { useDeletePreview, useHardDelete } from './queries'

/**
 * Hard delete: shows what will be dropped (tables, rows, size), what blocks it
 * (status, grace period, a verified backup younger than 24 hours), and asks the
 * operator to type the slug. The database function refuses anything unsafe again.
 */
export function HardDeleteDialog({
  tenant,
  onClose,
  onDeleted
}: {
  tenant: { id: string; slug: string; name: string }
  onClose(): void
  onDeleted(): void
}) {
  const preview = useDeletePreview(tenant.id)
  const del = useHardDelete()
  const [typed, setTyped] = useState('')
  const [override, setOverride] = useState('')
  const p = preview.data
  const needsOverride = Boolean(p?.insideGrace)
  const ready = Boolean(p && p.blockers.length === 0 && typed === p.slug && (!needsOverride || override.trim().length >= 5))
  if (del.isSuccess) {
    return (
      <Dialog title="Tenant deleted" onClose={onDeleted} testId="lc-harddelete-dialog" footer={<button type="button" className="btn" onClick={onDeleted} data-autofocus>Close</button>}>
        <p role="status" data-testid="lc-result">
          Tenant <span className="mono">{del.data.slug}</span> and schema <span className="mono">{del.data.schemaName}</span> ({del.data.droppedTables.length} tables) were
          deleted. The console's operator log keeps the record.
        </p>
        <Warnings warnings={del.data.warnings} />
      </Dialog>
    )
  }
  return (
    <Dialog
      title={`Hard delete ${tenant.name}`}
      onClose={onClose}
      wide
      testId="lc-harddelete-dialog"
      footer={
        <ConfirmFooter
          cancel="Keep tenant"
          onCancel={onClose}
          confirm="Delete permanently"
          busy="Deleting…"
          pending={del.isPending}
          disabled={!ready}
          danger
          testId="lc-confirm"
          onConfirm={() => del.mutate({ id: tenant.id, confirmSlug: typed, expectedSchema: p!.schemaName, overrideReason: needsOverride ? override.trim() : undefined })}
        />
      }
    >
      {preview.isPending && <p className="muted">Reading what would be dropped…</p>}
      <ErrorNote error={preview.error} />
      {p && (
        <>
          <p className="lc-danger-note">
            This drops schema <span className="mono">{p.resolvedSchemaName ?? p.schemaName}</span> with everything in it and removes the tenant's row, settings,
            usage, invitations and audit rows. It cannot be undone.
          </p>
          <table className="lc-table" data-testid="lc-drop-tables">
            <thead>
              <tr>
                <th>Table</th>
                <th className="num">Rows</th>
                <th className="num">Size</th>
              </tr>
            </thead>
            <tbody>
              {p.tables.map((t) => (
                <tr key={t.name}>
                  <td className="mono">{t.name}</td>
                  <td className="num">{formatInt(t.rows)}</td>
                  <td className="num">{formatBytes(t.sizeBytes)}</td>
                </tr>
              ))}
              {p.tables.length === 0 && (
                <tr>
                  <td colSpan={3} className="muted">
                    {p.resolvedSchemaName ? 'The schema has no tables.' : 'The schema does not exist; only the rows go.'}
                  </td>
                </tr>
              )}
            </tbody>
            <tfoot>
              <tr>
                <th>{p.tables.length} tables</th>
                <th className="num" data-testid="lc-total-rows">{formatInt(p.totalRows)}</th>
                <th className="num">{formatBytes(p.totalBytes)}</th>
              </tr>
            </tfoot>
          </table>
          <dl className="lc-facts">
            <dt>Cancelled</dt>
            <dd>{p.cancelledAt ? `${formatDateTime(p.cancelledAt)} (${formatRelative(p.cancelledAt)})` : '—'}</dd>
            <dt>Grace period</dt>
            <dd>
              {p.graceDays} days{p.graceEndsAt ? `, ${p.insideGrace ? 'ends' : 'ended'} ${formatDateTime(p.graceEndsAt)}` : ''}
            </dd>
            <dt>Verified backup</dt>
            <dd>
              {p.backup ? `${p.backup.fileName}, verified ${formatRelative(p.backup.verifiedAt)}` : <span className="lc-bad">none younger than 24 hours</span>}
              {p.backup?.schemaMissing && <div className="small">Public rows only: the tenant's schema was missing when it was backed up.</div>}
            </dd>
          </dl>
          {p.blockers.length > 0 && (
            <div className="lc-blockers" role="alert" data-testid="lc-blockers">
              <b>Hard delete is not possible yet:</b>
              <ul>
                {p.blockers.map((b) => (
                  <li key={b}>{b}</li>
                ))}
              </ul>
            </div>
          )}
          {needsOverride && p.blockers.length === 0 && (
            <label className="lc-field">
              <span>
                Inside the grace period: an admin may delete early with a reason <b>(required)</b>
              </span>
              <textarea rows={2} maxLength={1000} value={override} onChange={(e) => setOverride(e.target.value)} aria-label="Override reason" />
            </label>
          )}
          <label className="lc-field">
            <span>
              Type <b className="mono">{p.slug}</b> to confirm
            </span>
            <input
              type="text"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              disabled={p.blockers.length > 0}
              aria-label="Type the slug to confirm"
              data-testid="lc-confirm-slug"
            />
          </label>
          {typed && typed !== p.slug && <p className="lc-bad small">That is not the slug.</p>}
        </>
      )}
      <ErrorNote error={del.error} />
    </Dialog>
  )
}
