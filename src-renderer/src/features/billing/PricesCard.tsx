import { useState } from 'react'
import { BILLING_INTERVALS, PriceId, type BillingInterval, type PriceMapping, type StripePriceOption } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { formatCents, formatDate } from '../../lib/format'
import { usePriceMappings, useRemovePrice, useSavePrice, useStripePrices } from './queries'

const money = (cents: number | null, currency: string | null) => (cents === null ? '—' : formatCents(cents, (currency ?? 'usd').toUpperCase()))

function optionLabel(p: StripePriceOption): string {
  const name = [p.productName ?? p.productId ?? 'no product', p.nickname].filter(Boolean).join(' · ')
  const state = p.mappedTo ? ` — already ${p.mappedTo}` : !p.interval ? ' — not monthly or yearly' : !p.active ? ' — archived' : ''
  return `${name} · ${money(p.amountCents, p.currency)} ${p.recurring} · ${p.priceId}${state}`
}

/** Add a mapping: picked from Stripe's prices when the profile has a key, typed otherwise. */
function AddPrice({ plans, stripe }: { plans: string[]; stripe: boolean }) {
  const save = useSavePrice()
  const [load, setLoad] = useState(false)
  const list = useStripePrices(stripe && load)
  const [priceId, setPriceId] = useState('')
  const [plan, setPlan] = useState('')
  const [interval, setInterval] = useState<BillingInterval>('monthly')
  const idOk = PriceId.safeParse(priceId).success
  const pick = (id: string) => {
    setPriceId(id)
    const p = list.data?.prices.find((x) => x.priceId === id)
    if (p?.interval) setInterval(p.interval)
  }
  const submit = () =>
    save.mutate(
      { mode: 'add', priceId, plan, interval },
      {
        onSuccess: () => {
          setPriceId('')
          setPlan('')
        }
      }
    )
  return (
    <div className="bl-price-add" data-testid="price-add">
      <div className="bl-filters">
        <b className="small">Add a price</b>
        {stripe ? (
          !load ? (
            <button type="button" className="btn btn-small" onClick={() => setLoad(true)}>
              Load prices from Stripe
            </button>
          ) : list.isError ? null : !list.data ? (
            <span className="muted small">Reading Stripe’s prices…</span>
          ) : (
            <select aria-label="Stripe price" value={priceId} onChange={(e) => pick(e.target.value)} className="bl-price-pick">
              <option value="">Pick one of Stripe’s {list.data.prices.length} prices…</option>
              {list.data.prices.map((p) => (
                <option key={p.priceId} value={p.priceId} disabled={!p.interval || Boolean(p.mappedTo)}>
                  {optionLabel(p)}
                </option>
              ))}
            </select>
          )
        ) : (
          <input
            aria-label="Price id"
            placeholder="price_…"
            value={priceId}
            maxLength={206}
            onChange={(e) => setPriceId(e.target.value.trim())}
            className="mono"
            aria-invalid={priceId !== '' && !idOk}
          />
        )}
        <select aria-label="Plan" value={plan} onChange={(e) => setPlan(e.target.value)}>
          <option value="">Plan…</option>
          {plans.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <select aria-label="Interval" value={interval} onChange={(e) => setInterval(e.target.value as BillingInterval)} disabled={stripe && load && Boolean(priceId)}>
          {BILLING_INTERVALS.map((i) => (
            <option key={i} value={i}>
              {i}
            </option>
          ))}
        </select>
        <button type="button" className="btn btn-small btn-primary" disabled={!idOk || !plan || save.isPending} onClick={submit}>
          {save.isPending ? 'Saving…' : 'Add'}
        </button>
      </div>
      {!stripe && (
        <p className="note note-warn small">
          No Stripe key in this profile: the price id is saved as typed, <b>not checked</b> with Stripe. Once a key is set, Edit → Save has Stripe check it.
        </p>
      )}
      {priceId !== '' && !idOk && <p className="bl-problems small">A Stripe price id looks like price_1AbC… (letters, digits and _ after “price_”).</p>}
      {list.data?.truncated && <p className="muted small">Stripe has more prices than the first {list.data.prices.length} listed here.</p>}
      {list.isError && <ErrorState error={list.error} compact onRetry={() => void list.refetch()} />}
      {save.isError && <ErrorState error={save.error} compact />}
      {save.data && (
        <p className="note small" data-testid="price-result">
          {save.data.message}
        </p>
      )}
    </div>
  )
}

function MappingRow({ m, plans, isAdmin, remove }: { m: PriceMapping; plans: string[]; isAdmin: boolean; remove: ReturnType<typeof useRemovePrice> }) {
  const save = useSavePrice()
  const [editing, setEditing] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [plan, setPlan] = useState(m.plan)
  const [interval, setInterval] = useState<BillingInterval>(m.interval)
  const error = save.error ?? (remove.variables === m.priceId ? remove.error : null)
  return (
    <>
      <tr data-price-id={m.priceId}>
        <td className="mono">{m.priceId}</td>
        <td>{m.productName ?? <span className="muted">—</span>}</td>
        <td>{money(m.amountCents, m.currency)}</td>
        <td>
          {editing ? (
            <select aria-label={`Plan of ${m.priceId}`} value={plan} onChange={(e) => setPlan(e.target.value)}>
              {[...new Set([...plans, m.plan])].map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          ) : (
            <b>{m.plan}</b>
          )}
        </td>
        <td>
          {editing ? (
            <select aria-label={`Interval of ${m.priceId}`} value={interval} onChange={(e) => setInterval(e.target.value as BillingInterval)}>
              {BILLING_INTERVALS.map((i) => (
                <option key={i} value={i}>
                  {i}
                </option>
              ))}
            </select>
          ) : (
            m.interval
          )}
        </td>
        <td className="small">{m.checked ? <span className="bl-ok">✓ Stripe</span> : <span className="bl-warn">not checked</span>}</td>
        <td>{m.tenants}</td>
        <td className="small muted" title={m.updatedAt ? `changed by ${m.updatedBy}` : undefined}>
          {formatDate(m.updatedAt ?? m.addedAt)} · {m.updatedBy ?? m.addedBy}
        </td>
        {isAdmin && (
          <td>
            <div className="btn-group">
              {editing ? (
                <>
                  <button
                    type="button"
                    className="btn btn-small btn-primary"
                    disabled={save.isPending || (m.checked && plan === m.plan && interval === m.interval)}
                    onClick={() => save.mutate({ mode: 'edit', priceId: m.priceId, plan, interval }, { onSuccess: () => setEditing(false) })}
                  >
                    Save
                  </button>
                  <button type="button" className="btn btn-small" onClick={() => setEditing(false)}>
                    Cancel
                  </button>
                </>
              ) : confirming ? (
                <>
                  <span className="small">Remove?</span>
                  <button type="button" className="btn btn-small btn-on-danger" disabled={remove.isPending} onClick={() => remove.mutate(m.priceId)}>
                    Remove
                  </button>
                  <button type="button" className="btn btn-small" onClick={() => setConfirming(false)}>
                    Keep
                  </button>
                </>
              ) : (
                <>
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => {
                      setPlan(m.plan)
                      setInterval(m.interval)
                      setEditing(true)
                    }}
                  >
                    Edit
                  </button>
                  <button type="button" className="btn btn-small" onClick={() => setConfirming(true)}>
                    Remove…
                  </button>
                </>
              )}
            </div>
          </td>
        )}
      </tr>
      {(error || save.data) && (
        <tr>
          <td colSpan={isAdmin ? 9 : 8}>{error ? <ErrorState error={error} compact /> : <span className="small">{save.data!.message}</span>}</td>
        </tr>
      )}
    </>
  )
}

/**
 * Which Stripe price is which plan (console.billing_prices): replay, reconcile and the
 * billing tab derive a tenant's plan from it. Admins change it; support sees it.
 */
export function PricesCard({ isAdmin }: { isAdmin: boolean }) {
  const q = usePriceMappings()
  const remove = useRemovePrice()
  const d = q.data
  return (
    <section className="bl-card" data-testid="price-mapping">
      <h2>Prices and plans</h2>
      <p className="muted small">A tenant’s plan comes from the price of its Stripe subscription. Prices not listed here leave the plan alone (replay and reconcile say so).</p>
      {q.isError ? (
        <ErrorState error={q.error} compact onRetry={() => void q.refetch()} />
      ) : !d ? (
        <span className="muted">Loading the price list…</span>
      ) : (
        <>
          {d.notes.map((n) => (
            <p key={n} className="note small">
              {n}
            </p>
          ))}
          {isAdmin ? <AddPrice plans={d.plans} stripe={d.stripe} /> : <p className="muted small">Changing the price list needs the admin role.</p>}
          {remove.data && (
            <p className="note small" data-testid="price-removed">
              {remove.data.message}
            </p>
          )}
          {d.mappings.length ? (
            <table className="bl-table" data-testid="price-table">
              <thead>
                <tr>
                  <th>Price</th>
                  <th>Product</th>
                  <th>Amount</th>
                  <th>Plan</th>
                  <th>Interval</th>
                  <th>Checked</th>
                  <th>Tenants</th>
                  <th>Changed</th>
                  {isAdmin && <th />}
                </tr>
              </thead>
              <tbody>
                {d.mappings.map((m) => (
                  <MappingRow key={m.priceId} m={m} plans={d.plans} isAdmin={isAdmin} remove={remove} />
                ))}
              </tbody>
            </table>
          ) : (
            <p className="note note-warn small">No price is mapped to a plan yet: replay and reconcile cannot tell a tenant’s plan from Stripe.</p>
          )}
        </>
      )}
    </section>
  )
}
