import type { ReactNode } from 'react'

const STATUS_TONE: Record<string, string> = {
  active: 'green',
  trial: 'blue',
  suspended: 'amber',
  cancelled: 'red',
  pending: 'violet',
  archived: 'gray'
}

const PLAN_TONE: Record<string, string> = {
  free: 'gray',
  starter: 'teal',
  pro: 'blue',
  business: 'indigo',
  enterprise: 'violet',
  custom: 'teal'
}

const PAYMENT_TONE: Record<string, string> = { succeeded: 'green', failed: 'red', pending: 'amber' }

export function Pill({ tone = 'gray', dot = false, children, title }: { tone?: string; dot?: boolean; children: ReactNode; title?: string }) {
  return (
    <span className={`pill pill-${tone}`} title={title}>
      {dot && <span className="pill-dot" aria-hidden="true" />}
      {children}
    </span>
  )
}

export function StatusPill({ status }: { status: string }) {
  return (
    <Pill tone={STATUS_TONE[status] ?? 'gray'} dot>
      {status}
    </Pill>
  )
}

export function PlanBadge({ plan }: { plan: string | null }) {
  if (!plan) return <span className="muted">—</span>
  return <span className={`plan plan-${PLAN_TONE[plan] ?? 'gray'}`}>{plan}</span>
}

export function PaymentPill({ status }: { status: string | null }) {
  if (!status) return <span className="muted">—</span>
  return <Pill tone={PAYMENT_TONE[status] ?? 'gray'}>{status}</Pill>
}
