import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { AuditExportProgress, AuditFilterInput, AuditSource, MaintenanceJob } from '../../../../src-preload/contract'
import { api, call } from '../../api/bridge'
import { tenantKeys } from '../tenants/queries'

/** Query keys of the audit feature; maintenance runs and new indexes invalidate them. */
export const auditKeys = {
  all: ['audit'] as const,
  list: (filter: AuditFilterInput) => [...auditKeys.all, 'list', filter] as const,
  detail: (source: AuditSource, id: string) => [...auditKeys.all, 'detail', source, id] as const,
  preview: (job: MaintenanceJob) => [...auditKeys.all, 'maintenance', job] as const,
  indexes: () => [...auditKeys.all, 'indexes'] as const
}

/** Keyset pages: each page asks for the rows after the previous page's cursor. */
export function useAuditPages(filter: AuditFilterInput) {
  return useInfiniteQuery({
    queryKey: auditKeys.list(filter),
    queryFn: ({ pageParam }) => call('audit:list', { filter, cursor: pageParam ?? undefined, limit: 50 }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor
  })
}

export function useAuditDetail(row: { source: AuditSource; id: string } | null) {
  return useQuery({
    queryKey: row ? auditKeys.detail(row.source, row.id) : [...auditKeys.all, 'detail', 'none'],
    queryFn: () => call('audit:get', { source: row!.source, id: row!.id }),
    enabled: Boolean(row)
  })
}

/** CSV export of the filter, with progress events and cancel. */
export function useAuditExport() {
  const [jobId, setJobId] = useState<string | null>(null)
  const [progress, setProgress] = useState<AuditExportProgress | null>(null)
  useEffect(() => {
    if (!jobId) return
    return api().on('audit:progress', (p) => {
      if (p.jobId === jobId) setProgress(p)
    })
  }, [jobId])
  const run = useMutation({
    mutationFn: (filter: AuditFilterInput) => {
      const id = crypto.randomUUID()
      setJobId(id)
      setProgress(null)
      return call('audit:exportCsv', { jobId: id, filter })
    }
  })
  const cancel = useMutation({ mutationFn: () => call('audit:cancelExport', { jobId: jobId! }) })
  return { run, cancel, progress: run.isPending ? progress : null }
}

export function useMaintenancePreview(job: MaintenanceJob, enabled: boolean) {
  return useQuery({ queryKey: auditKeys.preview(job), queryFn: () => call('maintenance:preview', { job }), enabled, staleTime: 0 })
}

export function useMaintenanceRun() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (v: { job: MaintenanceJob; token: string }) => call('maintenance:run', v),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: auditKeys.all })
      void qc.invalidateQueries({ queryKey: tenantKeys.all })
    }
  })
}

export function useAuditIndexes(enabled: boolean) {
  return useQuery({ queryKey: auditKeys.indexes(), queryFn: () => call('audit:indexes', {}), enabled })
}

export function useCreateIndex() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (name: string) => call('audit:createIndex', { name }),
    onSettled: () => void qc.invalidateQueries({ queryKey: auditKeys.indexes() })
  })
}
