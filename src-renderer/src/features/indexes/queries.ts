import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../../api/bridge'
import { tenantKeys } from '../tenants/queries'

export const indexKeys = {
  all: ['indexes'] as const,
  list: () => [...indexKeys.all, 'list'] as const
}

export function useConsoleIndexes() {
  return useQuery({ queryKey: indexKeys.list(), queryFn: () => call('indexes:list', {}) })
}

/** Create or drop one console index; the directory's mode and the audit's list follow. */
export function useIndexChange() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (v: { name: string; op: 'create' | 'drop' }) => call(v.op === 'create' ? 'indexes:create' : 'indexes:drop', { name: v.name }),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: indexKeys.all })
      void qc.invalidateQueries({ queryKey: tenantKeys.lists() })
      void qc.invalidateQueries({ queryKey: ['audit'] })
    }
  })
}
