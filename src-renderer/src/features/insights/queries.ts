import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { RangeMonths, RefreshProgress } from '../../../../src-preload/contract'
import { api, call } from '../../api/bridge'
import { tenantKeys } from '../tenants/queries'

/**
 * Query keys of the insights feature. A finished usage refresh invalidates everything
 * here and the tenant lists (their usage columns come from the same rows).
 */
export const insightKeys = {
  all: ['insights'] as const,
  overview: (months: RangeMonths) => [...insightKeys.all, 'overview', months] as const,
  usage: (id: string, months: RangeMonths) => [...insightKeys.all, 'usage', id, months] as const
}

export function useOverview(months: RangeMonths) {
  return useQuery({ queryKey: insightKeys.overview(months), queryFn: () => call('insights:overview', { months }), staleTime: 60_000 })
}

export function useTenantUsage(id: string, months: RangeMonths) {
  return useQuery({ queryKey: insightKeys.usage(id, months), queryFn: () => call('insights:usage', { id, months }) })
}

/** Refresh usage (all tenants, or some), with live progress and cancel. */
export function useRefreshUsage() {
  const qc = useQueryClient()
  const [progress, setProgress] = useState<RefreshProgress | null>(null)
  const [jobId, setJobId] = useState<string | null>(null)
  useEffect(() => {
    if (!jobId) return
    return api().on('insights:progress', (p) => {
      if (p.jobId === jobId) setProgress(p)
    })
  }, [jobId])
  const run = useMutation({
    mutationFn: (scope: { all: true } | { tenantIds: string[] }) => {
      const id = crypto.randomUUID()
      setJobId(id)
      setProgress(null)
      return call('insights:refreshUsage', { jobId: id, ...scope })
    },
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: insightKeys.all })
      void qc.invalidateQueries({ queryKey: tenantKeys.all })
    }
  })
  const cancel = useMutation({ mutationFn: () => call('insights:cancelRefresh', { jobId: jobId! }) })
  return { run, cancel, progress: run.isPending ? progress : null, jobId }
}
