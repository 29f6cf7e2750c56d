import { useEffect, useMemo, useState } from 'react'
import type { TenantCursor, TenantFilter, TenantListInput, TenantSortKey } from '../../../../src-preload/contract'
import { ErrorState } from '../../components/ErrorState'
import { IconSearch } from '../../components/icons'
import { useDebounced } from '../../lib/useDebounced'
import { useSession } from '../../shell/session'
import { Pagination } from './Pagination'
import { CreateTenantButton } from '../lifecycle/CreateTenantDialog'
import { SelectionBar } from './SelectionBar'
import { TenantDetailPanel } from './TenantDetailPanel'
import { SkeletonRows, TenantTable } from './TenantTable'
import { Toolbar } from './Toolbar'
import { TENANT_COLUMNS } from './columns'
import { useTenantCount, useTenantFacets, useTenantList } from './queries'
import { SlowModeHint, TotalLabel } from './TotalLabel'
import { useTenantSelection } from './selection'

function isTyping(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false
  if (el instanceof HTMLInputElement) return !['checkbox', 'radio', 'button'].includes(el.type)
  return el.isContentEditable || ['TEXTAREA', 'SELECT'].includes(el.tagName)
}

/** Filters another screen asked for: `#/tenants?status=…&plan=…&search=…&created=YYYY-MM` (the overview's charts link here). */
function linkedFilters(): { search: string; statuses: string[]; plans: string[]; createdMonth: string | null } {
  const q = new URLSearchParams(window.location.hash.split('?')[1] ?? '')
  const created = q.get('created')
  return {
    search: q.get('search')?.slice(0, 200) ?? '',
    statuses: q.getAll('status').slice(0, 10),
    plans: q.getAll('plan').slice(0, 10),
    createdMonth: created && /^\d{4}-(0[1-9]|1[0-2])$/.test(created) ? created : null
  }
}

export function TenantsScreen() {
  const session = useSession()
  const [linked] = useState(linkedFilters)
  const [search, setSearch] = useState(linked.search)
  const debouncedSearch = useDebounced(search.trim(), 300)
  const [statuses, setStatuses] = useState<string[]>(linked.statuses)
  const [plans, setPlans] = useState<string[]>(linked.plans)
  const [staleHours, setStaleHours] = useState<number | null>(null)
  const [createdMonth, setCreatedMonth] = useState<string | null>(linked.createdMonth)
  const [sort, setSort] = useState<TenantSortKey>('name')
  const [direction, setDirection] = useState<'asc' | 'desc'>('asc')
  const [pageSize, setPageSize] = useState(50)
  const [page, setPage] = useState(0)
  const [activeId, setActiveId] = useState<string | null>(null)
  const selection = useTenantSelection()

  // Any change of what is listed starts again at the first page.
  const shape = JSON.stringify([debouncedSearch, statuses, plans, staleHours, createdMonth, sort, direction, pageSize])
  const [lastShape, setLastShape] = useState(shape)
  // Keyset cursors of this listing: page N is fetched after the last row of page N-1 when
  // that page was seen (Next), by offset otherwise (a jump: correct, slower when deep).
  const [cursors, setCursors] = useState<ReadonlyMap<number, TenantCursor>>(() => new Map())
  const [exactAsked, setExactAsked] = useState(false)
  if (shape !== lastShape) {
    setLastShape(shape)
    setPage(0)
    setExactAsked(false)
    setCursors(new Map())
    // Select all matching means this filter: another filter, another selection.
    if (selection.matching) selection.clear()
  }

  const filter: TenantFilter = useMemo(
    () => ({
      search: debouncedSearch || undefined,
      statuses: statuses.length ? statuses : undefined,
      plans: plans.length ? plans : undefined,
      noVerifiedBackupWithinHours: staleHours ?? undefined,
      createdMonth: createdMonth ?? undefined
    }),
    [debouncedSearch, statuses, plans, staleHours, createdMonth]
  )
  const after = page > 0 ? cursors.get(page) : undefined
  const input: TenantListInput = useMemo(
    () => ({ ...filter, sort, direction, offset: page * pageSize, limit: pageSize, ...(after ? { after } : {}) }),
    [filter, sort, direction, page, pageSize, after]
  )
  const list = useTenantList(input)
  const facets = useTenantFacets()
  const rows = useMemo(() => list.data?.rows ?? [], [list.data])
  const exact = useTenantCount(filter, exactAsked && list.data?.totalExact === false)
  const totalExact = list.data ? list.data.totalExact || exact.data !== undefined : true
  const total = list.data ? (list.data.totalExact ? list.data.total : (exact.data?.total ?? list.data.total)) : 0
  const seenNext = list.data && !list.isPlaceholderData && list.data.offset === page * pageSize ? list.data.next : null
  if (seenNext && shape === lastShape && cursors.get(page + 1)?.id !== seenNext.id) {
    setCursors(new Map(cursors).set(page + 1, seenNext))
  }

  // The fleet shrank under us (another operator, a filter): land on the last real page.
  if (list.data && !list.isPlaceholderData && list.data.rows.length === 0 && totalExact && total > 0 && page > 0) {
    setPage(Math.max(0, Math.ceil(total / pageSize) - 1))
  }

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        if (activeId) {
          e.preventDefault()
          setActiveId(null)
        }
        return
      }
      if ((e.key !== 'ArrowDown' && e.key !== 'ArrowUp') || isTyping(e.target) || rows.length === 0) return
      e.preventDefault()
      const i = activeId ? rows.findIndex((r) => r.id === activeId) : -1
      const next = i < 0 ? (e.key === 'ArrowDown' ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, i + (e.key === 'ArrowDown' ? 1 : -1)))
      setActiveId(rows[next]!.id)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [activeId, rows])

  const filtered = Boolean(search || statuses.length || plans.length || staleHours || createdMonth)
  const clearFilters = () => {
    setSearch('')
    setStatuses([])
    setPlans([])
    setStaleHours(null)
    setCreatedMonth(null)
  }
  const onSort = (key: TenantSortKey) => {
    if (key === sort) setDirection(direction === 'asc' ? 'desc' : 'asc')
    else {
      setSort(key)
      setDirection(TENANT_COLUMNS.find((c) => c.key === key)?.firstDirection ?? 'asc')
    }
  }

  let overlay = null
  if (list.isError) {
    overlay = (
      <ErrorState
        error={list.error}
        retrying={list.isFetching}
        onRetry={() => {
          void list.refetch()
          if (facets.isError) void facets.refetch()
        }}
      />
    )
  } else if (list.isPending) {
    overlay = <SkeletonRows />
  } else if (rows.length === 0) {
    overlay = (
      <div className="state" data-testid="empty-state">
        <div className="state-icon">
          <IconSearch width={22} height={22} />
        </div>
        <div className="state-title">{filtered ? 'No tenants match' : 'No tenants yet'}</div>
        <p className="state-text">
          {filtered ? 'Nothing in this database matches the search and filters.' : 'This database has no rows in public.tenants.'}
        </p>
        {filtered && (
          <button type="button" className="btn" onClick={clearFilters}>
            Clear filters
          </button>
        )}
      </div>
    )
  }

  return (
    <div className="tenants">
      <div className="page-head">
        <div>
          <h1>Tenants</h1>
          <p className="page-sub">
            {list.data && !list.isError ? (
              <>
                <TotalLabel total={total} exact={totalExact} asking={exact.isFetching} onExact={() => setExactAsked(true)} />{' '}
                {filtered ? 'matching' : 'in this database'}
                {createdMonth && (
                  <button type="button" className="chip-filter" data-testid="created-filter" title="Show every month" onClick={() => setCreatedMonth(null)}>
                    created in {createdMonth} ×
                  </button>
                )}
              </>
            ) : (
              ' '
            )}
          </p>
        </div>
        <SelectionBar
          selection={selection}
          role={session.data?.role ?? 'none'}
          filter={filter}
          total={total}
          totalExact={totalExact}
          allOnPage={rows.length > 0 && rows.every((r) => selection.isSelected(r.id))}
        />
        <CreateTenantButton onCreated={setActiveId} />
      </div>
      <Toolbar
        search={search}
        onSearch={setSearch}
        statuses={statuses}
        onStatuses={setStatuses}
        plans={plans}
        onPlans={setPlans}
        statusOptions={facets.data?.statuses ?? []}
        planOptions={facets.data?.plans ?? []}
        facetsLoading={facets.isPending && !facets.isError}
        staleHours={staleHours}
        onStaleHours={setStaleHours}
        filtered={filtered}
        onClear={clearFilters}
      />
      {list.data?.mode === 'slow' && list.data.slowHint && <SlowModeHint hint={list.data.slowHint} />}
      <div className="table-wrap">
        {list.isFetching && !list.isPending && <div className="progress" aria-hidden="true" />}
        <TenantTable
          rows={rows}
          sort={sort}
          direction={direction}
          onSort={onSort}
          activeId={activeId}
          onActivate={setActiveId}
          selection={selection}
          stale={list.isPlaceholderData}
          overlay={overlay}
          total={total}
          offset={page * pageSize}
        />
        {activeId && <TenantDetailPanel id={activeId} onClose={() => setActiveId(null)} />}
      </div>
      <Pagination
        page={page}
        pageSize={pageSize}
        total={list.isError ? 0 : total}
        totalExact={totalExact}
        hasNext={Boolean(list.data?.next) || (totalExact && (page + 1) * pageSize < total)}
        failed={list.isError}
        onPage={setPage}
        onPageSize={setPageSize}
        fetching={list.isFetching}
      />
    </div>
  )
}
