import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { BillingJobProgress, InputOf } from '../../../../src-preload/contract'
import { api, call } from '../../api/bridge'
import { tenantKeys } from '../tenants/queries'

/**
 * Query keys of billing. A replay, a fix or a resolve invalidates the failures, the
 * tenant's billing and the tenant lists (their billing columns may have changed).
 */
export const billingKeys = {
  all: ['billing'] as const,
  keyStatus: () => [...billingKeys.all, 'keyStatus'] as const,
  health: () => [...billingKeys.all, 'health'] as const,
  failures: (f: InputOf<'billing:failures'>) => [...billingKeys.all, 'failures', f] as const,
  event: (id: string) => [...billingKeys.all, 'event', id] as const,
  tenant: (id: string) => [...billingKeys.all, 'tenant', id] as const,
  prices: () => [...billingKeys.all, 'prices'] as const,
  stripePrices: () => [...billingKeys.all, 'stripePrices'] as const
}

export const useKeyStatus = () => useQuery({ queryKey: billingKeys.keyStatus(), queryFn: () => call('billing:keyStatus', {}) })

export const useWebhookHealth = (enabled: boolean) =>
  useQuery({ queryKey: billingKeys.health(), queryFn: () => call('billing:webhookHealth', {}), enabled, retry: false, staleTime: 60_000 })

export const useFailures = (f: InputOf<'billing:failures'>) =>
  useQuery({ queryKey: billingKeys.failures(f), queryFn: () => call('billing:failures', f), placeholderData: (prev) => prev })

export const useEventPayload = (id: string | null) =>
  useQuery({ queryKey: billingKeys.event(id ?? ''), queryFn: () => call('billing:event', { eventId: id! }), enabled: Boolean(id) })

export const useTenantBilling = (id: string) =>
  useQuery({ queryKey: billingKeys.tenant(id), queryFn: () => call('billing:tenant', { id }), retry: false })

function useInvalidateAll() {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: billingKeys.all })
    void qc.invalidateQueries({ queryKey: tenantKeys.all })
  }
}

export function useTestKey() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (acceptLiveSecretKey: boolean) => call('billing:testKey', { acceptLiveSecretKey }),
    onSettled: () => void qc.invalidateQueries({ queryKey: billingKeys.keyStatus() })
  })
}

export function useCheckStripe() {
  const qc = useQueryClient()
  return useMutation({ mutationFn: () => call('billing:checkStripe', {}), onSettled: () => void qc.invalidateQueries({ queryKey: [...billingKeys.all, 'failures'] }) })
}

export function useReplay() {
  const done = useInvalidateAll()
  return useMutation({ mutationFn: (eventId: string) => call('billing:replay', { eventId }), onSettled: done })
}

export function useResolve() {
  const done = useInvalidateAll()
  return useMutation({ mutationFn: (v: { eventId: string; note: string }) => call('billing:resolve', v), onSettled: done })
}

export function useOpenInvoice() {
  return useMutation({ mutationFn: (v: { id: string; invoiceId: string }) => call('billing:openInvoice', v) })
}

export function useCancelSubscription() {
  const done = useInvalidateAll()
  return useMutation({ mutationFn: (v: { id: string; when?: 'period_end' | 'now' }) => call('billing:cancelSubscription', v), onSettled: done })
}

export const usePriceMappings = () => useQuery({ queryKey: billingKeys.prices(), queryFn: () => call('billing:prices', {}) })

/** Stripe's prices for the picker: read only when asked (it may be several pages). */
export const useStripePrices = (enabled: boolean) =>
  useQuery({ queryKey: billingKeys.stripePrices(), queryFn: () => call('billing:stripePrices', {}), enabled, retry: false, staleTime: 5 * 60_000 })

/** A change of the price list changes plans the billing tab and reconcile derive. */
export function useSavePrice() {
  const done = useInvalidateAll()
  return useMutation({ mutationFn: (v: InputOf<'billing:savePrice'>) => call('billing:savePrice', v), onSettled: done })
}

export function useRemovePrice() {
  const done = useInvalidateAll()
  return useMutation({ mutationFn: (priceId: string) => call('billing:removePrice', { priceId }), onSettled: done })
}

/** A billing job (bulk replay, reconcile, fix) with live progress and cancel. */
export function useBillingJob<I, O>(run: (jobId: string, input: I) => Promise<O>) {
  const done = useInvalidateAll()
  const [progress, setProgress] = useState<BillingJobProgress | null>(null)
  const [jobId, setJobId] = useState<string | null>(null)
  useEffect(() => {
    if (!jobId) return
    return api().on('billing:progress', (p) => {
      if (p.jobId === jobId) setProgress(p)
    })
  }, [jobId])
  const m = useMutation({
    mutationFn: (input: I) => {
      const id = crypto.randomUUID()
      setJobId(id)
      setProgress(null)
      return run(id, input)
    },
    onSettled: done
  })
  const cancel = useMutation({ mutationFn: () => call('billing:cancelJob', { jobId: jobId! }) })
  return { run: m, cancel, progress: m.isPending ? progress : null }
}

export const useBulkReplay = () => useBillingJob((jobId, eventIds: string[]) => call('billing:replayMany', { jobId, eventIds }))
export const useReconcile = () => useBillingJob((jobId, _: void) => call('billing:reconcile', { jobId }))
export const useFixDrift = () => useBillingJob((jobId, tenantIds: string[]) => call('billing:fixDrift', { jobId, tenantIds }))
