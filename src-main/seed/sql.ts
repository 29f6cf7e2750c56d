/** SQL literals for the generator's multi-statement batches: every value goes through `lit`, every name through `quoteIdent`. */
import { quoteIdent } from '../core/ident'

export type Lit = string | number | boolean | null | undefined | Date | Raw | object
export class Raw {
  constructor(readonly sql: string) {}
}

function strLit(s: string): string {
  if (s.includes('\u0000')) throw new Error('NUL in generated text')
  const body = s.replace(/'/g, "''")
  // E'' with doubled backslashes is read the same whatever standard_conforming_strings says.
  return s.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`
}

export function lit(v: Lit): string {
  if (v === null || v === undefined) return 'NULL'
  if (v instanceof Raw) return v.sql
  if (v instanceof Date) return strLit(v.toISOString())
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('non-finite number in generated data')
    return String(v)
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'string') return strLit(v)
  return strLit(JSON.stringify(v))
}

export function insert(table: string, cols: readonly string[], rows: readonly Lit[][]): string {
  if (rows.length === 0) return ''
  const values = rows.map((r) => `(${r.map(lit).join(',')})`).join(',\n')
  return `INSERT INTO ${table} (${cols.map(quoteIdent).join(',')}) VALUES\n${values};\n`
}

/** Columns of the app's public tables the generator fills, in insert order. */
export const TENANT_COLS = [
  'id', 'name', 'slug', 'custom_domain', 'status', 'owner_id', 'owner_email', 'owner_name', 'branding', 'schema_name',
  'billing_plan', 'billing_interval', 'stripe_customer_id', 'stripe_subscription_id', 'stripe_price_id',
  'current_period_start', 'current_period_end', 'cancel_at_period_end', 'last_payment_date', 'last_payment_amount',
  'last_payment_status', 'limits', 'features', 'metadata', 'created_at', 'updated_at', 'trial_ends_at', 'suspended_at', 'cancelled_at'
] as const
export const USAGE_COLS = [
  'id', 'tenant_id', 'period', 'users_active', 'users_total', 'messages_sent', 'messages_total', 'files_count', 'storage_bytes',
  'calls_total_minutes', 'calls_total_count', 'api_calls_total', 'api_calls_by_endpoint', 'created_at', 'updated_at'
] as const
export const SETTINGS_COLS = [
  'id', 'tenant_id', 'timezone', 'language', 'date_format', 'require_email_verification', 'require_two_factor',
  'session_timeout_minutes', 'password_policy', 'email_notifications', 'slack_notifications', 'webhook_notifications',
  'message_retention_days', 'file_retention_days', 'audit_log_retention_days', 'created_at', 'updated_at'
] as const
export const INVITE_COLS = ['id', 'tenant_id', 'email', 'role', 'invited_by', 'token', 'expires_at', 'accepted_at', 'created_at'] as const
export const AUDIT_COLS = ['id', 'tenant_id', 'user_id', 'action', 'resource', 'resource_id', 'details', 'ip_address', 'user_agent', 'created_at'] as const
export const WEBHOOK_COLS = ['id', 'stripe_event_id', 'event_type', 'tenant_id', 'payload', 'processed', 'error', 'created_at', 'processed_at'] as const
