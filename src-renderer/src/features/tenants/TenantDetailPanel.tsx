import { FEATURE_KEYS } from '../../../../src-preload/contract/tenants'
import { useState, type ReactNode } from 'react'
import type { TenantDetail, UsageMetric } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { IconCheck, IconMinus, IconX } from '../../components/icons'
import { PaymentPill, PlanBadge, Pill, StatusPill } from '../../components/Pill'
import { capitalize, formatBytes, formatCents, formatDateTime, formatInt, formatRelative, humanizeKey } from '../../lib/format'
import { useTenant } from './queries'
import { BackupTenantButton } from '../backups/BackupButtons'
import { TenantActions } from '../lifecycle/TenantActions'
import { UsageTab } from '../insights/UsageTab'
import { BillingTab } from '../billing/BillingTab'
import { ReachabilitySection } from '../reach/ReachabilitySection'

const SAFE_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i

/** The 21 flags the app knows, in its order; unknown extra keys are appended. */
const FEATURE_ORDER: readonly string[] = FEATURE_KEYS

const FEATURE_LABEL: Record<string, string> = {
  ssoEnabled: 'SSO',
  endToEndEncryption: 'End-to-end encryption',
  githubIntegration: 'GitHub integration',
  apiAccess: 'API access',
  directMessages: 'Direct messages'
}

function Section({ title, children, aside }: { title: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <section className="detail-section" aria-label={title}>
      <header className="detail-section-head">
        <h3>{title}</h3>
        {aside}
      </header>
      {children}
    </section>
  )
}

function Field({ label, name, children, mono = false }: { label: string; name: string; children: ReactNode; mono?: boolean }) {
  return (
    <>
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined} data-field={name}>
        {children ?? <span className="muted">—</span>}
      </dd>
    </>
  )
}

function Empty() {
  return <span className="muted">—</span>
}

function When({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <Empty />
  return (
    <span title={iso}>
      {formatDateTime(iso)} <span className="muted">· {formatRelative(iso)}</span>
    </span>
  )
}

function scalar(v: unknown): ReactNode {
  if (v === null || v === undefined || v === '') return <Empty />
  if (typeof v === 'boolean') return v ? 'Yes' : 'No'
  if (typeof v === 'number') return formatInt(v)
  if (typeof v === 'object') return <code className="json">{JSON.stringify(v)}</code>
  return String(v)
}

function limitValue(key: string, v: unknown): ReactNode {
  if (v === -1) return <span className="unlimited">Unlimited</span>
  if (typeof v === 'number') {
    if (/GB$/.test(key)) return `${formatInt(v)} GB`
    if (/MB$/.test(key)) return `${formatInt(v)} MB`
    if (/Minutes$/.test(key)) return `${formatInt(v)} min`
    return formatInt(v)
  }
  return scalar(v)
}

function UsageBar({ m }: { m: UsageMetric }) {
  const fmt = (n: number | null) => (m.unit === 'bytes' ? formatBytes(n) : formatInt(n))
  const unlimited = m.limit === -1
  const hasLimit = m.limit !== null && m.limit > 0
  const pct = hasLimit && m.used !== null ? (m.used / m.limit!) * 100 : 0
  const tone = pct >= 100 ? 'over' : pct >= 85 ? 'high' : pct >= 70 ? 'warn' : 'ok'
  return (
    <div className="usage" data-metric={m.key}>
      <div className="usage-head">
        <span className="usage-label">{m.label}</span>
        <span className="usage-value">
          <b>{m.used === null ? '—' : fmt(m.used)}</b>
          {unlimited ? <span className="muted"> of unlimited</span> : hasLimit ? <span className="muted"> of {fmt(m.limit)}</span> : null}
          {hasLimit && m.used !== null && <span className={`usage-pct tone-${tone}`}>{pct < 1 && pct > 0 ? '<1' : Math.round(pct)}%</span>}
        </span>
      </div>
      {(hasLimit || unlimited) && (
        <div
          className={`bar${unlimited ? ' bar-unlimited' : ''}`}
          role="meter"
          aria-label={m.label}
          aria-valuemin={0}
          aria-valuemax={hasLimit ? m.limit! : undefined}
          aria-valuenow={m.used ?? 0}
        >
          {hasLimit && <div className={`bar-fill tone-${tone}`} style={{ width: `${Math.min(100, pct)}%` }} />}
        </div>
      )}
    </div>
  )
}

function Swatch({ label, value }: { label: string; value: unknown }) {
  const s = typeof value === 'string' ? value : null
  const safe = s !== null && SAFE_COLOR.test(s)
  return (
    <div className="swatch" data-field={`branding.${label}`}>
      {safe ? <span className="swatch-chip" style={{ background: s }} /> : <span className="swatch-chip swatch-none" />}
      <div>
        <div className="swatch-label">{humanizeKey(label)}</div>
        <div className="mono">{s ?? <span className="muted">not set</span>}</div>
      </div>
    </div>
  )
}

const HIDDEN_SETTINGS = new Set(['id', 'tenant_id', 'created_at', 'updated_at'])

function DetailBody({ t }: { t: TenantDetail }) {
  const features = t.features ?? {}
  // The app's order for the keys this tenant has (the newer layout has other keys), then the rest.
  const featureKeys = [...FEATURE_ORDER.filter((k) => k in features), ...Object.keys(features).filter((k) => !FEATURE_ORDER.includes(k))]
  const enabledCount = featureKeys.filter((k) => features[k]).length
  const b = t.billing
  const branding = t.branding ?? {}
  const settings = Object.entries(t.settings ?? {}).filter(([k]) => !HIDDEN_SETTINGS.has(k))
  const resolvedDiffers = t.resolvedSchemaName !== null && t.resolvedSchemaName !== t.schemaName
  return (
    <div className="detail-body">
      {t.templateTenant && (
        <p className="note note-warn small" data-testid="template-tenant">
          <strong>Template.</strong> {t.templateTenant}
        </p>
      )}
      <Section title="Identity">
        <dl className="kv">
          <Field label="Tenant id" name="id" mono>
            {t.id}
          </Field>
          <Field label="Slug" name="slug" mono>
            {t.slug}
          </Field>
          <Field label="Owner" name="ownerName">
            {t.ownerName}
          </Field>
          <Field label="Owner email" name="ownerEmail">
            {t.ownerEmail}
          </Field>
          <Field label="Custom domain" name="customDomain" mono>
            {t.customDomain}
          </Field>
        </dl>
        {t.domains.length > 0 && (
          <table className="small" data-testid="tenant-domains">
            <thead>
              <tr>
                <th>Domain (tenant_domains)</th>
                <th>Verified</th>
                <th>SSL</th>
              </tr>
            </thead>
            <tbody>
              {t.domains.map((d) => (
                <tr key={d.domain}>
                  <td className="mono">
                    {d.domain}
                    {d.primary ? ' (primary)' : ''}
                  </td>
                  <td>{d.verified ? `verified${d.verifiedAt ? ' ' + d.verifiedAt.slice(0, 10) : ''}` : 'not verified'}</td>
                  <td>{d.sslEnabled === null ? '' : d.sslEnabled ? `on${d.sslExpiresAt ? ', expires ' + d.sslExpiresAt.slice(0, 10) : ''}` : 'off'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>

      <ReachabilitySection key={t.id} tenantId={t.id} />

      <Section title="Status" aside={<StatusPill status={t.status} />}>
        <dl className="kv">
          {Object.entries(t.timestamps).map(([k, v]) => (
            <Field key={k} label={humanizeKey(k.replace(/At$/, ''))} name={`timestamps.${k}`}>
              {v ? <When iso={v} /> : null}
            </Field>
          ))}
        </dl>
      </Section>

      <Section title="Backups">
        <dl className="kv">
          <Field label="Newest verified backup" name="newestVerifiedBackup">
            {t.newestVerifiedBackup ? <When iso={t.newestVerifiedBackup.takenAt} /> : null}
          </Field>
          {t.newestVerifiedBackup && (
            <>
              <Field label="File" name="newestVerifiedBackup.fileName" mono>
                {t.newestVerifiedBackup.fileName}
              </Field>
              <Field label="Verified" name="newestVerifiedBackup.verifiedAt">
                <When iso={t.newestVerifiedBackup.verifiedAt} />
                {t.newestVerifiedBackup.verification ? <span className="muted"> ({t.newestVerifiedBackup.verification})</span> : null}
              </Field>
            </>
          )}
        </dl>
        {!t.newestVerifiedBackup && <p className="note note-warn small">No verified backup of this tenant is in the catalog.</p>}
      </Section>

      <Section title="Plan and billing" aside={<PlanBadge plan={t.plan} />}>
        <dl className="kv">
          <Field label="Interval" name="billingInterval">
            {t.billingInterval ? capitalize(t.billingInterval) : null}
          </Field>
          <Field label="Stripe customer" name="billing.stripeCustomerId" mono>
            {b.stripeCustomerId as string | null}
          </Field>
          <Field label="Subscription" name="billing.stripeSubscriptionId" mono>
            {b.stripeSubscriptionId as string | null}
          </Field>
          <Field label="Price" name="billing.stripePriceId" mono>
            {b.stripePriceId as string | null}
          </Field>
          <Field label="Subscription status" name="billing.subscriptionStatus">
            {b.subscriptionStatus ? <Pill tone="gray">{String(b.subscriptionStatus)}</Pill> : null}
          </Field>
          <Field label="Current period" name="billing.currentPeriod">
            {b.currentPeriodStart || b.currentPeriodEnd ? (
              <span>
                {formatDateTime(b.currentPeriodStart as string | null).replace(/, .*$/, '')} →{' '}
                {formatDateTime(b.currentPeriodEnd as string | null).replace(/, .*$/, '')}
              </span>
            ) : null}
          </Field>
          <Field label="Cancels at period end" name="billing.cancelAtPeriodEnd">
            {b.cancelAtPeriodEnd === null ? null : b.cancelAtPeriodEnd ? <Pill tone="amber">Yes</Pill> : 'No'}
          </Field>
          <Field label="Last payment" name="billing.lastPayment">
            {b.lastPaymentDate || b.lastPaymentAmount !== null || b.lastPaymentStatus ? (
              <span className="inline-facts">
                <PaymentPill status={b.lastPaymentStatus as string | null} />
                <span className="num">{formatCents(b.lastPaymentAmount as number | null)}</span>
                <span className="muted">{formatDateTime(b.lastPaymentDate as string | null).replace(/, .*$/, '')}</span>
              </span>
            ) : null}
          </Field>
        </dl>
      </Section>

      <Section title={`Usage · ${t.usagePeriod}`}>
        <div className="usage-list">
          {t.usage.every((m) => m.used === null) && <p className="muted small">No usage recorded for this month.</p>}
          {t.usage.map((m) => (
            <UsageBar key={m.key} m={m} />
          ))}
        </div>
      </Section>

      <Section title="Limits">
        {t.limits ? (
          <dl className="kv kv-2">
            {Object.entries(t.limits).map(([k, v]) => (
              <Field key={k} label={humanizeKey(k.replace(/^max/, '').replace(/GB$|MB$/, ''))} name={`limits.${k}`}>
                {limitValue(k, v)}
              </Field>
            ))}
          </dl>
        ) : (
          <p className="muted small">No limits recorded.</p>
        )}
      </Section>

      <Section title="Features" aside={t.features ? <span className="muted small">{enabledCount} of {featureKeys.length} on</span> : undefined}>
        {t.features ? (
          <ul className="features">
            {featureKeys.map((k) => (
              <li key={k} className={features[k] ? 'on' : 'off'} data-feature={k} data-on={features[k] ? 'true' : 'false'}>
                {features[k] ? <IconCheck width={13} height={13} /> : <IconMinus width={13} height={13} />}
                {FEATURE_LABEL[k] ?? humanizeKey(k)}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">No feature flags recorded.</p>
        )}
      </Section>

      <Section title="Branding">
        <div className="swatches">
          <Swatch label="primaryColor" value={branding.primaryColor} />
          <Swatch label="secondaryColor" value={branding.secondaryColor} />
        </div>
        <dl className="kv">
          <Field label="App name" name="branding.appName">
            {scalar(branding.appName)}
          </Field>
          <Field label="Logo URL" name="branding.logoUrl" mono>
            {branding.logoUrl ? String(branding.logoUrl) : null}
          </Field>
          <Field label="Favicon URL" name="branding.faviconUrl" mono>
            {branding.faviconUrl ? String(branding.faviconUrl) : null}
          </Field>
          <Field label="Custom CSS" name="branding.customCSS">
            {typeof branding.customCSS === 'string' && branding.customCSS ? `${formatInt(branding.customCSS.length)} characters` : null}
          </Field>
        </dl>
      </Section>

      <Section title="Settings">
        {settings.length ? (
          <dl className="kv kv-2">
            {settings.map(([k, v]) => (
              <Field key={k} label={humanizeKey(k)} name={`settings.${k}`}>
                {k.endsWith('_days') && v === 0 ? 'Forever' : scalar(v)}
              </Field>
            ))}
          </dl>
        ) : (
          <p className="muted small">This tenant has no settings row.</p>
        )}
      </Section>

      <Section
        title="Schema"
        aside={
          t.schemaExists ? (
            <Pill tone="green" dot>
              exists
            </Pill>
          ) : (
            <Pill tone="red" dot>
              missing
            </Pill>
          )
        }
      >
        <dl className="kv">
          <Field label="Schema name" name="schemaName" mono>
            {t.schemaName}
          </Field>
          {resolvedDiffers && (
            <Field label="Stored as" name="resolvedSchemaName" mono>
              {t.resolvedSchemaName}
            </Field>
          )}
          <Field label="Tables" name="schemaTableCount">
            {t.schemaExists ? formatInt(t.schemaTableCount) : null}
          </Field>
          <Field label="Size on disk" name="schemaSizeBytes">
            {t.schemaExists ? formatBytes(t.schemaSizeBytes) : null}
          </Field>
        </dl>
        {resolvedDiffers && (
          <p className="note small">
            The row says <code>{t.schemaName}</code>, but PostgreSQL folded the unquoted name to lower case.
          </p>
        )}
        {!t.schemaExists && <p className="note note-warn small">No schema with this name exists in the database.</p>}
      </Section>

      {t.metadata && Object.keys(t.metadata).length > 0 && (
        <Section title="Metadata">
          <dl className="kv">
            {Object.entries(t.metadata).map(([k, v]) => (
              <Field key={k} label={humanizeKey(k)} name={`metadata.${k}`}>
                {scalar(v)}
              </Field>
            ))}
          </dl>
        </Section>
      )}
    </div>
  )
}

function DetailSkeleton() {
  return (
    <div className="detail-body" aria-hidden="true" data-testid="detail-skeleton">
      {[5, 4, 6, 3].map((n, i) => (
        <div key={i} className="detail-section">
          <span className="skel" style={{ width: '30%', height: 12 }} />
          {Array.from({ length: n }, (_, j) => (
            <div key={j} className="skel-line">
              <span className="skel" style={{ width: '28%' }} />
              <span className="skel" style={{ width: `${40 + ((i + j * 17) % 40)}%` }} />
            </div>
          ))}
        </div>
      ))}
    </div>
  )
}

export function TenantDetailPanel({ id, onClose }: { id: string; onClose(): void }) {
  const q = useTenant(id)
  const t = q.data
  const [tab, setTab] = useState<'details' | 'usage' | 'billing'>('details')
  return (
    <aside className="detail" aria-label="Tenant details" data-testid="tenant-detail" data-tenant-id={id}>
      <header className="detail-head">
        <div className="detail-title">
          {t ? (
            <>
              <h2>{t.name}</h2>
              <div className="detail-sub">
                <span className="mono">{t.slug}</span>
                <StatusPill status={t.status} />
                <PlanBadge plan={t.plan} />
              </div>
            </>
          ) : (
            <span className="skel" style={{ width: 180, height: 18 }} />
          )}
        </div>
        <a className="btn btn-small" href={`#/audit?tenant=${id}`} data-testid="tenant-history" title="The audit trail of this tenant: app entries and operator log">
          History
        </a>
        <BackupTenantButton tenantId={id} />
        <button type="button" className="icon-btn" aria-label="Close details (Esc)" title="Close (Esc)" onClick={onClose}>
          <IconX />
        </button>
      </header>
      {t && !q.isError && <TenantActions tenant={t} onGone={onClose} />}
      <div className="detail-tabs" role="tablist" aria-label="Tenant views">
        {(['details', 'usage', 'billing'] as const).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} className={`detail-tab${tab === k ? ' on' : ''}`} onClick={() => setTab(k)}>
            {k === 'details' ? 'Details' : k === 'usage' ? 'Usage' : 'Billing'}
          </button>
        ))}
      </div>
      {q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} retrying={q.isFetching} compact />
      ) : tab === 'usage' ? (
        <div className="detail-body">
          <UsageTab tenantId={id} />
        </div>
      ) : tab === 'billing' ? (
        <div className="detail-body">
          <BillingTab tenantId={id} />
        </div>
      ) : t ? (
        <DetailBody t={t} />
      ) : (
        <DetailSkeleton />
      )}
    </aside>
  )
}
