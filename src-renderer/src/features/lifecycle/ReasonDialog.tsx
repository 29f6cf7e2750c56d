import { useState } from 'react'
import { SUSPEND_REASONS, SUSPEND_REASON_LABELS, type SubscriptionCancelChoice, type SuspendReason } from '../../../../src-preload/contract'
import { StatusPill } from '../../components/Pill'
import { ConfirmFooter, Dialog, ErrorNote, Warnings, conflictCurrent } from './Dialog'
import { useStatusAction, type StatusAction } from './queries'

const TITLES: Record<StatusAction, string> = {
  suspend: 'Suspend tenant',
  reactivate: 'Reactivate tenant',
  cancel: 'Cancel tenant',
  restore: 'Restore tenant'
}

/** Reason picker: one of the fixed reasons; "other" needs a note. */
export function ReasonPicker({
  reason,
  note,
  onReason,
  onNote
}: {
  reason: SuspendReason | ''
  note: string
  onReason(r: SuspendReason): void
  onNote(n: string): void
}) {
  return (
    <>
      <fieldset className="lc-reasons">
        <legend>Reason</legend>
        {SUSPEND_REASONS.map((r) => (
          <label key={r} className="lc-radio">
            <input type="radio" name="reason" value={r} checked={reason === r} onChange={() => onReason(r)} />
            {SUSPEND_REASON_LABELS[r]}
          </label>
        ))}
      </fieldset>
      <label className="lc-field">
        <span>Note {reason === 'other' ? <b>(required)</b> : <span className="muted">(optional)</span>}</span>
        <textarea rows={2} maxLength={1000} value={note} onChange={(e) => onNote(e.target.value)} aria-label="Note" />
      </label>
    </>
  )
}

/**
 * Cancel: how the tenant's Stripe subscription ends. Says only what the console asks of
 * Stripe: cancel_at_period_end, or a cancel with Stripe's defaults (no proration credit, no
 * final invoice requested).
 */
export function SubscriptionChoice({ value, onChange }: { value: SubscriptionCancelChoice; onChange(v: SubscriptionCancelChoice): void }) {
  return (
    <fieldset className="lc-reasons" data-testid="lc-subscription-choice">
      <legend>Stripe subscription (if the tenant has one)</legend>
      <label className="lc-radio lc-choice">
        <input type="radio" name="subscription" value="period_end" checked={value === 'period_end'} onChange={() => onChange('period_end')} />
        <span>
          <span>
            <b>At the end of the period</b> (default)
          </span>
          <span className="small muted">
            The subscription runs to the end of the period already paid, then ends without renewing. Nothing more is billed.
          </span>
        </span>
      </label>
      <label className="lc-radio lc-choice">
        <input type="radio" name="subscription" value="now" checked={value === 'now'} onChange={() => onChange('now')} />
        <span>
          <b>At once</b>
          <span className="small muted">
            Stripe ends the subscription now: no further invoices for it. The console asks for no proration credit and no final invoice
            (Stripe’s defaults), so the unused part of the period is not credited automatically; refund it in Stripe if you mean to.
          </span>
        </span>
      </label>
      <p className="small muted">
        Sent to Stripe once, after the tenant is cancelled. Without a Stripe key it stays pending and can be sent from the tenant’s Billing tab.
      </p>
    </fieldset>
  )
}

export function ReasonDialog({
  action,
  tenant,
  graceDays,
  onClose
}: {
  action: StatusAction
  tenant: { id: string; slug: string; name: string; status: string }
  graceDays: number
  onClose(): void
}) {
  const m = useStatusAction()
  const [reason, setReason] = useState<SuspendReason | ''>('')
  const [note, setNote] = useState('')
  const [returnTo, setReturnTo] = useState<'' | 'active' | 'trial'>('')
  const [subscription, setSubscription] = useState<SubscriptionCancelChoice>('period_end')
  const needsReason = action === 'suspend' || action === 'reactivate'
  const valid = !needsReason || (reason !== '' && (reason !== 'other' || note.trim() !== ''))
  const current = conflictCurrent(m.error)
  const submit = () =>
    m.mutate({ action, id: tenant.id, reason: reason || undefined, note: note.trim() || undefined, expectedStatus: tenant.status, returnTo: returnTo || undefined, subscription: action === 'cancel' ? subscription : undefined })
  const done = m.isSuccess
  return (
    <Dialog
      title={TITLES[action]}
      onClose={onClose}
      testId={`lc-${action}-dialog`}
      footer={
        done ? (
          <button type="button" className="btn lc-primary" onClick={onClose} data-autofocus>
            Close
          </button>
        ) : (
          <ConfirmFooter
            cancel="Keep as is"
            onCancel={onClose}
            confirm={TITLES[action].replace(' tenant', '')}
            busy="Working…"
            pending={m.isPending}
            disabled={!valid}
            danger={action === 'cancel'}
            testId="lc-confirm"
            onConfirm={submit}
          />
        )
      }
    >
      <p className="lc-target">
        <b>{tenant.name}</b> <span className="mono">{tenant.slug}</span> <StatusPill status={tenant.status} />
      </p>
      {action === 'suspend' && <p className="small">Members are locked out until the tenant is reactivated. The app sees the change at once when the profile has a Redis URL.</p>}
      {action === 'cancel' && (
        <p className="small">
          The tenant is marked cancelled now: its members lose access. It can be restored within {graceDays} days; after that an admin may
          hard-delete it.
        </p>
      )}
      {action === 'cancel' && !done && <SubscriptionChoice value={subscription} onChange={setSubscription} />}
      {action === 'reactivate' && !done && (
        <label className="lc-field">
          <span>Return to</span>
          <select value={returnTo} onChange={(e) => setReturnTo(e.target.value as '' | 'active' | 'trial')} aria-label="Return to" data-testid="lc-return-to">
            <option value="">the status it had before the suspension</option>
            <option value="active">active</option>
            <option value="trial">trial (restarted if it has ended)</option>
          </select>
        </label>
      )}
      {action === 'restore' && <p className="small">The tenant becomes active again. This is possible within {graceDays} days of the cancellation.</p>}
      {!done && (needsReason ? (
        <ReasonPicker reason={reason} note={note} onReason={setReason} onNote={setNote} />
      ) : (
        <label className="lc-field">
          <span>
            Note <span className="muted">(optional)</span>
          </span>
          <textarea rows={2} maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} aria-label="Note" />
        </label>
      ))}
      {current && (
        <p className="lc-conflict" role="alert">
          Another operator changed this tenant: it is now <StatusPill status={String(current.status)} />. Nothing was done.
        </p>
      )}
      {!current && <ErrorNote error={m.error} />}
      {done && (
        <div className="lc-success" role="status" data-testid="lc-result">
          <p>{m.data.message}</p>
          <Warnings warnings={m.data.warnings} />
        </div>
      )}
    </Dialog>
  )
}
