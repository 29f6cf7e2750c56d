import { useState, type CSSProperties, type FormEvent, type MouseEvent } from 'react'
import {
  ENVIRONMENT_COLORS,
  ENVIRONMENTS,
  SECRET_KINDS,
  SSL_MODES,
  type ConnectionTestReport,
  type Environment,
  type ProfileFieldsInput,
  type ProfileView,
  type SecretChanges,
  type SecretKind,
  type SslMode
} from '../../../../src-preload/contract'
import { ApiError } from '../../api/bridge'
import { IconAlert, IconCheck } from '../../components/icons'
import { useActivateProfile, useApplyMigrations, useSaveProfile, useTestProfile } from './queries'

interface FormState {
  name: string
  environment: Environment
  environmentLabel: string
  color: string | null
  host: string
  port: string
  database: string
  user: string
  sslMode: SslMode
  caFile: string
  templateSchema: string
  tenantPrefix: string
  redisUrl: string
  pgBinDir: string
  operatorName: string
  operatorEmail: string
  baseDomain: string
  dnsServer: string
  checkCaFile: string
}

function initial(p: ProfileView | null): FormState {
  return {
    name: p?.name ?? '',
    environment: p?.environment ?? 'staging',
    environmentLabel: p?.environmentLabel ?? '',
    // A colour is stored only when it differs from the environment's default.
    color: p && p.color.toLowerCase() !== ENVIRONMENT_COLORS[p.environment].toLowerCase() ? p.color : null,
    host: p?.host ?? '',
    port: String(p?.port ?? 5432),
    database: p?.database ?? '',
    user: p?.user ?? '',
    sslMode: p?.sslMode ?? 'require',
    caFile: p?.caFile ?? '',
    templateSchema: p?.templateSchema ?? 'nchat',
    tenantPrefix: p?.tenantPrefix ?? 'tenant_',
    redisUrl: p?.redisUrl ?? '',
    pgBinDir: p?.pgBinDir ?? '',
    operatorName: p?.operatorName ?? '',
    operatorEmail: p?.operatorEmail ?? '',
    baseDomain: p?.baseDomain ?? '',
    dnsServer: p?.dnsServer ?? '',
    checkCaFile: p?.checkCaFile ?? ''
  }
}

const ENV_LABEL: Record<Environment, string> = {
  production: 'Production',
  staging: 'Staging',
  development: 'Development',
  custom: 'Custom…'
}

const SSL_LABEL: Record<SslMode, string> = {
  disable: 'Disable (no encryption)',
  require: 'Require (encrypted, certificate not checked)',
  'verify-full': 'Verify full (encrypted, certificate and host name checked)'
}

const SECRET_LABEL: Record<SecretKind, string> = {
  password: 'Database password',
  stripeKey: 'Stripe secret key',
  redisPassword: 'Redis password',
  webhookSecret: 'Stripe webhook signing secret (whsec_…)'
}

/**
 * One secret: write-only. The renderer never gets a stored value back; it only knows
 * whether one is stored, and can replace or remove it. The input is uncontrolled, so
 * the typed value lives in the field alone (no React state, no DOM attribute).
 */
function SecretField({
  kind,
  stored,
  removed,
  onRemove
}: {
  kind: SecretKind
  stored: boolean
  removed: boolean
  onRemove: (v: boolean) => void
}) {
  const [replacing, setReplacing] = useState(!stored)
  const id = `secret-${kind}`
  return (
    <div className="pf-field">
      <label htmlFor={id}>{SECRET_LABEL[kind]}</label>
      {stored && !replacing ? (
        <div className="pf-secret-stored" data-testid={`${kind}-stored`}>
          {removed ? (
            <span className="muted">Will be removed from the keychain when you save.</span>
          ) : (
            <span>
              <IconCheck width={13} height={13} /> Stored in the system keychain
            </span>
          )}
          <button type="button" className="btn-link" onClick={() => setReplacing(true)}>
            Replace
          </button>
          <button type="button" className="btn-link" onClick={() => onRemove(!removed)}>
            {removed ? 'Keep' : 'Remove'}
          </button>
        </div>
      ) : (
        <input
          id={id}
          name={id}
          type="password"
          autoComplete="new-password"
          spellCheck={false}
          placeholder={stored ? 'New value (leave empty to keep the stored one)' : kind === 'password' ? 'Password' : 'Optional'}
          data-testid={`${kind}-input`}
        />
      )}
    </div>
  )
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : 'Something went wrong.'
}

export function TestReport({ report, onApply, applying }: { report: ConnectionTestReport; onApply?: (e: MouseEvent<HTMLButtonElement>) => void; applying?: boolean }) {
  const ok = (b: boolean) => (b ? 'pf-ok' : 'pf-bad')
  return (
    <div className="pf-report" data-testid="test-report" aria-live="polite">
      <div className="pf-report-head">
        <IconCheck width={14} height={14} /> Connected to PostgreSQL {report.serverVersion.split(' ')[0]} as <b>{report.connectedAs}</b>
        {report.ssl ? ' (encrypted)' : ' (not encrypted)'}
      </div>
      <dl>
        <dt>Console migrations</dt>
        <dd className={ok(report.migrations.upToDate)} data-testid="report-migrations">
          {!report.migrations.readable
            ? 'Present, but this role may not read the ledger'
            : report.migrations.upToDate
              ? 'All applied'
              : `${report.migrations.pending.length} not applied: ${report.migrations.pending.join(', ')}`}
          {report.migrations.readable && !report.migrations.upToDate && onApply && (
            <button type="button" className="btn btn-small pf-inline-btn" onClick={onApply} disabled={applying}>
              {applying ? 'Applying…' : 'Apply migrations'}
            </button>
          )}
        </dd>
        <dt>Template schema</dt>
        <dd className={ok(report.templateSchema.exists)}>
          {report.templateSchema.exists ? `"${report.templateSchema.name}" exists (${report.templateSchema.tableCount} tables)` : `"${report.templateSchema.name}" does not exist`}
        </dd>
        <dt>Tenants table</dt>
        <dd className={ok(report.tenantsTable)}>{report.tenantsTable ? 'public.tenants found' : 'public.tenants not found'}</dd>
        <dt>Connected role</dt>
        <dd className={ok(report.role.consoleRole !== 'none')} data-testid="report-role">
          {report.role.summary}
        </dd>
        <dt>pg_dump</dt>
        <dd className={ok(report.pgDump.compatible)}>{report.pgDump.message}</dd>
      </dl>
      {report.warnings.length > 0 && (
        <ul className="pf-warnings">
          {report.warnings.map((w) => (
            <li key={w}>
              <IconAlert width={13} height={13} /> {w}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

export function ProfileForm({ profile, onDone, onCancel }: { profile: ProfileView | null; onDone: (saved: ProfileView) => void; onCancel: () => void }) {
  const [f, setF] = useState<FormState>(() => initial(profile))
  const [removed, setRemoved] = useState<Record<SecretKind, boolean>>({ password: false, stripeKey: false, redisPassword: false, webhookSecret: false })
  const save = useSaveProfile()
  const test = useTestProfile()
  const apply = useApplyMigrations()
  const activate = useActivateProfile()
  const [report, setReport] = useState<ConnectionTestReport | null>(null)
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }))

  const fields = (): ProfileFieldsInput => ({
    name: f.name,
    environment: f.environment,
    environmentLabel: f.environment === 'custom' ? f.environmentLabel : '',
    ...(f.color ? { color: f.color } : {}),
    host: f.host,
    port: Number(f.port) || 0,
    database: f.database,
    user: f.user,
    sslMode: f.sslMode,
    caFile: f.sslMode === 'verify-full' ? f.caFile : '',
    templateSchema: f.templateSchema,
    tenantPrefix: f.tenantPrefix,
    redisUrl: f.redisUrl,
    pgBinDir: f.pgBinDir,
    operatorName: f.operatorName,
    operatorEmail: f.operatorEmail,
    baseDomain: f.baseDomain,
    dnsServer: f.dnsServer,
    checkCaFile: f.checkCaFile
  })

  /** Typed secrets are read from the form only when a button is pressed. */
  const secretChanges = (form: HTMLFormElement): SecretChanges => {
    const out: SecretChanges = {}
    for (const k of SECRET_KINDS) {
      const el = form.elements.namedItem(`secret-${k}`)
      const v = el instanceof HTMLInputElement ? el.value : ''
      if (v) out[k] = { action: 'replace', value: v }
      else if (removed[k]) out[k] = { action: 'delete' }
    }
    return out
  }

  const clearSecrets = (form: HTMLFormElement) => {
    for (const el of Array.from(form.querySelectorAll<HTMLInputElement>('input[type="password"]'))) el.value = ''
  }

  const draft = (form: HTMLFormElement) => ({ ...(profile ? { id: profile.id } : {}), fields: fields(), secrets: secretChanges(form) })

  const onTest = (e: MouseEvent<HTMLButtonElement>) => {
    const form = e.currentTarget.form
    if (!form || !form.reportValidity()) return
    setReport(null)
    test.mutate(draft(form), { onSuccess: setReport })
  }
  const onApply = (form: HTMLFormElement | null) => {
    if (form) apply.mutate(draft(form), { onSuccess: (r) => setReport(r.report) })
  }

  // Promises, not per-call callbacks: they still run if saving re-renders this form away.
  const doSave = async (form: HTMLFormElement, connect: boolean) => {
    try {
      const saved = await save.mutateAsync(draft(form))
      clearSecrets(form)
      if (connect) await activate.mutateAsync(saved.id)
      onDone(saved)
    } catch {
      // shown from save.error / activate.error
    }
  }
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    void doSave(e.currentTarget, false)
  }
  const onSaveAndConnect = (e: MouseEvent<HTMLButtonElement>) => {
    const form = e.currentTarget.form
    if (form && form.reportValidity()) void doSave(form, true)
  }

  const envColor = f.color ?? ENVIRONMENT_COLORS[f.environment]
  const busy = save.isPending || activate.isPending
  const error = save.error ?? activate.error ?? test.error ?? apply.error

  return (
    <form className="pf-form" onSubmit={onSubmit} aria-label={profile ? `Edit ${profile.name}` : 'New connection profile'} style={{ '--pf-env': envColor } as CSSProperties}>
      <div className="pf-form-head">
        <h2>{profile ? `Edit “${profile.name}”` : 'New connection profile'}</h2>
        <span className="pf-env-swatch" data-testid="form-env-color" />
      </div>

      <fieldset>
        <legend>Profile</legend>
        <div className="pf-grid">
          <div className="pf-field pf-wide">
            <label htmlFor="pf-name">Name</label>
            <input id="pf-name" required maxLength={100} value={f.name} onChange={(e) => set('name', e.target.value)} placeholder="e.g. Production EU" />
          </div>
          <div className="pf-field">
            <label htmlFor="pf-env">Environment</label>
            <select id="pf-env" value={f.environment} onChange={(e) => set('environment', e.target.value as Environment)}>
              {ENVIRONMENTS.map((env) => (
                <option key={env} value={env}>
                  {ENV_LABEL[env]}
                </option>
              ))}
            </select>
          </div>
          {f.environment === 'custom' && (
            <div className="pf-field">
              <label htmlFor="pf-env-label">Environment label</label>
              <input id="pf-env-label" required maxLength={40} value={f.environmentLabel} onChange={(e) => set('environmentLabel', e.target.value)} placeholder="e.g. eu-west" />
            </div>
          )}
          <div className="pf-field">
            <label htmlFor="pf-color">Frame colour</label>
            <div className="pf-color-row">
              <input id="pf-color" type="color" value={envColor} onChange={(e) => set('color', e.target.value)} />
              {f.color && (
                <button type="button" className="btn-link" onClick={() => set('color', null)}>
                  Use default
                </button>
              )}
            </div>
          </div>
        </div>
      </fieldset>

      <fieldset>
        <legend>Database</legend>
        <div className="pf-grid">
          <div className="pf-field pf-wide">
            <label htmlFor="pf-host">Host</label>
            <input id="pf-host" required value={f.host} onChange={(e) => set('host', e.target.value)} placeholder="db.example.com" spellCheck={false} />
          </div>
          <div className="pf-field pf-narrow">
            <label htmlFor="pf-port">Port</label>
            <input id="pf-port" required inputMode="numeric" pattern="[0-9]{1,5}" value={f.port} onChange={(e) => set('port', e.target.value)} />
          </div>
          <div className="pf-field">
            <label htmlFor="pf-db">Database</label>
            <input id="pf-db" required value={f.database} onChange={(e) => set('database', e.target.value)} spellCheck={false} />
          </div>
          <div className="pf-field">
            <label htmlFor="pf-user">User</label>
            <input id="pf-user" required value={f.user} onChange={(e) => set('user', e.target.value)} spellCheck={false} autoComplete="off" />
          </div>
          <SecretField kind="password" stored={profile?.secrets.password ?? false} removed={removed.password} onRemove={(v) => setRemoved((r) => ({ ...r, password: v }))} />
          <div className="pf-field">
            <label htmlFor="pf-ssl">SSL mode</label>
            <select id="pf-ssl" value={f.sslMode} onChange={(e) => set('sslMode', e.target.value as SslMode)}>
              {SSL_MODES.map((m) => (
                <option key={m} value={m}>
                  {SSL_LABEL[m]}
                </option>
              ))}
            </select>
          </div>
          {f.sslMode === 'verify-full' && (
            <div className="pf-field pf-wide">
              <label htmlFor="pf-ca">CA certificate file</label>
              <input id="pf-ca" value={f.caFile} onChange={(e) => set('caFile', e.target.value)} placeholder="/path/to/root.crt (empty: the system's trusted authorities)" spellCheck={false} />
            </div>
          )}
          <div className="pf-field">
            <label htmlFor="pf-template">Template schema</label>
            <input id="pf-template" required value={f.templateSchema} onChange={(e) => set('templateSchema', e.target.value)} spellCheck={false} />
          </div>
          <div className="pf-field">
            <label htmlFor="pf-prefix">Tenant schema prefix</label>
            <input id="pf-prefix" required value={f.tenantPrefix} onChange={(e) => set('tenantPrefix', e.target.value)} spellCheck={false} />
          </div>
        </div>
      </fieldset>

      <fieldset>
        <legend>Operator (recorded in every audit entry)</legend>
        <div className="pf-grid">
          <div className="pf-field">
            <label htmlFor="pf-op-name">Your name</label>
            <input id="pf-op-name" required value={f.operatorName} onChange={(e) => set('operatorName', e.target.value)} />
          </div>
          <div className="pf-field">
            <label htmlFor="pf-op-email">Your email</label>
            <input id="pf-op-email" required type="email" value={f.operatorEmail} onChange={(e) => set('operatorEmail', e.target.value)} />
          </div>
        </div>
      </fieldset>

      <fieldset>
        <legend>Optional</legend>
        <div className="pf-grid">
          <div className="pf-field pf-wide">
            <label htmlFor="pf-redis">Redis URL (evicts the app's tenant cache)</label>
            <input id="pf-redis" value={f.redisUrl} onChange={(e) => set('redisUrl', e.target.value)} placeholder="redis://cache.example.com:6379/0" spellCheck={false} />
          </div>
          <SecretField kind="redisPassword" stored={profile?.secrets.redisPassword ?? false} removed={removed.redisPassword} onRemove={(v) => setRemoved((r) => ({ ...r, redisPassword: v }))} />
          <SecretField kind="stripeKey" stored={profile?.secrets.stripeKey ?? false} removed={removed.stripeKey} onRemove={(v) => setRemoved((r) => ({ ...r, stripeKey: v }))} />
          <SecretField kind="webhookSecret" stored={profile?.secrets.webhookSecret ?? false} removed={removed.webhookSecret} onRemove={(v) => setRemoved((r) => ({ ...r, webhookSecret: v }))} />
          <div className="pf-field pf-wide">
            <label htmlFor="pf-bin">pg_dump / pg_restore folder</label>
            <input id="pf-bin" value={f.pgBinDir} onChange={(e) => set('pgBinDir', e.target.value)} placeholder="Empty: search PATH and the usual places" spellCheck={false} />
          </div>
        </div>
      </fieldset>

      <fieldset>
        <legend>The app's address (health endpoint and tenant reachability checks)</legend>
        <div className="pf-grid">
          <div className="pf-field pf-wide">
            <label htmlFor="pf-base-domain">Base domain</label>
            <input id="pf-base-domain" value={f.baseDomain} onChange={(e) => set('baseDomain', e.target.value)} placeholder="nchat.example.com (tenants at <slug>.nchat.example.com)" spellCheck={false} />
          </div>
          <div className="pf-field">
            <label htmlFor="pf-dns">DNS server for checks</label>
            <input id="pf-dns" value={f.dnsServer} onChange={(e) => set('dnsServer', e.target.value)} placeholder="Empty: the system's" spellCheck={false} />
          </div>
          <div className="pf-field pf-wide">
            <label htmlFor="pf-check-ca">Extra CA certificate for checks (PEM file)</label>
            <input id="pf-check-ca" value={f.checkCaFile} onChange={(e) => set('checkCaFile', e.target.value)} placeholder="Empty: the system's trusted authorities only" spellCheck={false} />
          </div>
        </div>
      </fieldset>

      <p className="pf-note muted small">Passwords and keys go to the system keychain only; they are never written to a file or shown again.</p>

      {error && (
        <div className="pf-error" role="alert" data-error-code={error instanceof ApiError ? error.code : 'INTERNAL'}>
          <IconAlert width={14} height={14} /> {errorText(error)}
        </div>
      )}
      {test.isPending && <div className="pf-pending muted">Testing the connection…</div>}
      {report && <TestReport report={report} onApply={(e) => onApply(e.currentTarget.form)} applying={apply.isPending} />}

      <div className="pf-actions">
        <button type="button" className="btn" onClick={onTest} disabled={test.isPending}>
          Test connection
        </button>
        <span className="pf-spacer" />
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn" disabled={busy}>
          Save
        </button>
        <button type="button" className="btn btn-primary" disabled={busy} onClick={onSaveAndConnect}>
          {busy ? 'Saving…' : 'Save and connect'}
        </button>
      </div>
    </form>
  )
}
