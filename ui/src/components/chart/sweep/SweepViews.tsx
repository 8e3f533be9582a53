import { useDeferredValue, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Run } from '../../../api/types';
import { fmtNum } from '../../format';
import '../charts.css';
import { ParallelCoordinates } from './ParallelCoordinates';
import { RunBars } from './RunBars';
import { Scatter } from './Scatter';
import { axisId, brushFilter, buildAxis, colorAt, position, positions, sweepKeys, sweepRows, type Brush, type Brushes, type SweepAxis, type SweepRow } from './sweep';

const MAX_PARAMS = 6;
const NO_ROWS: SweepRow[] = [];
const MAX_METRICS = 4;

/** A numeric axis spanning two decades or more reads better on a log scale (learning rates, weight decay). */
const wantsLog = (a: SweepAxis) => a.canLog && a.max / a.min >= 99.9;

/** The axes a sweep opens with: the params that vary between runs, then the metrics that do (all of them when none varies). */
export function defaultAxes(keys: ReturnType<typeof sweepKeys>): string[] {
  const pick = (kind: 'param' | 'metric', list: string[], max: number) => {
    const ids = list.map((k) => axisId(kind, k));
    const varying = ids.filter((id) => keys.varying.has(id));
    return (varying.length ? varying : ids).slice(0, max);
  };
  return [...pick('param', keys.params, MAX_PARAMS), ...pick('metric', keys.metrics, MAX_METRICS)];
}

function Chips({ label, kind, keys, chosen, onToggle }: { label: string; kind: 'param' | 'metric'; keys: string[]; chosen: string[]; onToggle: (id: string) => void }) {
  if (keys.length === 0) return null;
  return (
    <div className="metric-chips" role="group" aria-label={label}>
      <span className="muted small">{label}</span>
      {keys.map((k) => (
        <label key={k} className="metric-chip">
          <input type="checkbox" checked={chosen.includes(axisId(kind, k))} onChange={() => onToggle(axisId(kind, k))} />
          {k}
        </label>
      ))}
    </div>
  );
}

function AxisSelect({ label, value, options, onChange }: { label: string; value: string; options: string[]; onChange: (id: string) => void }) {
  return (
    <label className="sweep-select">
      {label}
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((id) => (
          <option key={id} value={id}>
            {id.replace(/^(param|metric):/, '')} ({id.startsWith('param:') ? 'param' : 'metric'})
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The sweep views of a set of runs: parallel coordinates over the chosen
 * params and metrics (coloured by one metric; brushing an axis filters the
 * runs), a scatter of any param or metric against another, and a bar per
 * run for one metric. The brushes filter all three.
 */
export function SweepViews({ runs, runHref = (id) => `/runs/${id}`, compareHref }: { runs: readonly Run[]; runHref?: (id: string) => string; compareHref?: (ids: string[]) => string }) {
  const navigate = useNavigate();
  const rows = useMemo(() => sweepRows(runs), [runs]);
  const keys = useMemo(() => sweepKeys(rows), [rows]);
  // The scatter and the bars follow the parallel coordinates by a frame: the main view shows first.
  const later = useDeferredValue(rows, NO_ROWS);
  const current = later === rows;
  const allIds = useMemo(() => [...keys.params.map((k) => axisId('param', k)), ...keys.metrics.map((k) => axisId('metric', k))], [keys]);
  const [chosenState, setChosen] = useState<string[] | null>(null);
  const chosen = useMemo(() => (chosenState ?? defaultAxes(keys)).filter((id) => allIds.includes(id)), [chosenState, keys, allIds]);
  const [logs, setLogs] = useState<Record<string, boolean>>({});
  const [brushes, setBrushes] = useState<Brushes>({});
  const axisOf = useMemo(() => {
    const cache = new Map<string, SweepAxis>();
    return (id: string) => {
      let a = cache.get(id);
      if (!a) {
        const plain = buildAxis(id, rows);
        a = buildAxis(id, rows, logs[id] ?? wantsLog(plain));
        cache.set(id, a);
      }
      return a;
    };
  }, [rows, logs]);
  const axes = useMemo(() => chosen.map(axisOf), [chosen, axisOf]);
  const pos = useMemo(() => positions(rows, axes), [rows, axes]);
  const keep = useMemo(() => brushFilter(pos, axes, brushes), [pos, axes, brushes]);

  const numericIds = useMemo(() => allIds.filter((id) => axisOf(id).numeric), [allIds, axisOf]);
  const metricIds = numericIds.filter((id) => id.startsWith('metric:'));
  const [colorState, setColorId] = useState<string | null>(null);
  const colorId = colorState && numericIds.includes(colorState) ? colorState : (chosen.find((id) => id.startsWith('metric:')) ?? metricIds[0] ?? '');
  const colorAxis = colorId ? axisOf(colorId) : undefined;
  const color = useMemo(() => (colorAxis ? rows.map((r) => position(colorAxis, r.values.get(colorAxis.id))) : undefined), [rows, colorAxis]);

  const firstParam = keys.params.map((k) => axisId('param', k)).find((id) => keys.varying.has(id)) ?? allIds[0] ?? '';
  const [sx, setSx] = useState<string | null>(null);
  const [sy, setSy] = useState<string | null>(null);
  const scatterX = sx && allIds.includes(sx) ? sx : firstParam;
  const scatterY = sy && allIds.includes(sy) ? sy : colorId || allIds[1] || '';
  const [barState, setBar] = useState<string | null>(null);
  const barId = barState && numericIds.includes(barState) ? barState : colorId || numericIds[0] || '';

  if (rows.length === 0) return <p className="muted">No runs to chart.</p>;
  if (allIds.length === 0) return <p className="muted">These runs logged no params or metrics to chart.</p>;

  const drawable = pos.filter((p) => p.every((v) => !Number.isNaN(v))).length;
  const shown = pos.filter((p, i) => keep[i] && p.every((v) => !Number.isNaN(v)));
  const brushed = axes.filter((a) => brushes[a.id]);
  const keptIds = rows.filter((_, i) => keep[i] && pos[i].every((v) => !Number.isNaN(v))).map((r) => r.id);
  const toggleAxis = (id: string) => setChosen(chosen.includes(id) ? chosen.filter((x) => x !== id) : [...chosen, id].sort((a, b) => allIds.indexOf(a) - allIds.indexOf(b)));
  const toggleLog = (id: string) => {
    setLogs((l) => ({ ...l, [id]: !axisOf(id).log }));
    // A brush is a stretch of positions: on another scale it would select other runs.
    setBrushes(({ [id]: _, ...rest }) => rest);
  };
  const onBrush = (id: string, b: Brush | null) => setBrushes(({ [id]: _, ...rest }) => (b ? { ...rest, [id]: b } : rest));

  return (
    <div className="sweep" data-testid="sweep">
      <div className="chart-controls">
        <Chips label="Params" kind="param" keys={keys.params} chosen={chosen} onToggle={toggleAxis} />
        <Chips label="Metrics" kind="metric" keys={keys.metrics} chosen={chosen} onToggle={toggleAxis} />
      </div>
      <figure className="chart-fig" aria-label="Parallel coordinates">
        <figcaption className="chart-title">
          <span>Parallel coordinates</span>
          <span className="sweep-row">
            {colorAxis && (
              <>
                <AxisSelect label="Colour by" value={colorId} options={numericIds} onChange={setColorId} />
                <span className="sweep-legend" aria-label={`Colour scale of ${colorAxis.key}`}>
                  <span className="small">{fmtNum(colorAxis.min)}</span>
                  <span className="sweep-gradient" style={{ background: `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(colorAt).join(', ')})` }} />
                  <span className="small">{fmtNum(colorAxis.max)}</span>
                </span>
              </>
            )}
          </span>
        </figcaption>
        {axes.length < 2 ? (
          <p className="muted">Choose two or more params or metrics above.</p>
        ) : (
          <>
            <ParallelCoordinates axes={axes} pos={pos} keep={keep} color={color} brushes={brushes} onBrush={onBrush} onToggleLog={toggleLog} />
            <div className="sweep-row small" data-testid="sweep-status">
              <span>
                {brushed.length ? `${shown.length} of ${drawable} runs within ${brushed.map((a) => a.key).join(', ')}` : `${drawable} runs`}
                {drawable < rows.length ? ` (${rows.length - drawable} without every value chosen are left out)` : ''}
              </span>
              {brushed.length > 0 && (
                <button type="button" className="btn btn-small btn-link" onClick={() => setBrushes({})}>
                  Clear filters
                </button>
              )}
              {compareHref && brushed.length > 0 && keptIds.length >= 2 && keptIds.length <= 10 && (
                <Link className="btn btn-small" to={compareHref(keptIds)}>
                  Compare these {keptIds.length} runs
                </Link>
              )}
              <span className="muted">Drag along an axis to filter; click it to clear. From the keyboard: Tab to an axis, ↑ ↓ move a filter, Shift+↑ ↓ widen or narrow it, Esc clears. Click a name for a log scale.</span>
            </div>
          </>
        )}
      </figure>
      <div className="sweep-pair">
        <figure className="chart-fig" aria-label="Scatter">
          <figcaption className="chart-title">
            <span>Scatter</span>
            <span className="sweep-row">
              <AxisSelect label="X axis" value={scatterX} options={allIds} onChange={setSx} />
              <AxisSelect label="Y axis" value={scatterY} options={allIds} onChange={setSy} />
            </span>
          </figcaption>
          {scatterX && scatterY && (
            <>
              <div className="sweep-row small">
                {(['x', 'y'] as const).map((which) => {
                  const a = axisOf(which === 'x' ? scatterX : scatterY);
                  return (
                    <label key={which} className="check" title={a.canLog ? undefined : 'Needs numbers above 0'}>
                      <input type="checkbox" checked={a.log} disabled={!a.canLog} onChange={() => toggleLog(a.id)} />
                      Log {which.toUpperCase()}
                    </label>
                  );
                })}
              </div>
              <Scatter rows={later} x={axisOf(scatterX)} y={axisOf(scatterY)} keep={current ? keep : later.map(() => true)} color={current ? color : undefined} onOpen={(id) => navigate(runHref(id))} />
            </>
          )}
        </figure>
        <figure className="chart-fig" aria-label="Bar per run">
          <figcaption className="chart-title">
            <span>Per run</span>
            {barId && <AxisSelect label="Value" value={barId} options={numericIds} onChange={setBar} />}
          </figcaption>
          {barId ? <RunBars rows={later} axisId={barId} label={axisOf(barId).key} keep={current ? keep : later.map(() => true)} runHref={runHref} /> : <p className="muted">No numeric values to compare.</p>}
        </figure>
      </div>
    </div>
  );
}
