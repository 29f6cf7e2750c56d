import { useState } from 'react'
import { describeJob, type BackupProgress, type BackupRecord, type BatchSummary } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { Pill } from '../../components/Pill'
import { formatBytes, formatDateTime, formatInt, formatRelative } from '../../lib/format'
import { useSession } from '../../shell/session'
import {
  useBackupJobs,
  useBackupList,
  useBackupTools,
  useBatches,
  useCancelJob,
  useExportMany,
  useResumeBatch,
  useRestoreBackup,
  useShowInFolder,
  useVerifyBackup
} from './queries'
import './backups.css'

const STATUS_TONE: Record<string, string> = { succeeded: 'green', running: 'blue', failed: 'red', cancelled: 'gray', partial: 'amber' }

const PHASE_LABEL: Record<string, string> = {
  preparing: 'Preparing',
  snapshot: 'Taking snapshot',
  dumping: 'Dumping',
  splitting: 'Splitting per tenant',
  writing: 'Writing',
  verifying: 'Verifying',
  'safety-backup': 'Safety backup',
  restoring: 'Restoring',
  done: 'Finished'
}

function jobPercent(job: BackupProgress): number {
  const batch = job.kind === 'batch'
  const done = batch ? job.tenantsDone + job.tenantsFailed : job.tablesDone
  const total = batch ? job.tenantsTotal : job.tablesTotal
  return total > 0 ? Math.min(100, Math.round((done / total) * 100)) : job.status === 'running' ? 0 : 100
}

function JobCard({ job, onDismiss }: { job: BackupProgress; onDismiss(): void }) {
  const cancel = useCancelJob()
  const running = job.status === 'running'
  const batch = job.kind === 'batch'
  const pct = jobPercent(job)
  return (
    <div className={`bk-job bk-job-${job.status}`} data-testid="backup-job">
      <div className="bk-job-head">
        <b>{describeJob(job)}</b>
        <Pill tone={STATUS_TONE[job.status] ?? 'gray'} dot>
          {running ? PHASE_LABEL[job.phase] ?? job.phase : job.status}
        </Pill>
        <span className="bk-spacer" />
        {running ? (
          <button type="button" className="btn btn-small" disabled={cancel.isPending} onClick={() => cancel.mutate(job.jobId)}>
            {cancel.isPending ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : (
          <button type="button" className="btn-link small" onClick={onDismiss}>
            Dismiss
          </button>
        )}
      </div>
      <div className="bk-bar" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
        <span style={{ width: `${pct}%` }} />
      </div>
      <div className="bk-job-facts muted small">
        {batch ? (
          <>
            {formatInt(job.tenantsDone)} of {formatInt(job.tenantsTotal)} done
            {job.tenantsFailed > 0 && <>, {formatInt(job.tenantsFailed)} failed</>}
            {running && job.tenantSlug && <> · now {job.tenantSlug}</>}
          </>
        ) : (
          <>
            {formatInt(job.tablesDone)} of {job.tablesTotal ? formatInt(job.tablesTotal) : '…'} tables
          </>
        )}
        {' · '}
        {formatBytes(job.bytes)} {(job.kind === 'restore' && job.phase !== 'safety-backup') || job.kind === 'verify' ? 'read' : 'written'} · started {formatRelative(job.startedAt)}
      </div>
      {job.message && <div className={job.status === 'failed' || job.status === 'partial' ? 'bk-error small' : 'small'}>{job.message}</div>}
    </div>
  )
}

function BatchRow({ b }: { b: BatchSummary }) {
  const resume = useResumeBatch()
  const canResume = !b.active && b.status !== 'succeeded'
  return (
    <tr data-testid="batch-row">
      <td>{formatDateTime(b.createdAt)}</td>
      <td className="bk-path" title={b.directory}>
        {b.directory}
      </td>
      <td className="num">{formatInt(b.total)}</td>
      <td className="num">{formatInt(b.succeeded)}</td>
      <td className="num">{b.failed ? <span className="bk-error">{formatInt(b.failed)}</span> : 0}</td>
      <td className="num">{formatInt(b.pending)}</td>
      <td>
        <Pill tone={STATUS_TONE[b.active ? 'running' : b.status] ?? 'gray'} dot>
          {b.active ? 'running' : b.status}
        </Pill>
        {b.failures[0] && (
          <div className="bk-error small" title={b.failures.map((f) => `${f.tenantSlug}: ${f.error}`).join('\n')}>
            {b.failures[0].tenantSlug}: {b.failures[0].error}
          </div>
        )}
      </td>
      <td>
        {canResume && (
          <button type="button" className="btn btn-small" disabled={resume.isPending} onClick={() => resume.mutate(b.id)}>
            Resume
          </button>
        )}
        {resume.error && <div className="bk-error small">{resume.error.message}</div>}
      </td>
    </tr>
  )
}

/** A restore in progress, inside its dialog: phase, tables, and a cancel that rolls it back. */
function RestoreProgress({ job }: { job: BackupProgress | undefined }) {
  const cancel = useCancelJob()
  if (!job) return <div className="muted small">Checking the file…</div>
  const pct = jobPercent(job)
  return (
    <div className="bk-restore-progress" data-testid="restore-progress">
      <div className="bk-job-head">
        <span>{PHASE_LABEL[job.phase] ?? job.phase}</span>
        <span className="muted small">
          {job.phase === 'preparing'
            ? 'checking the file'
            : job.phase === 'safety-backup'
              ? 'of the current state'
              : job.phase === 'writing'
                ? "the tenant's public rows"
                : `${formatInt(job.tablesDone)} of ${job.tablesTotal ? formatInt(job.tablesTotal) : '…'} tables`}
        </span>
        <span className="bk-spacer" />
        <button type="button" className="btn btn-small" disabled={cancel.isPending} onClick={() => cancel.mutate(job.jobId)}>
          {cancel.isPending ? 'Cancelling…' : 'Cancel restore'}
        </button>
      </div>
      <div className="bk-bar" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
        <span style={{ width: `${pct}%` }} />
      </div>
      <div className="muted small">Nothing is changed until the restore commits; cancelling rolls it back.</div>
    </div>
  )
}

function RestoreDialog({ rec, job, onClose }: { rec: BackupRecord | null; job: BackupProgress | undefined; onClose(): void }) {
  const restore = useRestoreBackup()
  // A backup without a schema holds public rows only: it never becomes a copy (a tenant with no schema).
  const noSchema = rec?.schemaMissing === true
  const [mode, setMode] = useState<'same' | 'copy'>(noSchema ? 'same' : 'copy')
  const [slug, setSlug] = useState(rec ? `${rec.tenantSlug.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-copy` : '')
  const [confirm, setConfirm] = useState('')
  const sameNeedsConfirm = mode === 'same' && rec !== null && confirm !== rec.tenantSlug
  return (
    <div className="bk-modal-backdrop" role="dialog" aria-modal="true" aria-label="Restore backup">
      <div className="bk-modal">
        <h2>Restore {rec ? rec.tenantSlug : 'from a file'}</h2>
        {rec && (
          <p className="muted small">
            {rec.fileName} · {formatBytes(rec.sizeBytes)} · {formatDateTime(rec.startedAt)}
          </p>
        )}
        {noSchema && (
          <p className="small" data-testid="restore-no-schema">
            This backup holds no schema: the tenant&apos;s schema was already missing when it was backed up. There is no schema to restore; restoring it into the
            same tenant brings back its public rows only (while the tenant still has no schema). It cannot become a copy.
          </p>
        )}
        <fieldset className="bk-fieldset" disabled={restore.isPending}>
          <label className="bk-radio">
            <input type="radio" checked={mode === 'copy'} disabled={noSchema} onChange={() => setMode('copy')} /> As a new tenant (copy) — the source stays untouched
          </label>
          {mode === 'copy' && (
            <label className="bk-field">
              New slug
              <input value={slug} onChange={(e) => setSlug(e.target.value)} spellCheck={false} />
            </label>
          )}
          <label className="bk-radio">
            <input type="radio" checked={mode === 'same'} onChange={() => setMode('same')} /> Into the same tenant — replaces its{' '}
            {noSchema ? 'public rows' : 'schema and rows'} (a safety backup is taken first)
          </label>
          {mode === 'same' && rec && (
            <label className="bk-field">
              Type <b>{rec.tenantSlug}</b> to confirm
              <input value={confirm} onChange={(e) => setConfirm(e.target.value)} spellCheck={false} />
            </label>
          )}
        </fieldset>
        {restore.isPending && <RestoreProgress job={job} />}
        {restore.error && (
          <div className="bk-error small" role="alert">
            {restore.error.message}
          </div>
        )}
        {restore.data && (
          <div className="bk-ok small" role="status">
            Restored {restore.data.tenantSlug} into {restore.data.schema}: {formatInt(restore.data.tables)} tables, {formatInt(restore.data.rows)} rows.
            {restore.data.safetyBackupId && ' A safety backup of the previous state is in the catalog.'}
            {restore.data.warnings.map((w) => (
              <div key={w} className="muted">
                {w}
              </div>
            ))}
          </div>
        )}
        <div className="bk-modal-actions">
          {/* While it runs, the only way out is "Cancel restore" (which rolls it back). */}
          {!restore.isPending && (
            <button type="button" className="btn" onClick={onClose}>
              {restore.data || restore.error ? 'Close' : 'Cancel'}
            </button>
          )}
          {!restore.data && (
            <button
              type="button"
              className="btn bk-primary"
              disabled={restore.isPending || sameNeedsConfirm || (mode === 'copy' && !slug)}
              onClick={() => restore.mutate({ backupId: rec?.id ?? null, mode, newSlug: mode === 'copy' ? slug : undefined })}
            >
              {restore.isPending ? 'Restoring…' : 'Restore'}
            </button>
          )}
        </div>
      </div>
    </div>
  )
}

function CatalogRow({ r, admin, onRestore }: { r: BackupRecord; admin: boolean; onRestore(): void }) {
  const verify = useVerifyBackup()
  const show = useShowInFolder()
  const usable = r.status === 'succeeded' && r.fileExists
  const result = verify.data
  return (
    <tr data-testid="backup-row">
      <td>
        <b>{r.tenantSlug}</b>
        <div className="muted small">{r.tenantSchema}</div>
      </td>
      <td className="bk-path" title={r.filePath}>
        {r.fileName}
        {r.kind !== 'export' && <span className="muted small"> · {r.kind}</span>}
        {r.schemaMissing && (
          <div className="small" data-testid="backup-no-schema" title="The tenant's schema did not exist when this backup was taken">
            <Pill tone="amber">no schema</Pill> public rows only
          </div>
        )}
        {r.status === 'succeeded' && !r.fileExists && <div className="bk-error small">File no longer there</div>}
      </td>
      <td className="num">{formatBytes(r.sizeBytes)}</td>
      <td>{formatDateTime(r.startedAt)}</td>
      <td>
        <Pill tone={STATUS_TONE[r.status] ?? 'gray'} dot>
          {r.status}
        </Pill>
        {r.error && <div className="bk-error small">{r.error}</div>}
      </td>
      <td>
        {r.verifyError ? (
          <span className="bk-error small">{r.verifyError}</span>
        ) : r.verifiedAt ? (
          <span className="small" title={formatDateTime(r.verifiedAt)}>
            ✓ {r.verification} · {formatRelative(r.verifiedAt)}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
        {result && <div className={result.ok ? 'bk-ok small' : 'bk-error small'}>{result.message}</div>}
        {verify.error && <div className="bk-error small">{verify.error.message}</div>}
      </td>
      <td className="bk-actions">
        <button type="button" className="btn btn-small" disabled={!usable || verify.isPending} onClick={() => verify.mutate({ backupId: r.id, deep: false })}>
          Verify
        </button>
        <button type="button" className="btn btn-small" disabled={!usable || verify.isPending} onClick={() => verify.mutate({ backupId: r.id, deep: true })} title="Restore into a scratch schema, compare row counts, drop it">
          Deep
        </button>
        <button type="button" className="btn btn-small" disabled={!usable} onClick={() => show.mutate(r.id)}>
          Show in folder
        </button>
        {admin && (
          <button type="button" className="btn btn-small" disabled={!usable} onClick={onRestore}>
            Restore…
          </button>
        )}
        {show.error && <div className="bk-error small">{show.error.message}</div>}
      </td>
    </tr>
  )
}

export function BackupsScreen() {
  const session = useSession()
  const admin = session.data?.role === 'admin'
  const list = useBackupList({ limit: 200 })
  const batches = useBatches()
  const tools = useBackupTools()
  const { jobs, dismiss } = useBackupJobs()
  const all = useExportMany()
  const [restoring, setRestoring] = useState<BackupRecord | null | undefined>(undefined)

  return (
    <div className="backups" data-testid="backups-screen">
      <div className="page-head">
        <div>
          <h1>Backups</h1>
          <p className="page-sub">One verified file per tenant: its schema (pg_dump custom format), its public rows, and a manifest.</p>
        </div>
        <div className="bk-head-actions">
          <button type="button" className="btn" disabled={all.isPending || !tools.data?.ok} title={tools.data && !tools.data.ok ? tools.data.message ?? undefined : undefined} onClick={() => all.mutate({ all: true })} data-testid="backup-all">
            Back up all tenants…
          </button>
          {admin && (
            <button type="button" className="btn" onClick={() => setRestoring(null)}>
              Restore from file…
            </button>
          )}
        </div>
      </div>
      {all.error && (
        <div className="bk-error" role="alert">
          {all.error.message}
        </div>
      )}

      <div className={`bk-tools${tools.data && !tools.data.ok ? ' bk-tools-bad' : ''}`} data-testid="backup-tools">
        {tools.isPending ? (
          <span className="muted">Looking for pg_dump…</span>
        ) : tools.error ? (
          <span className="bk-error">{tools.error.message}</span>
        ) : tools.data?.ok ? (
          <span>
            pg_dump {tools.data.pgDump?.version} and pg_restore {tools.data.pgRestore?.version} for server {tools.data.serverVersion}
            <span className="muted small"> · {tools.data.pgDump?.path}</span>
          </span>
        ) : (
          <span className="bk-error">{tools.data?.message}</span>
        )}
      </div>

      {jobs.length > 0 && (
        <section className="bk-section" aria-label="Running and recent jobs">
          {jobs.map((j) => (
            <JobCard key={j.jobId} job={j} onDismiss={() => dismiss(j.jobId)} />
          ))}
        </section>
      )}

      {batches.data && batches.data.length > 0 && (
        <section className="bk-section">
          <h2>Batches</h2>
          <div className="bk-table-wrap">
            <table className="bk-table">
              <thead>
                <tr>
                  <th>Started</th>
                  <th>Folder</th>
                  <th className="num">Tenants</th>
                  <th className="num">Done</th>
                  <th className="num">Failed</th>
                  <th className="num">Pending</th>
                  <th>Status</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {batches.data.slice(0, 5).map((b) => (
                  <BatchRow key={b.id} b={b} />
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      <section className="bk-section bk-grow">
        <h2>Catalog</h2>
        {list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} retrying={list.isFetching} compact />
        ) : list.isPending ? (
          <div className="muted">Loading…</div>
        ) : list.data.length === 0 ? (
          <div className="state">
            <div className="state-title">No backups yet</div>
            <p className="state-text">Back up a tenant from the Tenants screen (detail panel or selection), or all tenants from here.</p>
          </div>
        ) : (
          <div className="bk-table-wrap">
            <table className="bk-table">
              <thead>
                <tr>
                  <th>Tenant</th>
                  <th>File</th>
                  <th className="num">Size</th>
                  <th>Started</th>
                  <th>Status</th>
                  <th>Verified</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.data.map((r) => (
                  <CatalogRow key={r.id} r={r} admin={admin} onRestore={() => setRestoring(r)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {restoring !== undefined && (
        <RestoreDialog
          key={restoring?.id ?? 'file'}
          rec={restoring}
          job={jobs.find((j) => j.kind === 'restore' && j.status === 'running')}
          onClose={() => setRestoring(undefined)}
        />
      )}
    </div>
  )
}
