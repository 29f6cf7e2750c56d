import { useState } from 'react'
import type { FailureRow } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { useTenantList } from '../tenants/queries'
import { useResolve } from './queries'

/**
 * Mark a failure resolved with a note, inline (Electron has no window.prompt: a prompt()
 * there never asks and returns nothing).
 */
export function ResolveButton({ row }: { row: FailureRow }) {
  const resolve = useResolve()
  const [open, setOpen] = useState(false)
  const [note, setNote] = useState('')
  if (!open) {
    return (
      <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
        Resolve
      </button>
    )
  }
  return (
    <form
      className="bl-resolve"
      onSubmit={(e) => {
        e.preventDefault()
        if (note.trim()) resolve.mutate({ eventId: row.eventId, note: note.trim() }, { onSuccess: () => setOpen(false) })
      }}
    >
      <input
        aria-label={`Why ${row.eventId} needs no replay`}
        placeholder="Why no replay is needed"
        maxLength={2000}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        autoFocus
      />
      <button type="submit" className="btn btn-small btn-primary" disabled={!note.trim() || resolve.isPending}>
        Mark resolved
      </button>
      <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {resolve.isError && <ErrorState error={resolve.error} compact />}
    </form>
  )
}

/**
 * The tenant filter: any tenant of the fleet, found by name, slug or email (the directory's
 * search), not only those on the page shown.
 */
export function TenantFilter({ tenantId, onChange }: { tenantId: string | undefined; onChange(id: string | undefined, label?: string): void }) {
  const [text, setText] = useState('')
  const [label, setLabel] = useState<string | null>(null)
  const q = useTenantList({ search: text.trim() || undefined, limit: 8, sort: 'name', direction: 'asc' })
  const found = text.trim().length >= 2 ? (q.data?.rows ?? []) : []
  const pick = (t: { id: string; slug: string }) => {
    setLabel(t.slug)
    onChange(t.id, t.slug)
  }
  if (tenantId) {
    return (
      <span className="bl-chip" data-testid="tenant-filter-chip">
        Tenant {label ?? tenantId.slice(0, 8)}
        <button
          type="button"
          className="btn-link"
          aria-label="Clear the tenant filter"
          onClick={() => {
            setLabel(null)
            setText('')
            onChange(undefined)
          }}
        >
          ×
        </button>
      </span>
    )
  }
  return (
    <span className="bl-tenant-filter">
      <input
        aria-label="Tenant"
        placeholder="Tenant (name or slug), Enter…"
        list="bl-tenant-options"
        value={text}
        maxLength={100}
        onChange={(e) => {
          const v = e.target.value
          setText(v)
          // Picked from the list (the whole slug at once, one of the options shown).
          const hit = (e.nativeEvent as InputEvent).inputType === 'insertReplacementText' || !(e.nativeEvent as InputEvent).inputType ? found.find((t) => t.slug === v) : undefined
          if (hit) pick(hit)
        }}
        onKeyDown={(e) => {
          if (e.key !== 'Enter') return
          const v = text.trim().toLowerCase()
          const hit = found.find((t) => t.slug.toLowerCase() === v) ?? (found.length === 1 ? found[0] : undefined)
          if (hit) pick(hit)
        }}
      />
      <datalist id="bl-tenant-options">
        {found.map((t) => (
          <option key={t.id} value={t.slug}>
            {t.name}
          </option>
        ))}
      </datalist>
    </span>
  )
}
