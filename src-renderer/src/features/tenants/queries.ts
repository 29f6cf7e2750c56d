import { keepPreviousData, useQuery } from '@tanstack/react-query'
import type { TenantFilter, TenantListInput } from '../../../../src-preload/contract'
import { call } from '../../api/bridge'

/**
 * Query keys of the tenants feature. Mutations that change a tenant invalidate
 * `tenantKeys.detail(id)` and `tenantKeys.lists()`; anything that changes the
 * fleet's shape (create, hard delete) invalidates `tenantKeys.all`.
 */
export const tenantKeys = {
  all: ['tenants'] as const,
  lists: () => [...tenantKeys.all, 'list'] as const,
  list: (input: TenantListInput) => [...tenantKeys.lists(), input] as const,
  details: () => [...tenantKeys.all, 'detail'] as const,
  detail: (id: string) => [...tenantKeys.details(), id] as const,
  facets: () => [...tenantKeys.all, 'facets'] as const,
  count: (filter: TenantFilter) => [...tenantKeys.all, 'count', filter] as const
}

export function useTenantList(input: TenantListInput) {
  return useQuery({
    queryKey: tenantKeys.list(input),
    queryFn: () => call('tenants:list', input),
    // Keep the previous page on screen while the next one loads: no flashing table.
    placeholderData: keepPreviousData
  })
}

export function useTenant(id: string | null) {
  return useQuery({
    queryKey: tenantKeys.detail(id ?? ''),
    queryFn: () => call('tenants:get', { id: id! }),
    enabled: id !== null
  })
}

export function useTenantFacets() {
  return useQuery({ queryKey: tenantKeys.facets(), queryFn: () => call('tenants:facets', {}), staleTime: 5 * 60_000 })
}

/** The exact number of matching tenants, asked for when the directory shows "about N". */
export function useTenantCount(filter: TenantFilter, enabled: boolean) {
  return useQuery({ queryKey: tenantKeys.count(filter), queryFn: () => call('tenants:count', filter), enabled })
}
