import { useMemo, useState } from 'react'
import { HEX_COLOR, checkAssetUrl, checkHostname, type EditableTenant } from '../../../../src-preload/contract'
import { humanizeKey } from '../../lib/format'
import { ConfirmFooter, Dialog, ErrorNote, Warnings, conflictCurrent } from './Dialog'
import { useCapabilities, useEditable, useUpdateTenant } from './queries'

interface Form {
  name: string
  plan: string
  billingInterval: string
  customDomain: string
  appName: string
  primaryColor: string
  secondaryColor: string
  logoUrl: string
  faviconUrl: string
  limitOverrides: Record<string, string>
  featureOverrides: Record<string, 'plan' | 'on' | 'off'>
}

function formFrom(e: EditableTenant): Form {
  return {
    name: e.name,
    plan: e.plan ?? '',
    billingInterval: e.billingInterval ?? 'monthly',
    customDomain: e.customDomain ?? '',
    appName: e.branding.appName ?? '',
    primaryColor: e.branding.primaryColor ?? '',
    secondaryColor: e.branding.secondaryColor ?? '',
    logoUrl: e.branding.logoUrl ?? '',
    faviconUrl: e.branding.faviconUrl ?? '',
    limitOverrides: Object.fromEntries(Object.entries(e.limitOverrides).map(([k, v]) => [k, String(v)])),
    featureOverrides: Object.fromEntries(Object.entries(e.featureOverrides).map(([k, v]) => [k, v ? 'on' : 'off']))
  }
}

const safeColor = (c: string, fallback: string) => (HEX_COLOR.test(c) ? c : fallback)

/** Live preview of the tenant's branding: what members see in the app's header. */
function BrandingPreview({ f, slug, baseDomain }: { f: Form; slug: string; baseDomain: string }) {
  const primary = safeColor(f.primaryColor, '#2f6fdb')
  const secondary = safeColor(f.secondaryColor, '#e8f0fd')
  return (
    <div className="lc-preview" data-testid="lc-branding-preview" aria-label="Branding preview">
      <div className="lc-preview-bar" style={{ background: primary }}>
        <span className="lc-preview-logo" style={{ background: secondary, color: primary }}>
          {(f.appName || f.name || '?').slice(0, 1).toUpperCase()}
        </span>
        <b>{f.appName || f.name || 'App name'}</b>
      </div>
      <div className="lc-preview-body">
        <span className="lc-preview-chip" style={{ background: secondary, color: primary }}>
          # general
        </span>
        <span className="lc-preview-btn" style={{ background: primary }}>
          Send
        </span>
        <div className="muted small mono">{f.customDomain || `${slug}.${baseDomain}`}</div>
      </div>
    </div>
  )
}

export function EditTenantDialog({ id, onClose }: { id: string; onClose(): void }) {
  const q = useEditable(id)
  if (!q.data) {
    return (
      <Dialog title="Edit tenant" onClose={onClose} testId="lc-edit-dialog">
        <ErrorNote error={q.error} />
        {q.isPending && <p className="muted">Loading…</p>}
      </Dialog>
    )
  }
  // The form takes the values as first loaded (useState); later refetches do not overwrite edits.
  return <EditForm id={id} initial={q.data} onClose={onClose} />
}

function EditForm({ id, initial, onClose }: { id: string; initial: EditableTenant; onClose(): void }) {
  const caps = useCapabilities()
  const m = useUpdateTenant()
  const [base, setBase] = useState<EditableTenant>(initial)
  const [f, setF] = useState<Form>(() => formFrom(initial))
  const [conflict, setConflict] = useState<EditableTenant | null>(null)
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((x) => ({ ...x, [k]: v }))

  const planDefaults = caps.data?.planDefaults[f.plan]
  const problems = useMemo(() => {
    const p: Record<string, string> = {}
    if (!f.name.trim()) p.name = 'Enter a name.'
    if (f.customDomain.trim()) {
      const d = f.customDomain.trim().toLowerCase()
      const h = checkHostname(d)
      const bd = caps.data?.baseDomain
      if (h) p.customDomain = h
      else if (bd && (d === bd || d.endsWith('.' + bd))) p.customDomain = `Not under ${bd}: tenants already get <slug>.${bd}.`
    }
    for (const k of ['primaryColor', 'secondaryColor'] as const) if (f[k] && !HEX_COLOR.test(f[k])) p[k] = 'Use a colour like #1a73e8.'
    for (const k of ['logoUrl', 'faviconUrl'] as const) {
      const e = f[k] ? checkAssetUrl(f[k]) : null
      if (e) p[k] = e
    }
    for (const [k, v] of Object.entries(f.limitOverrides)) if (v !== '' && !/^-?\d+$/.test(v)) p[`limit.${k}`] = 'A whole number, or -1 for unlimited.'
    return p
  }, [f, caps.data?.baseDomain])

  const save = () => {
    const nullIfEmpty = (s: string) => (s.trim() === '' ? null : s.trim())
    m.mutate(
      {
        id,
        version: base.version,
        name: f.name.trim(),
        plan: f.plan || undefined,
        billingInterval: f.billingInterval === 'yearly' ? 'yearly' : 'monthly',
        customDomain: nullIfEmpty(f.customDomain.toLowerCase()),
        branding: {
          appName: nullIfEmpty(f.appName),
          primaryColor: nullIfEmpty(f.primaryColor),
          secondaryColor: nullIfEmpty(f.secondaryColor),
          logoUrl: nullIfEmpty(f.logoUrl),
          faviconUrl: nullIfEmpty(f.faviconUrl)
        },
        limitOverrides: Object.fromEntries(Object.entries(f.limitOverrides).filter(([, v]) => v !== '').map(([k, v]) => [k, Number(v)])),
        featureOverrides: Object.fromEntries(
          Object.entries(f.featureOverrides)
            .filter(([, v]) => v !== 'plan')
            .map(([k, v]) => [k, v === 'on'])
        )
      },
      {
        onError: (e) => {
          const cur = conflictCurrent(e) as EditableTenant | null
          if (cur) {
            // Keep the operator's edits; rebase on the current version once they have seen it.
            setConflict(cur)
            setBase(cur)
          }
        }
      }
    )
  }

  const field = (k: keyof Form & string, label: string, props: Record<string, unknown> = {}) => (
    <label className="lc-field">
      <span>{label}</span>
      <input type="text" value={f[k] as string} onChange={(e) => set(k, e.target.value as never)} aria-invalid={problems[k] ? true : undefined} aria-label={label} {...props} />
      {problems[k] && <small className="lc-bad">{problems[k]}</small>}
    </label>
  )

  const colorField = (k: 'primaryColor' | 'secondaryColor', label: string) => (
    <label className="lc-field">
      <span>{label}</span>
      <span className="lc-color">
        <input type="color" value={safeColor(f[k], '#000000')} onChange={(e) => set(k, e.target.value)} aria-label={`${label} picker`} />
        <input type="text" value={f[k]} placeholder="#1a73e8" onChange={(e) => set(k, e.target.value)} aria-label={label} aria-invalid={problems[k] ? true : undefined} />
      </span>
      {problems[k] && <small className="lc-bad">{problems[k]}</small>}
    </label>
  )

  return (
    <Dialog
      title="Edit tenant"
      onClose={onClose}
      wide
      testId="lc-edit-dialog"
      footer={
        m.isSuccess ? (
          <button type="button" className="btn lc-primary" onClick={onClose}>
            Close
          </button>
        ) : (
          <ConfirmFooter
            cancel="Discard"
            onCancel={onClose}
            confirm={conflict ? 'Save over the current values' : 'Save'}
            busy="Saving…"
            pending={m.isPending}
            disabled={Object.keys(problems).length > 0}
            testId="lc-save"
            onConfirm={save}
          />
        )
      }
    >
      {(
        <div className="lc-edit">
          <div className="lc-edit-main">
            {conflict && (
              <div className="lc-conflict" role="alert" data-testid="lc-conflict">
                <b>Someone changed this tenant after you opened it; nothing was saved.</b> Current values: name “{conflict.name}”, plan {conflict.plan ?? '—'}, domain{' '}
                {conflict.customDomain ?? '—'}, status {conflict.status}. Your edits are still in the form; saving again replaces the current values.
              </div>
            )}
            {m.isSuccess && (
              <div className="lc-success" role="status" data-testid="lc-result">
                {m.data.message}
                <Warnings warnings={m.data.warnings} />
              </div>
            )}
            {m.error && !conflict && <ErrorNote error={m.error} />}
            <h3>General</h3>
            {field('name', 'Name')}
            <div className="lc-row">
              <label className="lc-field">
                <span>Plan</span>
                <select value={f.plan} onChange={(e) => set('plan', e.target.value)} aria-label="Plan">
                  {(caps.data?.plans ?? [f.plan]).map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              </label>
              <label className="lc-field">
                <span>Billing interval</span>
                <select value={f.billingInterval} onChange={(e) => set('billingInterval', e.target.value)} aria-label="Billing interval">
                  <option value="monthly">monthly</option>
                  <option value="yearly">yearly</option>
                </select>
              </label>
            </div>
            {field('customDomain', 'Custom domain', { placeholder: 'chat.example.com', spellCheck: false })}
            {caps.data?.allowedDomains && <p className="muted small">Allowed custom domains: {caps.data.allowedDomains.join(', ')}</p>}
            <h3>Branding</h3>
            {field('appName', 'App name')}
            <div className="lc-row">
              {colorField('primaryColor', 'Primary colour')}
              {colorField('secondaryColor', 'Secondary colour')}
            </div>
            {field('logoUrl', 'Logo URL', { placeholder: 'https://…', spellCheck: false })}
            {field('faviconUrl', 'Favicon URL', { placeholder: 'https://…', spellCheck: false })}
            <h3>Limits</h3>
            <p className="muted small">Empty follows the plan; -1 is unlimited.</p>
            <div className="lc-grid">
              {Object.entries(planDefaults?.limits ?? base.limits ?? {}).map(([k, v]) => (
                <label key={k} className="lc-field lc-compact">
                  <span>{humanizeKey(k.replace(/^max/, ''))}</span>
                  <input
                    type="text"
                    inputMode="numeric"
                    value={f.limitOverrides[k] ?? ''}
                    placeholder={`plan: ${String(v)}`}
                    onChange={(e) => set('limitOverrides', { ...f.limitOverrides, [k]: e.target.value.trim() })}
                    aria-label={`Limit ${k}`}
                  />
                  {problems[`limit.${k}`] && <small className="lc-bad">{problems[`limit.${k}`]}</small>}
                </label>
              ))}
            </div>
            <h3>Features</h3>
            <div className="lc-grid">
              {Object.entries(planDefaults?.features ?? base.features ?? {}).map(([k, v]) => (
                <label key={k} className="lc-field lc-compact">
                  <span>{humanizeKey(k)}</span>
                  <select
                    value={f.featureOverrides[k] ?? 'plan'}
                    onChange={(e) => set('featureOverrides', { ...f.featureOverrides, [k]: e.target.value as 'plan' | 'on' | 'off' })}
                    aria-label={`Feature ${k}`}
                  >
                    <option value="plan">plan ({v ? 'on' : 'off'})</option>
                    <option value="on">on</option>
                    <option value="off">off</option>
                  </select>
                </label>
              ))}
            </div>
          </div>
          <aside className="lc-edit-side">
            <h3>Preview</h3>
            <BrandingPreview f={f} slug={base.slug} baseDomain={caps.data?.baseDomain ?? 'nchat.app'} />
          </aside>
        </div>
      )}
    </Dialog>
  )
}
