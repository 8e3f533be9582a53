import { useMemo, useState } from 'react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { experiments, runs as runsApi } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { Run } from '../../api/types';
import { ErrorView } from '../../components/ErrorView';
import { PALETTE } from '../../components/chart/MetricChart';
import { Breadcrumbs, PageHead } from '../../components/PageHead';
import { SweepViews } from '../../components/chart/sweep/SweepViews';
import { MetricCharts } from '../runs/MetricCharts';
import { diffRows } from './diff';
import { DiffTable } from './DiffTable';

export default function ComparePage() {
  const [params] = useSearchParams();
  const ids = useMemo(() => (params.get('runs') ?? '').split(',').filter(Boolean).slice(0, 10), [params]);
  const qs = useQueries({ queries: ids.map((id) => ({ queryKey: queryKeys.run(id), queryFn: () => runsApi.get(id) })) });
  const [onlyDiff, setOnlyDiff] = useState(false);
  const loaded = qs.map((q) => q.data?.run).filter((r): r is Run => !!r);
  const allLoaded = loaded.length === ids.length;
  const error = qs.find((q) => q.error)?.error;
  const refs = useMemo(
    () => loaded.map((r) => ({ id: r.info.run_id, name: r.info.run_name || r.info.run_id.slice(0, 8) })),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [allLoaded, ids.join(',')],
  );
  const metricKeys = useMemo(() => [...new Set(loaded.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort(), [refs]); // eslint-disable-line react-hooks/exhaustive-deps
  const rows = useMemo(() => diffRows(loaded), [refs]); // eslint-disable-line react-hooks/exhaustive-deps
  const sweepRuns = useMemo(() => loaded, [refs]); // eslint-disable-line react-hooks/exhaustive-deps
  const expId = loaded[0]?.info.experiment_id;
  // The breadcrumb names the experiment (its id until the name arrives, or if it cannot be read).
  const exp = useQuery({ queryKey: queryKeys.experiment(expId ?? ''), queryFn: () => experiments.get(expId!), enabled: !!expId, retry: false });
  const expName = exp.data?.experiment.name;

  return (
    <div className="page">
      <Breadcrumbs
        trail={[
          <Link to="/experiments">Experiments</Link>,
          ...(expId ? [<Link to={`/experiments/${expId}`}>{expName ?? `Experiment ${expId}`}</Link>] : []),
          'Compare',
        ]}
      />
      <PageHead title={`Compare ${ids.length} runs`} />
      {ids.length < 2 && <div className="alert alert-warn">Choose two or more runs in an experiment's runs table to compare them.</div>}
      <ErrorView error={error} onRetry={() => qs.forEach((q) => q.refetch())} />
      {allLoaded && ids.length > 0 && (
        <>
          <div className="run-legend" aria-label="Runs compared">
            {refs.map((r, i) => (
              <Link key={r.id} to={`/runs/${r.id}`} className="run-legend-item">
                <span className="legend-dot" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />
                {r.name}
              </Link>
            ))}
          </div>
          <section className="card" aria-labelledby="curves-title">
            <h2 id="curves-title">Metric curves</h2>
            <MetricCharts runs={refs} metricKeys={metricKeys} initial={4} />
          </section>
          <section className="card" aria-labelledby="sweep-title">
            <h2 id="sweep-title">Params against metrics</h2>
            <SweepViews runs={sweepRuns} />
          </section>
          <section className="card" aria-labelledby="diff-title">
            <div className="card-head">
              <h2 id="diff-title">Parameters and metrics</h2>
              <label className="check">
                <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} />
                Only differences ({rows.filter((r) => r.differs).length})
              </label>
            </div>
            <DiffTable rows={rows} runNames={refs.map((r) => r.name)} onlyDiff={onlyDiff} />
          </section>
        </>
      )}
    </div>
  );
}
