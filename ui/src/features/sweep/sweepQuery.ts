import { queryOptions } from '@tanstack/react-query';
import { runs as runsApi } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { Run } from '../../api/types';

/** The most runs charted at once: a sweep's views stay readable and quick well beyond this. */
export const SWEEP_LIMIT = 5000;
const PAGE = 1000;

/** An experiment's active runs (newest first) up to `limit`, a page of 1,000 at a time as ml_studio serves them. */
export async function sweepRuns(experimentId: string, signal?: AbortSignal, limit = SWEEP_LIMIT): Promise<{ runs: Run[]; more: boolean }> {
  const out: Run[] = [];
  let token: string | undefined;
  do {
    const page = await runsApi.search({ experiment_ids: [experimentId], max_results: Math.min(PAGE, limit - out.length), page_token: token, run_view_type: 'ACTIVE_ONLY' }, signal);
    out.push(...(page.runs ?? []));
    token = page.next_page_token || undefined;
  } while (token && out.length < limit);
  return { runs: out, more: !!token };
}

/** The Charts tab's runs; the start-up prefetch (routePrefetch) asks the same before the tab's chunk arrives. */
export const sweepQuery = (experimentId: string) =>
  queryOptions({ queryKey: queryKeys.sweepRuns(experimentId), queryFn: ({ signal }) => sweepRuns(experimentId, signal) });
