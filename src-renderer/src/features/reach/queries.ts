import { useMutation, useQuery } from '@tanstack/react-query'
import { call } from '../../api/bridge'

export const reachKeys = {
  all: ['reach'] as const,
  appEndpoint: () => [...reachKeys.all, 'appEndpoint'] as const
}

/** The app's health endpoint (network: checked every minute, not on every focus). */
export function useAppEndpoint(enabled: boolean) {
  return useQuery({ queryKey: reachKeys.appEndpoint(), queryFn: () => call('reach:appEndpoint', {}), enabled, refetchInterval: 60_000, staleTime: 30_000, retry: false })
}

/** A tenant's reachability check, run on demand (it reads only). */
export function useTenantReach() {
  return useMutation({ mutationFn: (id: string) => call('reach:tenant', { id }) })
}
