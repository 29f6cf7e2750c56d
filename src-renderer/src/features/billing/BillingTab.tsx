import { ErrorState } from '../../components/ErrorState'
import { PaymentPill } from '../../components/Pill'
import { formatCents, formatDate } from '../../lib/format'
import { useSession } from '../../shell/session'
import { useCancelSubscription, useOpenInvoice, useTenantBilling } from './queries'
import './billing.css'

const yes = (v: boolean | null | undefined) => (v === null || v === undefined ? '—' : v ? 'yes' : 'no')

/** A tenant's billing: what the database records, what Stripe says now, recent invoices. */
export function BillingTab({ tenantId }: { tenantId: string }) {
  const q = useTenantBilling(tenantId)
  const open = useOpenInvoice()
  const cancel = useCancelSubscription()
  const isAdmin = useSession().data?.role === 'admin'
  const b = q.data
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} retrying={q.isFetching} compact />
  if (!b) return <div className="muted">Loading billing…</div>
  const s = b.stripe
  return (
    <div className="bl-tab" data-testid="billing-tab">
      <dl>
        <dt>Customer</dt>
        <dd className="mono">{b.customerId ?? '—'}</dd>
        <dt>Subscription</dt>
        <dd className="mono">{b.subscriptionId ?? '—'}</dd>
        <dt>Ids from</dt>
        <dd data-testid="ids-from">{b.idsFrom === 'columns' ? 'the typed columns' : b.idsFrom === 'metadata' ? 'the tenant’s metadata' : 'nowhere (no Stripe ids)'}</dd>
      </dl>
      {b.notes.map((n) => (
        <p key={n} className="note small">
          {n}
        </p>
      ))}
      {s && (
        <>
          <h3 className="small">Stripe now</h3>
          <dl data-testid="billing-stripe">
            <dt>Status</dt>
            <dd>{s.subscriptionStatus ?? '—'}</dd>
            <dt>Plan and price</dt>
            <dd>
              {s.plan ?? 'unknown plan'} · <span className="mono">{s.priceId ?? '—'}</span> · {s.amountCents !== null ? formatCents(s.amountCents, (s.currency ?? 'usd').toUpperCase()) : '—'}
            </dd>
            <dt>Interval</dt>
            <dd>{s.interval ?? '—'}</dd>
            <dt>Period</dt>
            <dd>
              {formatDate(s.periodStart)} – {formatDate(s.periodEnd)}
            </dd>
            <dt>Cancel at period end</dt>
            <dd>{yes(s.cancelAtPeriodEnd)}</dd>
            <dt>Trial end</dt>
            <dd>{s.trialEnd ? formatDate(s.trialEnd) : '—'}</dd>
            <dt>Customer email</dt>
            <dd>{s.customerEmail ?? '—'}</dd>
          </dl>
          <h3 className="small">Recent invoices</h3>
          <table className="bl-table" data-testid="invoices">
            <thead>
              <tr>
                <th>Date</th>
                <th>Number</th>
                <th>Status</th>
                <th>Amount</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {s.invoices.map((i) => (
                <tr key={i.id}>
                  <td>{formatDate(i.createdAt)}</td>
                  <td className="mono">{i.number ?? i.id}</td>
                  <td>{i.status ?? '—'}</td>
                  <td>{formatCents(i.amountCents, i.currency.toUpperCase())}</td>
                  <td>
                    {i.hasHostedUrl && (
                      <button type="button" className="btn btn-small" onClick={() => open.mutate({ id: tenantId, invoiceId: i.id })}>
                        Open
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {open.isError && <ErrorState error={open.error} compact />}
        </>
      )}
      <h3 className="small">Recorded in the database</h3>
      <dl data-testid="billing-recorded">
        <dt>Plan / interval</dt>
        <dd>
          {b.recorded.plan ?? '—'} / {b.recorded.interval ?? '—'}
        </dd>
        <dt>Subscription status</dt>
        <dd>{b.recorded.subscriptionStatus ?? '—'}</dd>
        <dt>Period end</dt>
        <dd>{formatDate(b.recorded.periodEnd)}</dd>
        <dt>Cancel at period end</dt>
        <dd>{yes(b.recorded.cancelAtPeriodEnd)}</dd>
        <dt>Last payment</dt>
        <dd>
          {b.recorded.lastPaymentDate ? formatDate(b.recorded.lastPaymentDate) : '—'} · {b.recorded.lastPaymentAmount !== null ? formatCents(b.recorded.lastPaymentAmount) : '—'}{' '}
          <PaymentPill status={b.recorded.lastPaymentStatus} />
        </dd>
      </dl>
      {b.pendingCancellation && (
        <div className="note note-warn small" data-testid="pending-cancel">
          The tenant was cancelled but its subscription is not cancelled yet. The choice made:{' '}
          <b>{b.pendingCancellationWhen === 'now' ? 'at once' : 'at the end of the period'}</b>.
          {b.pendingCancellationSent ? ' An attempt already reached Stripe, so a retry sends the same request.' : ''}
          {!isAdmin && ' Sending it to Stripe needs the admin role.'}{' '}
          {isAdmin && <button type="button" className="btn btn-small" disabled={cancel.isPending} onClick={() => cancel.mutate({ id: tenantId })}>
            Send to Stripe again
          </button>}
          {isAdmin && !b.pendingCancellationSent && (
            <>
              {' '}
              {b.pendingCancellationWhen === 'now' ? (
                <button type="button" className="btn btn-small" disabled={cancel.isPending} onClick={() => cancel.mutate({ id: tenantId, when: 'period_end' })}>
                  Cancel at period end instead
                </button>
              ) : (
                <button type="button" className="btn btn-small btn-on-danger" disabled={cancel.isPending} onClick={() => cancel.mutate({ id: tenantId, when: 'now' })}>
                  Cancel at once instead
                </button>
              )}
            </>
          )}
          {cancel.data && <div>{cancel.data.message}</div>}
          {cancel.isError && <ErrorState error={cancel.error} compact />}
        </div>
      )}
    </div>
  )
}
