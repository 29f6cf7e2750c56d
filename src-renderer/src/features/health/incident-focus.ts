import type { Finding } from '../../../../src-preload/contract'

/** After incident mode starts, the audit opens at what the runbook names: policies and search_path. */
export function isIncidentFinding(f: Finding): boolean {
  return f.kind === 'rls-disabled' || f.kind === 'security-definer-search-path' || (f.kind === 'schema-drift' && /: policies /.test(f.detail))
}
