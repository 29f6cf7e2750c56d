import { useCallback, useSyncExternalStore } from 'react'

function subscribe(cb: () => void) {
  window.addEventListener('hashchange', cb)
  return () => window.removeEventListener('hashchange', cb)
}

/** The current screen id from `#/<id>`; navigation just sets the hash. */
export function useHashRoute(fallback: string): [string, (id: string) => void] {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash)
  const id = /^#\/([a-z0-9-]+)/.exec(hash)?.[1] ?? fallback
  const go = useCallback((next: string) => {
    window.location.hash = `/${next}`
  }, [])
  return [id, go]
}
