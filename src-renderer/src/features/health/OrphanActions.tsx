import { useState } from 'react'
import { ConfirmFooter, Dialog, ErrorNote } from '../lifecycle/Dialog'
import { useOrphanAdopt, useOrphanDrop, useOrphanSuggest } from './ops-queries'

/** The orphan finding's schemas, each adoptable or backed up and dropped (admins). */
export function OrphanActions({ schemas, isAdmin }: { schemas: string[]; isAdmin: boolean }) {
  const [adopt, setAdopt] = useState<string | null>(null)
  const [drop, setDrop] = useState<string | null>(null)
  const [done, setDone] = useState<Record<string, string>>({})
  const title = isAdmin ? undefined : 'Needs the admin role.'
  return (
    <>
      <ul className="hl-orphans" data-testid="orphans">
        {schemas.map((s) => (
          <li key={s} data-schema={s}>
            <span className="mono">{s}</span>
            <span className="hl-spacer" />
            {done[s] ? (
              <span className="hl-ok small">{done[s]}</span>
            ) : (
              <>
                <button type="button" className="btn btn-small" disabled={!isAdmin} title={title} onClick={() => setAdopt(s)}>
                  Adopt…
                </button>
                <button type="button" className="btn btn-small lc-danger-outline" disabled={!isAdmin} title={title} onClick={() => setDrop(s)}>
                  Back up and drop…
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      {adopt && (
        <AdoptDialog
          schema={adopt}
          onClose={() => setAdopt(null)}
          onDone={(msg) => {
            setDone((d) => ({ ...d, [adopt]: msg }))
            setAdopt(null)
          }}
        />
      )}
      {drop && (
        <DropDialog
          schema={drop}
          onClose={() => setDrop(null)}
          onDone={(msg) => {
            setDone((d) => ({ ...d, [drop]: msg }))
            setDrop(null)
          }}
        />
      )}
    </>
  )
}

function AdoptDialog({ schema, onClose, onDone }: { schema: string; onClose(): void; onDone(msg: string): void }) {
  const suggest = useOrphanSuggest(schema)
  const adopt = useOrphanAdopt()
  // The derived slug and name until the operator edits them.
  const [edits, setEdits] = useState<{ slug?: string; name?: string; ownerEmail?: string; ownerName?: string }>({})
  const form = { slug: edits.slug ?? suggest.data?.slug ?? '', name: edits.name ?? suggest.data?.name ?? '', ownerEmail: edits.ownerEmail ?? '', ownerName: edits.ownerName ?? '' }
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setEdits((f) => ({ ...f, [k]: e.target.value }))
  const ready = form.slug && form.name.trim() && form.ownerEmail.trim() && form.ownerName.trim()
  return (
    <Dialog
      title={`Adopt ${schema}`}
      onClose={onClose}
      testId="adopt-dialog"
      footer={
        <ConfirmFooter
          cancel="Cancel"
          onCancel={onClose}
          confirm="Create the tenant row"
          busy="Adopting…"
          pending={adopt.isPending}
          disabled={!ready}
          onConfirm={() => adopt.mutate({ schema, ...form }, { onSuccess: (r) => onDone(`adopted as ${r.slug} (suspended until checked)`) })}
          testId="adopt-confirm"
        />
      }
    >
      <p className="small">
        A tenant row is created for this schema{suggest.data ? ` (${suggest.data.tables} tables)` : ''}, on the free plan and <b>suspended</b> until someone has checked its data. A slug whose
        schema name differs renames the schema. Recorded in the tenant’s audit trail and the operator log.
      </p>
      {suggest.data?.problem && <p className="lc-error small">The derived slug cannot be used as it is: {suggest.data.problem}</p>}
      <div className="lc-row">
        <label className="lc-field">
          <span>Slug</span>
          <input type="text" value={form.slug} onChange={set('slug')} aria-label="Slug" maxLength={100} />
        </label>
        <label className="lc-field">
          <span>Name</span>
          <input type="text" value={form.name} onChange={set('name')} aria-label="Name" maxLength={255} />
        </label>
      </div>
      <div className="lc-row">
        <label className="lc-field">
          <span>Owner email</span>
          <input type="email" value={form.ownerEmail} onChange={set('ownerEmail')} aria-label="Owner email" maxLength={255} />
        </label>
        <label className="lc-field">
          <span>Owner name</span>
          <input type="text" value={form.ownerName} onChange={set('ownerName')} aria-label="Owner name" maxLength={255} />
        </label>
      </div>
      <ErrorNote error={suggest.error ?? adopt.error} />
    </Dialog>
  )
}

function DropDialog({ schema, onClose, onDone }: { schema: string; onClose(): void; onDone(msg: string): void }) {
  const drop = useOrphanDrop()
  const [typed, setTyped] = useState('')
  return (
    <Dialog
      title={`Back up and drop ${schema}`}
      onClose={onClose}
      testId="drop-dialog"
      footer={
        <ConfirmFooter
          cancel="Keep the schema"
          onCancel={onClose}
          confirm="Back up, verify, then drop"
          busy="Backing up…"
          pending={drop.isPending}
          disabled={typed !== schema}
          danger
          onConfirm={() => drop.mutate({ schema, confirmSchema: typed }, { onSuccess: (r) => onDone(`dropped; backup ${r.backupFile}`) })}
          testId="drop-confirm"
        />
      }
    >
      <p className="small">
        The schema is backed up first (a verified backup file, listed under Backups), then dropped with everything in it (DROP SCHEMA … CASCADE), recorded in the operator log. If the backup
        fails or cannot be verified, nothing is dropped.
      </p>
      <label className="lc-field">
        <span>
          Type <b className="mono">{schema}</b> to confirm
        </span>
        <input type="text" value={typed} onChange={(e) => setTyped(e.target.value)} aria-label="Schema name" autoComplete="off" spellCheck={false} />
      </label>
      <ErrorNote error={drop.error} />
    </Dialog>
  )
}
