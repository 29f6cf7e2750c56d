import type { z } from 'zod'
import { Empty } from './common'
import type { Result } from './errors'
import type { SessionInfo } from './session'
import { IndexAreaInput, IndexListInput, IndexNameInput, type IndexAreaStatus, type IndexChange, type IndexInfo } from './indexes'
import {
  BulkInput,
  CancelInput,
  CreateTenantInput,
  HardDeleteInput,
  SuspendInput,
  ReactivateInput,
  TenantIdInput,
  UpdateTenantInput,
  type BulkOutcome,
  type CreateOutcome,
  type DeletePreview,
  type EditableTenant,
  type HardDeleteOutcome,
  type LifecycleCapabilities,
  type LifecycleOutcome
} from './lifecycle'
import {
  BackupExportInput,
  BackupExportManyInput,
  BackupIdInput,
  BackupListInput,
  BackupRestoreInput,
  BackupVerifyInput,
  BatchIdInput,
  JobIdInput,
  type BackupProgress,
  type BackupRecord,
  type BatchSummary,
  type JobStarted,
  type RestoreResult,
  type ToolStatus,
  type VerifyResult
} from './backups'
import {
  OverviewCsvInput,
  OverviewInput,
  RefreshCancelInput,
  RefreshUsageInput,
  TenantUsageInput,
  type CsvSaved,
  type FleetOverview,
  type RefreshProgress,
  type RefreshSummary,
  type TenantUsageHistory
} from './insights'
import { ApplyFixInput, AuditCancelInput, AuditInput, type AuditProgress, type AuditReport, type FixApplied, type HealthSummary } from './health'
import {
  IncidentRestoreInput,
  IncidentStartInput,
  OrphanAdoptInput,
  OrphanDropInput,
  OrphanSuggestInput,
  type Checklist,
  type IncidentPreview,
  type IncidentRestored,
  type IncidentStarted,
  type OrphanAdopted,
  type OrphanDropped,
  type OrphanSuggestion
} from './health-ops'
import {
  AuditExportInput,
  AuditGetInput,
  AuditIndexInput,
  AuditJobInput,
  AuditListInput,
  MaintenancePreviewInput,
  MaintenanceRunInput,
  type AuditDetail,
  type AuditExportProgress,
  type AuditExportResult,
  type AuditIndexInfo,
  type AuditIndexResult,
  type AuditPage,
  type MaintenancePreview,
  type MaintenanceResult
} from './audit'
import {
  BillingJobInput,
  EventIdInput,
  FailuresInput,
  FixDriftInput,
  OpenInvoiceInput,
  ReplayManyInput,
  ResolveInput,
  TenantBillingInput,
  TestKeyInput,
  CancelSubscriptionInput,
  RemovePriceInput,
  SavePriceInput,
  type PriceMappings,
  type SavePriceResult,
  type StripePrices,
  type BillingJobProgress,
  type BulkReplayResult,
  type CancelSubscriptionResult,
  type EventPayload,
  type FailuresPage,
  type FixResult,
  type KeyStatus,
  type KeyTestReport,
  type ReconcileReport,
  type ReplayOutcome,
  type StripeCheckInfo,
  type TenantBilling,
  type WebhookHealth
} from './billing'
import { ReachTenantInput, type AppEndpointStatus, type TenantReachability } from './reach'
import { TenantFilter, TenantGetInput, TenantListInput, type FleetFacets, type TenantCount, type TenantDetail, type TenantMatching, type TenantPage } from './tenants'
import {
  ProfileActivateInput,
  ProfileIdInput,
  ProfileSaveInput,
  ProfileTestInput,
  type ConnectionTestReport,
  type DemoStatus,
  type MigrationsApplied,
  type ProfilesState,
  type ProfileView
} from './profiles'

export * from './errors'
export * from './common'
export * from './session'
export * from './tenants'
export * from './lifecycle'
export * from './profiles'
export * from './backups'
export * from './insights'
export * from './health'
export * from './health-ops'
export * from './indexes'
export * from './audit'
export * from './billing'
export * from './reach'

/**
 * A channel: its zod input schema, and (type-only) the data it answers with.
 * Channel names are `namespace:method`; the preload turns each into
 * `window.nchat.namespace.method(input)`.
 */
export interface ChannelDef<I extends z.ZodType, O> {
  input: I
  /** phantom, never set */
  readonly __out?: O
}
const channel =
  <O>() =>
  <I extends z.ZodType>(input: I): ChannelDef<I, O> => ({ input })

export const contract = {
  'session:info': channel<SessionInfo>()(Empty),
  'tenants:list': channel<TenantPage>()(TenantListInput),
  'tenants:get': channel<TenantDetail>()(TenantGetInput),
  'tenants:facets': channel<FleetFacets>()(Empty),
  'tenants:count': channel<TenantCount>()(TenantFilter),
  'tenants:matching': channel<TenantMatching>()(TenantFilter),
  'lifecycle:capabilities': channel<LifecycleCapabilities>()(Empty),
  'lifecycle:create': channel<CreateOutcome>()(CreateTenantInput),
  'lifecycle:editable': channel<EditableTenant>()(TenantIdInput),
  'lifecycle:update': channel<LifecycleOutcome>()(UpdateTenantInput),
  'lifecycle:suspend': channel<LifecycleOutcome>()(SuspendInput),
  'lifecycle:reactivate': channel<LifecycleOutcome>()(ReactivateInput),
  'lifecycle:cancel': channel<LifecycleOutcome>()(CancelInput),
  'lifecycle:restore': channel<LifecycleOutcome>()(CancelInput),
  'lifecycle:deletePreview': channel<DeletePreview>()(TenantIdInput),
  'lifecycle:hardDelete': channel<HardDeleteOutcome>()(HardDeleteInput),
  'lifecycle:bulk': channel<BulkOutcome>()(BulkInput),
  'profiles:state': channel<ProfilesState>()(Empty),
  'profiles:save': channel<ProfileView>()(ProfileSaveInput),
  'profiles:test': channel<ConnectionTestReport>()(ProfileTestInput),
  'profiles:applyMigrations': channel<MigrationsApplied>()(ProfileTestInput),
  'profiles:delete': channel<ProfilesState>()(ProfileIdInput),
  'profiles:activate': channel<SessionInfo>()(ProfileActivateInput),
  'profiles:disconnect': channel<SessionInfo>()(Empty),
  'profiles:setAsideDamagedFile': channel<ProfilesState>()(Empty),
  'demo:open': channel<SessionInfo>()(Empty),
  'demo:reset': channel<SessionInfo>()(Empty),
  'demo:status': channel<DemoStatus>()(Empty),
  'backups:tools': channel<ToolStatus>()(Empty),
  'backups:list': channel<BackupRecord[]>()(BackupListInput),
  'backups:batches': channel<BatchSummary[]>()(Empty),
  'backups:jobs': channel<BackupProgress[]>()(Empty),
  'backups:export': channel<JobStarted>()(BackupExportInput),
  'backups:exportMany': channel<JobStarted>()(BackupExportManyInput),
  'backups:resumeBatch': channel<JobStarted>()(BatchIdInput),
  'backups:cancel': channel<{ cancelled: boolean }>()(JobIdInput),
  'backups:verify': channel<VerifyResult>()(BackupVerifyInput),
  'backups:showInFolder': channel<{ shown: boolean }>()(BackupIdInput),
  'backups:restore': channel<RestoreResult>()(BackupRestoreInput),
  'insights:overview': channel<FleetOverview>()(OverviewInput),
  'insights:usage': channel<TenantUsageHistory>()(TenantUsageInput),
  'insights:exportCsv': channel<CsvSaved>()(OverviewCsvInput),
  'insights:refreshUsage': channel<RefreshSummary>()(RefreshUsageInput),
  'insights:cancelRefresh': channel<{ cancelled: boolean }>()(RefreshCancelInput),
  'health:summary': channel<HealthSummary>()(Empty),
  'health:audit': channel<AuditReport>()(AuditInput),
  'health:cancelAudit': channel<{ cancelled: boolean }>()(AuditCancelInput),
  'health:applyFix': channel<FixApplied>()(ApplyFixInput),
  'health:checklist': channel<Checklist>()(Empty),
  'health:incidentPreview': channel<IncidentPreview>()(Empty),
  'health:incidentStart': channel<IncidentStarted>()(IncidentStartInput),
  'health:incidentRestore': channel<IncidentRestored>()(IncidentRestoreInput),
  'health:orphanSuggest': channel<OrphanSuggestion>()(OrphanSuggestInput),
  'health:orphanAdopt': channel<OrphanAdopted>()(OrphanAdoptInput),
  'health:orphanDrop': channel<OrphanDropped>()(OrphanDropInput),
  'audit:list': channel<AuditPage>()(AuditListInput),
  'audit:get': channel<AuditDetail>()(AuditGetInput),
  'audit:exportCsv': channel<AuditExportResult>()(AuditExportInput),
  'audit:cancelExport': channel<{ cancelled: boolean }>()(AuditJobInput),
  'audit:indexes': channel<AuditIndexInfo[]>()(Empty),
  'audit:createIndex': channel<AuditIndexResult>()(AuditIndexInput),
  'indexes:list': channel<IndexInfo[]>()(IndexListInput),
  'indexes:status': channel<IndexAreaStatus>()(IndexAreaInput),
  'indexes:create': channel<IndexChange>()(IndexNameInput),
  'indexes:drop': channel<IndexChange>()(IndexNameInput),
  'maintenance:preview': channel<MaintenancePreview>()(MaintenancePreviewInput),
  'maintenance:run': channel<MaintenanceResult>()(MaintenanceRunInput),
  'billing:keyStatus': channel<KeyStatus>()(Empty),
  'billing:testKey': channel<KeyTestReport>()(TestKeyInput),
  'billing:webhookHealth': channel<WebhookHealth>()(Empty),
  'billing:checkStripe': channel<StripeCheckInfo>()(Empty),
  'billing:failures': channel<FailuresPage>()(FailuresInput),
  'billing:event': channel<EventPayload>()(EventIdInput),
  'billing:replay': channel<ReplayOutcome>()(EventIdInput),
  'billing:replayMany': channel<BulkReplayResult>()(ReplayManyInput),
  'billing:resolve': channel<{ resolved: boolean }>()(ResolveInput),
  'billing:cancelJob': channel<{ cancelled: boolean }>()(BillingJobInput),
  'billing:tenant': channel<TenantBilling>()(TenantBillingInput),
  'billing:openInvoice': channel<{ opened: boolean }>()(OpenInvoiceInput),
  'billing:reconcile': channel<ReconcileReport>()(BillingJobInput),
  'billing:fixDrift': channel<FixResult>()(FixDriftInput),
  'billing:cancelSubscription': channel<CancelSubscriptionResult>()(CancelSubscriptionInput),
  'reach:appEndpoint': channel<AppEndpointStatus>()(Empty),
  'reach:tenant': channel<TenantReachability>()(ReachTenantInput),
  'billing:prices': channel<PriceMappings>()(Empty),
  'billing:stripePrices': channel<StripePrices>()(Empty),
  'billing:savePrice': channel<SavePriceResult>()(SavePriceInput),
  'billing:removePrice': channel<{ removed: boolean; message: string }>()(RemovePriceInput)
} as const

export type Contract = typeof contract
export type Channel = keyof Contract
export type InputOf<C extends Channel> = z.input<Contract[C]['input']>
export type ParsedInputOf<C extends Channel> = z.output<Contract[C]['input']>
export type OutputOf<C extends Channel> = Contract[C] extends ChannelDef<z.ZodType, infer O> ? O : never

export const CHANNELS = Object.keys(contract) as Channel[]

/** Events main pushes to the renderer. Payload types only; main is the only sender. */
export interface EventMap {
  'session:changed': SessionInfo
  'backups:progress': BackupProgress
  'insights:progress': RefreshProgress
  'health:progress': AuditProgress
  'audit:progress': AuditExportProgress
  'billing:progress': BillingJobProgress
}
export type EventName = keyof EventMap
export const EVENT_NAMES: EventName[] = ['session:changed', 'backups:progress', 'insights:progress', 'health:progress', 'audit:progress', 'billing:progress']

type Namespace<C> = C extends `${infer N}:${string}` ? N : never
export type NchatApi = {
  [N in Namespace<Channel>]: {
    [C in Channel as C extends `${N}:${infer M}` ? M : never]: (input: InputOf<C>) => Promise<Result<OutputOf<C>>>
  }
} & {
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void
}

/** Size cap for any single request payload, checked before validation. */
export const MAX_PAYLOAD_BYTES = 256 * 1024
