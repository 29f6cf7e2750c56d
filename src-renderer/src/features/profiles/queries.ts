import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { ProfileSaveInput, ProfileTestInput } from '../../../../src-preload/contract'
import { call } from '../../api/bridge'

/** Query keys of the profiles feature. */
export const profileKeys = {
  all: ['profiles'] as const,
  state: () => [...profileKeys.all, 'state'] as const
}

export function useProfilesState() {
  return useQuery({
    queryKey: profileKeys.state(),
    queryFn: () => call('profiles:state', {}),
    staleTime: 5_000,
    // While main reopens the last connection at start-up, follow it closely.
    refetchInterval: (q) => (q.state.data?.restoring || q.state.data?.demo.state === 'starting' ? 1_000 : false)
  })
}

function useInvalidate() {
  const qc = useQueryClient()
  return () => qc.invalidateQueries({ queryKey: profileKeys.all })
}

export function useSaveProfile() {
  const invalidate = useInvalidate()
  return useMutation({ mutationFn: (input: ProfileSaveInput) => call('profiles:save', input), onSuccess: invalidate })
}

export function useTestProfile() {
  return useMutation({ mutationFn: (input: ProfileTestInput) => call('profiles:test', input) })
}

export function useApplyMigrations() {
  return useMutation({ mutationFn: (input: ProfileTestInput) => call('profiles:applyMigrations', input) })
}

export function useDeleteProfile() {
  const invalidate = useInvalidate()
  return useMutation({ mutationFn: (id: string) => call('profiles:delete', { id }), onSuccess: invalidate })
}

/** Switching: main closes the old pool and emits session:changed, which clears every cache. */
export function useActivateProfile() {
  const invalidate = useInvalidate()
  return useMutation({ mutationFn: (id: string) => call('profiles:activate', { id }), onSettled: invalidate })
}

export function useDisconnect() {
  const invalidate = useInvalidate()
  return useMutation({ mutationFn: () => call('profiles:disconnect', {}), onSettled: invalidate })
}

export function useOpenDemo() {
  const invalidate = useInvalidate()
  return useMutation({ mutationFn: () => call('demo:open', {}), onSettled: invalidate })
}

export function useResetDemo() {
  const invalidate = useInvalidate()
  return useMutation({ mutationFn: () => call('demo:reset', {}), onSettled: invalidate })
}

export function useSetAsideDamaged() {
  const invalidate = useInvalidate()
  return useMutation({ mutationFn: () => call('profiles:setAsideDamagedFile', {}), onSettled: invalidate })
}
