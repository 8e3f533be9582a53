import { useDeferredValue, useMemo, useState } from 'react';
import { useQueries } from '@tanstack/react-query';
import { metricHistory } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import { ErrorView } from '../../components/ErrorView';
import { ChartSettingsBar } from '../../components/chart/ChartSettingsBar';
import { MetricChart, type ChartSeries } from '../../components/chart/MetricChart';
import { useChartSettings } from '../../components/chart/settings';
import { useUser } from '../auth/AuthContext';

export interface RunRef {
  id: string;
  name: string;
}

/**
 * Metric history charts: one chart per chosen metric, one line per run
 * (a run's detail passes one run; the comparison passes several).
 */
export function MetricCharts({ runs, metricKeys, initial = 6 }: { runs: RunRef[]; metricKeys: string[]; initial?: number }) {
  const [chosen, setChosen] = useState<string[]>(() => metricKeys.slice(0, initial));
  const [settings, setSettings] = useChartSettings(useUser()?.username);
  // The slider moves at once; the charts redraw when there is time (many long histories).
  const smoothing = useDeferredValue(settings.smoothing);
  const pairs = useMemo(() => chosen.flatMap((k) => runs.map((r) => ({ k, r }))), [chosen, runs]);
  const results = useQueries({
    queries: pairs.map(({ k, r }) => ({
      queryKey: queryKeys.metricHistory(r.id, k),
      queryFn: ({ signal }: { signal: AbortSignal }) => metricHistory(r.id, k, signal),
      staleTime: 60_000,
    })),
  });
  const error = results.find((q) => q.error)?.error;
  const loading = results.some((q) => q.isLoading);
  const dataKey = results.map((q) => q.dataUpdatedAt).join(',');
  const charts = useMemo(() => {
    return chosen.map((k) => {
      const series: ChartSeries[] = runs.map((r) => {
        const i = pairs.findIndex((p) => p.k === k && p.r.id === r.id);
        return { label: r.name, points: results[i]?.data ?? [] };
      });
      return { key: k, series };
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [chosen, runs, dataKey]);

  if (metricKeys.length === 0) return <p className="muted">No metrics were logged.</p>;
  return (
    <div className="tags">
      <div className="chart-controls">
        <div className="metric-chips" role="group" aria-label="Metrics to chart">
          {metricKeys.map((k) => (
            <label key={k} className="metric-chip">
              <input
                type="checkbox"
                checked={chosen.includes(k)}
                onChange={() => setChosen((c) => (c.includes(k) ? c.filter((x) => x !== k) : [...c, k]))}
              />
              {k}
            </label>
          ))}
        </div>
        <ChartSettingsBar settings={settings} onChange={setSettings} />
        <span className="muted small">Drag across a chart to zoom.</span>
      </div>
      <ErrorView error={error} />
      {loading && <p className="muted">Loading metric history…</p>}
      {!loading && (
        <div className="charts" data-testid="charts">
          {charts.map((c) => (
            <MetricChart key={c.key} title={c.key} series={c.series} x={settings.x} yLog={settings.yLog} xLog={settings.xLog} smoothing={smoothing} syncKey="metrics" />
          ))}
        </div>
      )}
    </div>
  );
}
