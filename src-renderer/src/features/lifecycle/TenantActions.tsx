import { useState } from 'react'
import type { LifecycleAction, TenantDetail } from '../../../../src-preload/contract'
import { GatedButton } from './GatedButton'
import { EditTenantDialog } from './EditTenantDialog'
import { HardDeleteDialog } from './HardDeleteDialog'
import { ReasonDialog } from './ReasonDialog'
import { useCapabilities, useForgetTenant, type StatusAction } from './queries'
import './lifecycle.css'

type Open = StatusAction | 'edit' | 'hardDelete' | null

interface Btn {
  id: Exclude<Open, null>
  cap: LifecycleAction
  label: string
  /** Shown only when the tenant's status allows it. */
  when(status: string): boolean
  tone?: 'danger'
}

const BUTTONS: Btn[] = [
  { id: 'edit', cap: 'edit', label: 'Edit', when: () => true },
  { id: 'suspend', cap: 'suspend', label: 'Suspend', when: (s) => ['active', 'trial', 'pending'].includes(s) },
  { id: 'reactivate', cap: 'reactivate', label: 'Reactivate', when: (s) => s === 'suspended' },
  { id: 'cancel', cap: 'cancel', label: 'Cancel tenant', when: (s) => s !== 'cancelled', tone: 'danger' },
  { id: 'restore', cap: 'restore', label: 'Restore', when: (s) => s === 'cancelled' },
  { id: 'hardDelete', cap: 'hardDelete', label: 'Hard delete…', when: (s) => s === 'cancelled', tone: 'danger' }
]

/**
 * The lifecycle actions of one tenant, for the detail panel. Actions the connected
 * role may not perform stay visible but disabled, with the reason.
 */
export function TenantActions({ tenant, onGone }: { tenant: TenantDetail; onGone(): void }) {
  const caps = useCapabilities()
  const forget = useForgetTenant()
  const [open, setOpen] = useState<Open>(null)
  const c = caps.data
  const shown = BUTTONS.filter((b) => b.when(tenant.status))
  const denied = shown.filter((b) => c && !c.actions[b.cap].allowed)
  const reasons = [...new Set(denied.map((b) => c!.actions[b.cap].reason))]
  const summary = { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status }
  return (
    <div className="lc-actions" data-testid="lc-actions">
      <div className="lc-action-row">
        {shown.map((b) => {
          const p = c?.actions[b.cap]
          return (
            <GatedButton
              key={b.id}
              permission={p}
              className={`btn btn-small${b.tone === 'danger' ? ' lc-danger-outline' : ''}`}
              data-action={b.id}
              onClick={() => setOpen(b.id)}
            >
              {b.label}
            </GatedButton>
          )
        })}
      </div>
      {reasons.length > 0 && (
        <p className="lc-denied small" data-testid="lc-denied">
          {denied.map((b) => b.label.replace('…', '')).join(', ')}: {reasons.join(' ')}
        </p>
      )}
      {open === 'edit' && <EditTenantDialog id={tenant.id} onClose={() => setOpen(null)} />}
      {(open === 'suspend' || open === 'reactivate' || open === 'cancel' || open === 'restore') && (
        <ReasonDialog action={open} tenant={summary} graceDays={c?.graceDays ?? 30} onClose={() => setOpen(null)} />
      )}
      {open === 'hardDelete' && (
        <HardDeleteDialog
          tenant={summary}
          onClose={() => setOpen(null)}
          onDeleted={() => {
            setOpen(null)
            onGone()
            forget(tenant.id)
          }}
        />
      )}
    </div>
  )
}
