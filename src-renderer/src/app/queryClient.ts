import { QueryClient, type Query } from '@tanstack/react-query'
import { ApiError } from '../api/bridge'

export function isDbUnavailable(err: unknown): boolean {
  return err instanceof ApiError && err.code === 'DB_UNAVAILABLE'
}

/** A query that failed because the database could not be reached and someone is still looking at it. */
export function isUnavailableQuery(q: Query): boolean {
  return q.state.status === 'error' && isDbUnavailable(q.state.error) && q.getObserversCount() > 0
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        // Input and permission errors will not fix themselves; retry only transient ones.
        retry: (count, err) => count < 1 && !(err instanceof ApiError && err.code !== 'INTERNAL')
      }
    }
  })
}
