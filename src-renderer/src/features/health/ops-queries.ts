import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { InputOf } from '../../../../src-preload/contract'
import { call } from '../../api/bridge'
import { tenantKeys } from '../tenants/queries'
import { healthKeys } from './queries'

/** Queries of the checklist, incident mode and orphan schemas (kept apart from the audit's). */
export const opsKeys = {
  checklist: () => [...healthKeys.all, 'checklist'] as const,
  incident: () => [...healthKeys.all, 'incident'] as const
}

export function useChecklist(enabled: boolean) {
  return useQuery({ queryKey: opsKeys.checklist(), queryFn: () => call('health:checklist', {}), enabled })
}

export function useIncidentPreview(enabled: boolean) {
  return useQuery({ queryKey: opsKeys.incident(), queryFn: () => call('health:incidentPreview', {}), enabled })
}

/** Incident changes tenants' status: the summary, the directory and the incident state refetch. */
function useInvalidateFleet() {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: healthKeys.all })
    void qc.invalidateQueries({ queryKey: tenantKeys.all })
  }
}

export function useIncidentStart() {
  const done = useInvalidateFleet()
  return useMutation({ mutationFn: (input: InputOf<'health:incidentStart'>) => call('health:incidentStart', input), onSuccess: done })
}

export function useIncidentRestore() {
  const done = useInvalidateFleet()
  return useMutation({ mutationFn: (incidentId: string) => call('health:incidentRestore', { incidentId }), onSuccess: done })
}

export function useOrphanSuggest(schema: string | null) {
  return useQuery({ queryKey: [...healthKeys.all, 'orphan', schema], queryFn: () => call('health:orphanSuggest', { schema: schema! }), enabled: Boolean(schema) })
}

export function useOrphanAdopt() {
  const done = useInvalidateFleet()
  return useMutation({ mutationFn: (input: InputOf<'health:orphanAdopt'>) => call('health:orphanAdopt', input), onSuccess: done })
}

export function useOrphanDrop() {
  const done = useInvalidateFleet()
  return useMutation({ mutationFn: (input: InputOf<'health:orphanDrop'>) => call('health:orphanDrop', input), onSuccess: done })
}
