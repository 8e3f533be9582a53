import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { experiments, runs as runsApi } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import { orderClause, type Column } from './columns';

/** One experiment (its page's heading, tags and tabs). */
export const experimentQuery = (id: string) => queryOptions({ queryKey: queryKeys.experiment(id), queryFn: () => experiments.get(id) });

/** Runs per request, as ml_studio pages runs/search. */
export const RUNS_PAGE = 1000;

export interface SortState {
  col: Column | 'start_time' | 'run_name';
  desc: boolean;
}

/** The runs table opens newest first. */
export const DEFAULT_SORT: SortState = { col: 'start_time', desc: true };

/**
 * One experiment's run list as the runs table pages it. The table and the
 * start-up prefetch (routePrefetch) share it, so the first page asked for
 * before the table's chunk arrives is the one the table reads.
 */
export function runListQuery(experimentId: string, search: string, sort: SortState, deleted: boolean) {
  const order = orderClause(sort.col, sort.desc);
  return infiniteQueryOptions({
    queryKey: queryKeys.runList(experimentId, search, order, deleted),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      runsApi.search(
        {
          experiment_ids: [experimentId],
          filter: search || undefined,
          order_by: [order],
          max_results: RUNS_PAGE,
          page_token: pageParam,
          run_view_type: deleted ? 'DELETED_ONLY' : 'ACTIVE_ONLY',
        },
        signal,
      ),
    getNextPageParam: (last) => last.next_page_token || undefined,
    retry: false,
    // Pages of up to 1,000 runs: deep-comparing them on each fetch costs more than it saves.
    structuralSharing: false,
  });
}
