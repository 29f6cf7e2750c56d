/** Reading jsonb rows of public.tenants (to_jsonb(tenants.*)): loose values into strict ones. */
export type Row = Record<string, unknown>

export function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v)
}
export function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}
export function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null
  const d = new Date(String(v))
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString()
}
