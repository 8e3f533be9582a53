import { useQuery } from '@tanstack/react-query';
import { runs as runsApi } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { Run } from '../../api/types';
import { ErrorView } from '../../components/ErrorView';
import { SweepViews } from '../../components/chart/sweep/SweepViews';

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

/** An experiment's Charts tab: its runs as a sweep (parallel coordinates, scatter, a bar per run). */
export default function SweepTab({ experimentId }: { experimentId: string }) {
  const q = useQuery({ queryKey: queryKeys.sweepRuns(experimentId), queryFn: ({ signal }) => sweepRuns(experimentId, signal) });
  return (
    <section className="card" aria-label="Sweep charts">
      <ErrorView error={q.error} onRetry={() => q.refetch()} />
      {q.isLoading && <p className="muted">Loading runs…</p>}
      {q.data && (
        <>
          {q.data.more && <div className="alert alert-warn">Charting the newest {SWEEP_LIMIT.toLocaleString()} runs.</div>}
          <SweepViews runs={q.data.runs} compareHref={(ids) => `/compare?runs=${ids.join(',')}`} />
        </>
      )}
    </section>
  );
}
