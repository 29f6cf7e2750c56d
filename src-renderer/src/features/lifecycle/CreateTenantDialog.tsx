import { useState } from 'react'
import { checkSlug } from '../../../../src-preload/contract'
import { GatedButton } from './GatedButton'
import { ConfirmFooter, Dialog, ErrorNote, Warnings } from './Dialog'
import { useCapabilities, useCreateTenant } from './queries'
import './lifecycle.css'

function suggestSlug(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
}

export function CreateTenantDialog({ onClose, onCreated }: { onClose(): void; onCreated?(id: string): void }) {
  const caps = useCapabilities()
  const m = useCreateTenant()
  const [name, setName] = useState('')
  const [slug, setSlug] = useState('')
  const [slugTouched, setSlugTouched] = useState(false)
  const [ownerName, setOwnerName] = useState('')
  const [ownerEmail, setOwnerEmail] = useState('')
  const [plan, setPlan] = useState('free')
  const [interval, setInterval] = useState<'monthly' | 'yearly'>('monthly')
  const [trial, setTrial] = useState(true)
  const prefix = caps.data?.tenantPrefix ?? 'tenant_'
  const s = slugTouched ? slug : suggestSlug(name)
  const check = s ? checkSlug(s, prefix) : null
  const emailOk = /^[^\s@"<>]+@[^\s@"<>]+\.[^\s@"<>]+$/.test(ownerEmail.trim())
  const valid = name.trim() && check?.ok && ownerName.trim() && emailOk && plan
  const plans = caps.data?.plans.length ? caps.data.plans : ['free', 'pro', 'enterprise', 'custom']

  if (m.isSuccess) {
    return (
      <Dialog title="Tenant created" onClose={onClose} testId="lc-create-dialog" footer={<button type="button" className="btn lc-primary" onClick={onClose} data-autofocus>Close</button>}>
        <div className="lc-success" role="status" data-testid="lc-result">
          <p>{m.data.message}</p>
          <p className="muted small">
            Clone and parity check in {m.data.timings.totalMs} ms ({m.data.timings.ddlCached ? 'cached template DDL' : 'template DDL generated'}).
          </p>
          <Warnings warnings={m.data.warnings} />
        </div>
        {onCreated && (
          <button type="button" className="btn" onClick={() => onCreated(m.data.tenantId)}>
            Open {m.data.slug}
          </button>
        )}
      </Dialog>
    )
  }

  return (
    <Dialog
      title="Create tenant"
      onClose={onClose}
      testId="lc-create-dialog"
      footer={
        <ConfirmFooter
          cancel="Cancel"
          onCancel={onClose}
          confirm="Create tenant"
          busy="Creating…"
          pending={m.isPending}
          disabled={!valid}
          testId="lc-create-submit"
          onConfirm={() => m.mutate({ name: name.trim(), slug: s, ownerName: ownerName.trim(), ownerEmail: ownerEmail.trim(), plan, billingInterval: interval, trial })}
        />
      }
    >
      <label className="lc-field">
        <span>Name</span>
        <input type="text" value={name} maxLength={255} onChange={(e) => setName(e.target.value)} aria-label="Name" />
      </label>
      <label className="lc-field">
        <span>Slug</span>
        <input
          type="text"
          value={s}
          maxLength={100}
          spellCheck={false}
          onChange={(e) => {
            setSlugTouched(true)
            setSlug(e.target.value)
          }}
          aria-label="Slug"
          aria-invalid={check && !check.ok ? true : undefined}
        />
        {check && !check.ok && <small className="lc-bad" data-testid="lc-slug-problem">{check.problem}</small>}
        {check?.ok && (
          <small className="muted">
            Schema <span className="mono">{check.schemaName}</span>, address <span className="mono">{s}.{caps.data?.baseDomain ?? 'nchat.app'}</span>
          </small>
        )}
      </label>
      <div className="lc-row">
        <label className="lc-field">
          <span>Owner name</span>
          <input type="text" value={ownerName} maxLength={255} onChange={(e) => setOwnerName(e.target.value)} aria-label="Owner name" />
        </label>
        <label className="lc-field">
          <span>Owner email</span>
          <input type="email" value={ownerEmail} maxLength={255} onChange={(e) => setOwnerEmail(e.target.value)} aria-label="Owner email" />
          {ownerEmail && !emailOk && <small className="lc-bad">Enter a valid email address.</small>}
        </label>
      </div>
      <div className="lc-row">
        <label className="lc-field">
          <span>Plan</span>
          <select value={plan} onChange={(e) => setPlan(e.target.value)} aria-label="Plan">
            {plans.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label className="lc-field">
          <span>Billing interval</span>
          <select value={interval} onChange={(e) => setInterval(e.target.value === 'yearly' ? 'yearly' : 'monthly')} aria-label="Billing interval">
            <option value="monthly">monthly</option>
            <option value="yearly">yearly</option>
          </select>
        </label>
      </div>
      {caps.data?.planDefaults[plan] && (
        <p className="muted small">
          Limits and features follow the {plan} plan: {caps.data.planDefaults[plan]!.limits.maxUsers === -1 ? 'unlimited' : caps.data.planDefaults[plan]!.limits.maxUsers} users,{' '}
          {caps.data.planDefaults[plan]!.limits.maxStorageGB === -1 ? 'unlimited' : `${caps.data.planDefaults[plan]!.limits.maxStorageGB} GB`} storage.
        </p>
      )}
      {caps.data?.createOwner && (
        <p className={caps.data.createOwner.mode === 'user' ? 'muted small' : 'note note-warn small'} data-testid="lc-create-owner">
          {caps.data.createOwner.message}
        </p>
      )}
      <label className="lc-check">
        <input type="checkbox" checked={trial} onChange={(e) => setTrial(e.target.checked)} />
        Start with a 14-day trial
      </label>
      <ErrorNote error={m.error} />
    </Dialog>
  )
}

/** The "Create tenant" button for the directory's header; disabled with the reason when not allowed. */
export function CreateTenantButton({ onCreated }: { onCreated?(id: string): void }) {
  const caps = useCapabilities()
  const [open, setOpen] = useState(false)
  const p = caps.data?.actions.create
  return (
    <>
      <GatedButton permission={p} className="btn lc-primary" onClick={() => setOpen(true)} data-testid="lc-create">
        Create tenant
      </GatedButton>
      {open && (
        <CreateTenantDialog
          onClose={() => setOpen(false)}
          onCreated={
            onCreated &&
            ((id) => {
              setOpen(false)
              onCreated(id)
            })
          }
        />
      )}
    </>
  )
}
