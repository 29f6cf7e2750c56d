import { useEffect, useId, useRef, type ReactNode } from 'react'
import { ApiError } from '../../api/bridge'
import { IconX } from '../../components/icons'

/** A modal dialog: Esc or the close button closes it; focus moves inside on open. */
export function Dialog({
  title,
  onClose,
  children,
  footer,
  wide = false,
  testId
}: {
  title: ReactNode
  onClose(): void
  children: ReactNode
  footer?: ReactNode
  wide?: boolean
  testId?: string
}) {
  const titleId = useId()
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = ref.current
    const first = el?.querySelector<HTMLElement>('[data-autofocus], input:not([disabled]), select:not([disabled]), textarea:not([disabled])')
    first?.focus()
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation()
        onClose()
      }
    }
    window.addEventListener('keydown', onKey, true)
    return () => window.removeEventListener('keydown', onKey, true)
  }, [onClose])
  return (
    <div className="lc-overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={ref} className={`lc-dialog${wide ? ' lc-dialog-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid={testId}>
        <header className="lc-dialog-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
            <IconX />
          </button>
        </header>
        <div className="lc-dialog-body">{children}</div>
        {footer && <footer className="lc-dialog-foot">{footer}</footer>}
      </div>
    </div>
  )
}

/** A dialog's "keep as is" and "do it" buttons; the second shows `busy` while the request runs. */
export function ConfirmFooter({
  cancel,
  onCancel,
  confirm,
  busy,
  pending,
  disabled,
  danger = false,
  onConfirm,
  testId
}: {
  cancel: string
  onCancel(): void
  confirm: ReactNode
  busy: string
  pending: boolean
  disabled: boolean
  danger?: boolean
  onConfirm(): void
  testId: string
}) {
  return (
    <>
      <button type="button" className="btn" onClick={onCancel}>
        {cancel}
      </button>
      <button type="button" className={`btn ${danger ? 'lc-danger' : 'lc-primary'}`} disabled={disabled || pending} data-testid={testId} onClick={onConfirm}>
        {pending ? busy : confirm}
      </button>
    </>
  )
}

/** An error answer as a sentence, with its code for tests and screen readers. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null
  const code = error instanceof ApiError ? error.code : 'INTERNAL'
  const msg = error instanceof Error ? error.message : 'Something went wrong.'
  return (
    <p className="lc-error" role="alert" data-code={code}>
      {msg}
    </p>
  )
}

export function Warnings({ warnings }: { warnings: string[] | undefined }) {
  if (!warnings?.length) return null
  return (
    <ul className="lc-warnings" role="status">
      {warnings.map((w) => (
        <li key={w}>{w}</li>
      ))}
    </ul>
  )
}

export function conflictCurrent(error: unknown): Record<string, unknown> | null {
  if (error instanceof ApiError && error.code === 'CONFLICT') {
    const d = error.details as { current?: Record<string, unknown> } | undefined
    return d?.current ?? null
  }
  return null
}
