import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { SessionInfo } from '../../../src-preload/contract'
import { api, call } from '../api/bridge'

/** Query keys of the shell. Every feature keeps its own factory in features/<name>/queries.ts. */
export const sessionKeys = {
  all: ['session'] as const,
  info: () => [...sessionKeys.all, 'info'] as const
}

export function useSession() {
  return useQuery({ queryKey: sessionKeys.info(), queryFn: () => call('session:info', {}), staleTime: 60_000 })
}

/**
 * Follows `session:changed` (profile switch, reconnect): the new session replaces the
 * old one, every other cached query is reset (its data belonged to the previous database),
 * and the returned epoch changes so screens remount with fresh local state.
 */
export function useSessionChanges(): number {
  const qc = useQueryClient()
  const [epoch, setEpoch] = useState(0)
  useEffect(() => {
    return api().on('session:changed', (info: SessionInfo) => {
      setEpoch((e) => e + 1)
      // Reset rather than remove: queries watched by the shell itself stay wired to their
      // observers; their data is dropped and the ones on screen are fetched again.
      void qc.resetQueries({ predicate: (q) => q.queryKey[0] !== sessionKeys.all[0] })
      qc.setQueryData(sessionKeys.info(), info)
      void qc.invalidateQueries({ queryKey: sessionKeys.all })
    })
  }, [qc])
  return epoch
}
