import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useMemo, useState } from 'react'
import type { BackupProgress, InputOf } from '../../../../src-preload/contract'
import { api, call } from '../../api/bridge'

/**
 * Query keys of the backups feature. A job's end (seen on `backups:progress`) and every
 * mutation invalidate `backupKeys.all`: the catalog, the batches and the jobs.
 */
export const backupKeys = {
  all: ['backups'] as const,
  lists: () => [...backupKeys.all, 'list'] as const,
  list: (input: InputOf<'backups:list'>) => [...backupKeys.lists(), input] as const,
  batches: () => [...backupKeys.all, 'batches'] as const,
  jobs: () => [...backupKeys.all, 'jobs'] as const,
  tools: () => [...backupKeys.all, 'tools'] as const
}

export function useBackupList(input: InputOf<'backups:list'>) {
  return useQuery({ queryKey: backupKeys.list(input), queryFn: () => call('backups:list', input) })
}

export function useBatches() {
  return useQuery({ queryKey: backupKeys.batches(), queryFn: () => call('backups:batches', {}) })
}

export function useBackupTools() {
  return useQuery({ queryKey: backupKeys.tools(), queryFn: () => call('backups:tools', {}), staleTime: 5 * 60_000 })
}

/**
 * Live jobs: the ones main reports at mount, then every `backups:progress` event.
 * Finished jobs stay visible (with their outcome) until dismissed.
 */
export function useBackupJobs(): { jobs: BackupProgress[]; dismiss(jobId: string): void } {
  const qc = useQueryClient()
  const [live, setLive] = useState<ReadonlyMap<string, BackupProgress>>(() => new Map())
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(() => new Set())
  const initial = useQuery({ queryKey: backupKeys.jobs(), queryFn: () => call('backups:jobs', {}) })
  useEffect(() => {
    return api().on('backups:progress', (p: BackupProgress) => {
      setLive((prev) => new Map(prev).set(p.jobId, p))
      if (p.phase === 'done' || p.tenantsDone > 0) void qc.invalidateQueries({ queryKey: backupKeys.lists() })
      if (p.phase === 'done') void qc.invalidateQueries({ queryKey: backupKeys.batches() })
    })
  }, [qc])
  const jobs = useMemo(() => {
    const m = new Map<string, BackupProgress>()
    for (const j of initial.data ?? []) m.set(j.jobId, j)
    for (const [id, j] of live) m.set(id, j)
    for (const id of dismissed) m.delete(id)
    return [...m.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt))
  }, [initial.data, live, dismissed])
  return { jobs, dismiss: (jobId) => setDismissed((prev) => new Set(prev).add(jobId)) }
}

function useInvalidateOnSuccess() {
  const qc = useQueryClient()
  return () => void qc.invalidateQueries({ queryKey: backupKeys.all })
}

export function useExportTenant() {
  const onSuccess = useInvalidateOnSuccess()
  return useMutation({ mutationFn: (tenantId: string) => call('backups:export', { tenantId }), onSuccess })
}

export function useExportMany() {
  const onSuccess = useInvalidateOnSuccess()
  return useMutation({ mutationFn: (input: InputOf<'backups:exportMany'>) => call('backups:exportMany', input), onSuccess })
}

export function useResumeBatch() {
  const onSuccess = useInvalidateOnSuccess()
  return useMutation({ mutationFn: (batchId: string) => call('backups:resumeBatch', { batchId }), onSuccess })
}

export function useCancelJob() {
  return useMutation({ mutationFn: (jobId: string) => call('backups:cancel', { jobId }) })
}

export function useVerifyBackup() {
  const onSuccess = useInvalidateOnSuccess()
  return useMutation({ mutationFn: (input: { backupId: string; deep: boolean }) => call('backups:verify', input), onSuccess })
}

export function useShowInFolder() {
  return useMutation({ mutationFn: (backupId: string) => call('backups:showInFolder', { backupId }) })
}

export function useRestoreBackup() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (input: InputOf<'backups:restore'>) => call('backups:restore', input),
    // A restore changes tenants too.
    onSuccess: () => void qc.invalidateQueries()
  })
}
