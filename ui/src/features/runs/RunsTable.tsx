import { useCallback, useEffect, useMemo, useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { isApiError } from '../../api/client';
import { ErrorView } from '../../components/ErrorView';
import { InlineForm } from '../../components/InlineForm';
import { Section } from '../../components/Section';
import { ColumnPicker } from './ColumnPicker';
import type { Run } from '../../api/types';
import { discoverKeys, flatten, type Column, type FlatRun } from './columns';
import { layoutRuns, type GroupBy } from './grouping';
import { RunFilters } from './RunFilters';
import { joinClauses, stateClause, timeClause, type RunState, type TimeRange } from './filterClauses';
import { RunsGrid } from './RunsGrid';
import { DEFAULT_SORT, runListQuery, type SortState } from './queries';

export { RUNS_PAGE } from './queries';

// Each page of runs flattened once: a page appended on scroll keeps the
// others' rows as they were instead of flattening every run again.
const flatPages = new WeakMap<object, FlatRun[]>();
function flatPage(page: { runs?: Run[] }): FlatRun[] {
  let rows = flatPages.get(page);
  if (!rows) {
    rows = (page.runs ?? []).map(flatten);
    flatPages.set(page, rows);
  }
  return rows;
}

export function RunsTable({ experimentId }: { experimentId: string }) {
  const navigate = useNavigate();
  const storeKey = `mlstudio.columns.${experimentId}`;
  const [draft, setDraft] = useState('');
  const [filter, setFilter] = useState('');
  const [deleted, setDeleted] = useState(false);
  const [sort, setSort] = useState<SortState>(DEFAULT_SORT);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [states, setStates] = useState<ReadonlySet<RunState>>(new Set());
  const [time, setTime] = useState<TimeRange>({ kind: 'any' });
  const [groupBy, setGroupBy] = useState<GroupBy | null>(null);
  const [folded, setFolded] = useState<Set<string>>(new Set());
  // State and time go to MLflow with the typed filter: it filters and pages, not the browser.
  const search = joinClauses(filter, stateClause(states), timeClause(time));
  const [columns, setColumns] = useState<Column[] | null>(() => {
    try {
      const s = localStorage.getItem(storeKey);
      return s ? (JSON.parse(s) as Column[]) : null;
    } catch {
      return null;
    }
  });

  const q = useInfiniteQuery(runListQuery(experimentId, search, sort, deleted));

  const flat = useMemo(() => (q.data?.pages ?? []).flatMap(flatPage), [q.data]);
  // Child runs under their parent (MLflow's mlflow.parentRunId), collapsible per parent.
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  // Grouped by a param's or tag's value, each group foldable, runs nested within it.
  const layout = useMemo(() => layoutRuns(flat, groupBy, folded, collapsed), [flat, groupBy, folded, collapsed]);
  const ordered = layout.runs;
  const groups = useMemo(
    () =>
      groupBy
        ? {
            heads: layout.heads,
            onToggle: (id: string) =>
              setFolded((f) => {
                const n = new Set(f);
                if (n.has(id)) n.delete(id);
                else n.add(id);
                return n;
              }),
          }
        : undefined,
    [groupBy, layout],
  );
  const showDatasets = useMemo(() => flat.some((r) => (r.datasets?.length ?? 0) > 0), [flat]);
  const nesting = useMemo(
    () => ({
      depth: layout.depth,
      children: layout.children,
      collapsed,
      onToggle: (id: string) =>
        setCollapsed((c) => {
          const n = new Set(c);
          if (n.has(id)) n.delete(id);
          else n.add(id);
          return n;
        }),
    }),
    [layout, collapsed],
  );
  const available = useMemo(() => discoverKeys(flat), [flat]);
  // Until chosen, show every metric and the first few params.
  const shown: Column[] = useMemo(
    () =>
      columns ?? [
        ...available.metric.slice(0, 6).map((key) => ({ kind: 'metric' as const, key })),
        ...available.param.slice(0, 4).map((key) => ({ kind: 'param' as const, key })),
      ],
    [columns, available],
  );
  useEffect(() => {
    if (columns) localStorage.setItem(storeKey, JSON.stringify(columns));
  }, [columns, storeKey]);

  const onNearEnd = useCallback(() => {
    if (q.hasNextPage && !q.isFetchingNextPage) q.fetchNextPage();
  }, [q]);

  const invalidFilter = isApiError(q.error) && q.error.kind === 'invalid';
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  return (
    <Section
      title="Runs"
      aside={
        <span className="muted" data-testid="runs-count">
          {q.isLoading ? 'Loading…' : `${flat.length.toLocaleString()}${q.hasNextPage ? '+' : ''} runs`}
        </span>
      }
    >
      <div className="toolbar">
        <InlineForm
          className="filter-form"
          submitClassName="btn"
          submitLabel="Apply"
          onSubmit={() => {
            setFilter(draft.trim());
            setSelected(new Set());
          }}
          after={
            filter && (
              <button
                type="button"
                className="btn btn-link"
                onClick={() => {
                  setDraft('');
                  setFilter('');
                }}
              >
                Clear
              </button>
            )
          }
        >
          <input
            type="search"
            className="search search-wide mono"
            aria-label="Filter runs (MLflow search syntax)"
            placeholder="metrics.accuracy > 0.9 and params.lr = '0.01'"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            aria-invalid={invalidFilter}
            aria-describedby={invalidFilter ? 'filter-error' : undefined}
          />
        </InlineForm>
        <ColumnPicker available={available} chosen={shown} onChange={setColumns} />
        <label className="check">
          <input type="checkbox" checked={deleted} onChange={(e) => setDeleted(e.target.checked)} />
          Deleted runs
        </label>
        <button
          type="button"
          className="btn btn-primary"
          disabled={selected.size < 2}
          onClick={() => navigate(`/compare?runs=${[...selected].join(',')}`)}
          title={selected.size < 2 ? 'Select two or more runs' : undefined}
        >
          Compare{selected.size ? ` (${selected.size})` : ''}
        </button>
      </div>
      <RunFilters
        states={states}
        onStates={(s) => {
          setStates(s);
          setSelected(new Set());
        }}
        time={time}
        onTime={(t) => {
          setTime(t);
          setSelected(new Set());
        }}
        groupBy={groupBy}
        onGroupBy={(g) => {
          setGroupBy(g);
          setFolded(new Set());
        }}
        groupKeys={available}
      />
      {invalidFilter ? (
        <div className="alert alert-error" role="alert" id="filter-error">
          <strong>This filter isn't valid. </strong>
          {q.error instanceof Error ? q.error.message : ''}
        </div>
      ) : (
        <ErrorView error={q.error} onRetry={() => q.refetch()} />
      )}
      {!q.isLoading && !q.error && flat.length === 0 ? (
        <div className="empty">{search ? 'No runs match these filters.' : deleted ? 'No deleted runs.' : 'No runs yet. Log runs with the MLflow client (see My account for a ready snippet).'}</div>
      ) : (
        <RunsGrid
          runs={ordered}
          nesting={nesting}
          groups={groups}
          showDatasets={showDatasets}
          columns={shown}
          selected={selected}
          onToggle={toggle}
          onToggleAll={() => setSelected((s) => (ordered.every((r) => s.has(r.id)) ? new Set() : new Set(ordered.map((r) => r.id))))}
          sort={sort}
          onSort={setSort}
          onNearEnd={onNearEnd}
          loadingMore={q.isFetchingNextPage}
        />
      )}
      <p className="muted small">Click a column heading to sort; more runs load as you scroll.</p>
    </Section>
  );
}
