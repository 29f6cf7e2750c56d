import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { InputOf } from '../../../../src-preload/contract'
import { call } from '../../api/bridge'
import { tenantKeys } from '../tenants/queries'

/**
 * Query keys of the lifecycle feature. Every mutation invalidates what it changes:
 * the tenant's detail and every list (status, name, plan show in the directory);
 * create and hard delete change the fleet, so they invalidate all tenant queries.
 */
export const lifecycleKeys = {
  all: ['lifecycle'] as const,
  capabilities: () => [...lifecycleKeys.all, 'capabilities'] as const,
  editable: (id: string) => [...lifecycleKeys.all, 'editable', id] as const,
  deletePreview: (id: string) => [...lifecycleKeys.all, 'deletePreview', id] as const
}

export function useCapabilities() {
  return useQuery({ queryKey: lifecycleKeys.capabilities(), queryFn: () => call('lifecycle:capabilities', {}), staleTime: 60_000 })
}

export function useEditable(id: string, enabled = true) {
  return useQuery({ queryKey: lifecycleKeys.editable(id), queryFn: () => call('lifecycle:editable', { id }), enabled, staleTime: 0 })
}

export function useDeletePreview(id: string, enabled = true) {
  return useQuery({ queryKey: lifecycleKeys.deletePreview(id), queryFn: () => call('lifecycle:deletePreview', { id }), enabled, staleTime: 0 })
}

function useInvalidate() {
  const qc = useQueryClient()
  return {
    tenant: (id: string) =>
      Promise.all([
        qc.invalidateQueries({ queryKey: tenantKeys.detail(id) }),
        qc.invalidateQueries({ queryKey: tenantKeys.lists() }),
        qc.invalidateQueries({ queryKey: lifecycleKeys.editable(id) }),
        qc.invalidateQueries({ queryKey: lifecycleKeys.deletePreview(id) })
      ]),
    fleet: () => Promise.all([qc.invalidateQueries({ queryKey: tenantKeys.all }), qc.invalidateQueries({ queryKey: lifecycleKeys.all })])
  }
}

export function useCreateTenant() {
  const inv = useInvalidate()
  return useMutation({
    mutationFn: (input: InputOf<'lifecycle:create'>) => call('lifecycle:create', input),
    onSuccess: () => inv.fleet()
  })
}

export function useUpdateTenant() {
  const inv = useInvalidate()
  return useMutation({
    mutationFn: (input: InputOf<'lifecycle:update'>) => call('lifecycle:update', input),
    onSettled: (_d, _e, input) => inv.tenant(input.id)
  })
}

export type StatusAction = 'suspend' | 'reactivate' | 'cancel' | 'restore'

export function useStatusAction() {
  const inv = useInvalidate()
  return useMutation({
    mutationFn: (v: {
      action: StatusAction
      id: string
      reason?: InputOf<'lifecycle:suspend'>['reason']
      note?: string
      expectedStatus?: string
      returnTo?: 'active' | 'trial'
      /** Cancel: how the Stripe subscription ends. */
      subscription?: 'period_end' | 'now'
    }) => {
      if (v.action === 'reactivate') {
        return call('lifecycle:reactivate', { id: v.id, reason: v.reason ?? 'other', note: v.note, expectedStatus: v.expectedStatus, returnTo: v.returnTo })
      }
      if (v.action === 'suspend') {
        return call(`lifecycle:${v.action}`, { id: v.id, reason: v.reason ?? 'other', note: v.note, expectedStatus: v.expectedStatus })
      }
      if (v.action === 'cancel') {
        return call('lifecycle:cancel', { id: v.id, note: v.note, expectedStatus: v.expectedStatus, subscription: v.subscription ?? 'period_end' })
      }
      return call(`lifecycle:${v.action}`, { id: v.id, note: v.note, expectedStatus: v.expectedStatus })
    },
    // A CONFLICT means someone else changed the tenant: refresh it either way.
    onSettled: (_d, _e, v) => inv.tenant(v.id)
  })
}

export function useHardDelete() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (input: InputOf<'lifecycle:hardDelete'>) => call('lifecycle:hardDelete', input),
    // Lists and facets only: the open detail panel keeps showing the tenant until the
    // operator closes the confirmation (then its query is dropped, see forgetTenant).
    onSettled: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: tenantKeys.lists() }),
        qc.invalidateQueries({ queryKey: tenantKeys.facets() }),
        qc.invalidateQueries({ queryKey: lifecycleKeys.all })
      ])
  })
}

/** Drops the cached detail of a tenant that no longer exists. */
export function useForgetTenant() {
  const qc = useQueryClient()
  return (id: string) => qc.removeQueries({ queryKey: tenantKeys.detail(id) })
}

export function useBulkStatus() {
  const inv = useInvalidate()
  return useMutation({
    mutationFn: (input: InputOf<'lifecycle:bulk'>) => call('lifecycle:bulk', input),
    onSettled: () => inv.fleet()
  })
}
