import { useMutation, useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { AuditProgress } from '../../../../src-preload/contract'
import { api, call } from '../../api/bridge'

export const healthKeys = {
  all: ['health'] as const,
  summary: () => [...healthKeys.all, 'summary'] as const
}

export function useHealthSummary() {
  return useQuery({ queryKey: healthKeys.summary(), queryFn: () => call('health:summary', {}), refetchInterval: 30_000 })
}

/** The audit as a job: its report when done, live progress while it runs, cancel. */
export function useAudit() {
  const [jobId, setJobId] = useState<string | null>(null)
  const [progress, setProgress] = useState<AuditProgress | null>(null)
  useEffect(() => {
    if (!jobId) return
    return api().on('health:progress', (p) => {
      if (p.jobId === jobId) setProgress(p)
    })
  }, [jobId])
  const run = useMutation({
    mutationFn: () => {
      const id = crypto.randomUUID()
      setJobId(id)
      setProgress(null)
      return call('health:audit', { jobId: id })
    }
  })
  const cancel = useMutation({ mutationFn: () => call('health:cancelAudit', { jobId: jobId! }) })
  return { run, cancel, progress: run.isPending ? progress : null }
}

export function useApplyFix() {
  return useMutation({ mutationFn: (findingId: string) => call('health:applyFix', { findingId }) })
}
