import { useQueryClient } from '@tanstack/react-query'
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { isUnavailableQuery } from '../app/queryClient'
import { sessionKeys } from './session'

/** True while any query on screen failed with DB_UNAVAILABLE and has not succeeded since. */
export function useDbUnavailable(): boolean {
  const qc = useQueryClient()
  const cache = qc.getQueryCache()
  return useSyncExternalStore(
    useCallback((cb) => cache.subscribe(cb), [cache]),
    () => cache.getAll().some(isUnavailableQuery)
  )
}

const AUTO_RETRY_MS = 5_000

/**
 * Retry for everything that failed because the database was away: refetches those
 * queries and the session. While the database is away it also retries on its own
 * every few seconds, so the console recovers without a reload.
 */
export function useDbRecovery(down: boolean): { retry: () => Promise<void>; retrying: boolean } {
  const qc = useQueryClient()
  const [retrying, setRetrying] = useState(false)
  const retry = useCallback(async () => {
    setRetrying(true)
    try {
      await Promise.all([
        qc.refetchQueries({ type: 'active', predicate: isUnavailableQuery }),
        qc.invalidateQueries({ queryKey: sessionKeys.all })
      ])
    } finally {
      setRetrying(false)
    }
  }, [qc])
  // Back up (by Retry, the timer, or any screen's own refetch): refresh what the top bar says.
  const wasDown = useRef(down)
  useEffect(() => {
    if (wasDown.current && !down) void qc.invalidateQueries({ queryKey: sessionKeys.all })
    wasDown.current = down
  }, [down, qc])
  useEffect(() => {
    if (!down) return
    const t = setInterval(() => void retry(), AUTO_RETRY_MS)
    return () => clearInterval(t)
  }, [down, retry])
  return { retry, retrying }
}
