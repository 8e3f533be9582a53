import { useQuery } from '@tanstack/react-query';
import { ErrorView } from '../../components/ErrorView';
import { SweepViews } from '../../components/chart/sweep/SweepViews';
import { SWEEP_LIMIT, sweepQuery } from './sweepQuery';

export { SWEEP_LIMIT, sweepRuns } from './sweepQuery';

/** An experiment's Charts tab: its runs as a sweep (parallel coordinates, scatter, a bar per run). */
export default function SweepTab({ experimentId }: { experimentId: string }) {
  const q = useQuery(sweepQuery(experimentId));
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
