import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Metric } from '../../api/types';
import { fmtNum } from '../format';
import { barShares } from './bars';
import type { XAxis } from './settings';
import { ema } from './smoothing';
import { fmtRelative, fmtTick, logTicks, RELATIVE_INCRS } from './ticks';
import { useTheme } from '../theme/theme';

export const PALETTE = ['#2f5bea', '#e4572e', '#17a398', '#f2a541', '#7c3aed', '#db2777', '#0ea5e9', '#65a30d', '#64748b', '#b45309'];

export interface ChartSeries {
  label: string;
  points: Metric[];
}

export type { XAxis } from './settings';

/** How the lines are drawn: log axes and smoothing (the x axis is chosen apart). */
export interface LineOptions {
  yLog?: boolean;
  /** Only for steps and relative time. */
  xLog?: boolean;
  /** 0 (off) to 99: the moving average's weight in hundredths. */
  smoothing?: number;
}

/** A series' points as [x, value] in x order: the step, the time in seconds, or the seconds since its first value. */
export function seriesXY(s: ChartSeries, x: XAxis): [number, number][] {
  let t0 = Infinity;
  if (x === 'relative') for (const p of s.points) t0 = Math.min(t0, Number(p.timestamp));
  const byX = new Map<number, number>();
  for (const p of s.points) {
    const k = x === 'step' ? Number(p.step ?? 0) : x === 'time' ? Number(p.timestamp) / 1000 : (Number(p.timestamp) - t0) / 1000;
    byX.set(k, p.value); // the last value logged at an x wins, as MLflow's charts show it
  }
  return [...byX].sort((a, b) => a[0] - b[0]);
}

/** uPlot's data (one shared x array) and what it holds. */
export interface Aligned {
  data: uPlot.AlignedData;
  /** With smoothing each series has two columns: its raw values (faint) then the smoothed line. */
  smoothed: boolean;
  /** Points a log axis cannot show (a value or x at or below 0). */
  leftOff: number;
}

/** Aligns several series on one x axis (uPlot wants one shared x array), smoothed and cut for log axes as asked. */
export function align(series: ChartSeries[], x: XAxis, opts: LineOptions = {}): Aligned {
  const xLog = !!opts.xLog && x !== 'time';
  const weight = (opts.smoothing ?? 0) / 100;
  const smoothed = weight > 0;
  const xs = new Set<number>();
  const cols: Map<number, number>[] = [];
  let leftOff = 0;
  for (const s of series) {
    const pts = seriesXY(s, x);
    const sm = smoothed ? ema(pts.map((p) => p[1]), weight) : [];
    const raw = new Map<number, number>();
    const smooth = new Map<number, number>();
    pts.forEach(([k, v], i) => {
      if ((xLog && !(k > 0)) || (opts.yLog && !(v > 0))) {
        leftOff++;
        if (xLog && !(k > 0)) return;
      } else {
        raw.set(k, v);
      }
      if (smoothed && (!opts.yLog || sm[i] > 0)) smooth.set(k, sm[i]);
      xs.add(k);
    });
    cols.push(raw);
    if (smoothed) cols.push(smooth);
  }
  const xArr = [...xs].sort((a, b) => a - b);
  const data = [xArr, ...cols.map((m) => xArr.map((k) => (m.has(k) ? m.get(k)! : null)))] as uPlot.AlignedData;
  return { data, smoothed, leftOff };
}

/** True when no series has more than one point (and one has a point): a line chart would only be a dot. */
export function isSingleValue(series: ChartSeries[]): boolean {
  return series.some((s) => s.points.length === 1) && series.every((s) => s.points.length <= 1);
}

export { barShares };

/** A metric logged once per run: its value written out, with a bar per run to compare them. */
function SingleValueChart({ title, series }: { title: string; series: ChartSeries[] }) {
  const shown = series.map((s, i) => ({ label: s.label, color: PALETTE[i % PALETTE.length], p: s.points[0] }));
  const shares = barShares(shown.map((r) => (r.p ? r.p.value : 0)));
  return (
    <figure className="chart-fig" aria-label={`Chart of ${title}`}>
      <figcaption className="chart-title">
        <span>{title}</span>
        <span className="muted small">one value{series.length > 1 ? ' per run' : ''}</span>
      </figcaption>
      <ul className="value-bars" aria-label={`Values of ${title}`}>
        {shown.map((r, i) => (
          <li key={i} className="value-bar">
            {series.length > 1 && <span className="value-bar-label truncate" title={r.label}>{r.label}</span>}
            <span className="value-bar-track" aria-hidden="true">
              <span className="value-bar-fill" style={{ width: `${(shares[i] * 100).toFixed(1)}%`, background: r.color }} />
            </span>
            <span className="value-bar-value">{r.p ? fmtNum(r.p.value) : '—'}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

type ChartProps = { title: string; series: ChartSeries[]; x: XAxis; height?: number; syncKey?: string } & LineOptions;

/** A metric's chart: lines over steps or time, or bars when it was logged once. */
export function MetricChart(props: ChartProps) {
  return isSingleValue(props.series) ? <SingleValueChart title={props.title} series={props.series} /> : <LineChart {...props} />;
}

const X_LABEL: Record<XAxis, string> = { step: 'step', time: 'time', relative: 'relative time' };

/** A line chart of metric histories: drag to zoom, double-click or Reset to zoom out. */
function LineChart({ title, series, x, height = 260, syncKey, yLog = false, xLog: xLogAsked = false, smoothing = 0 }: ChartProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [zoomed, setZoomed] = useState(false);
  const [leftOff, setLeftOff] = useState(0);
  const { theme } = useTheme();
  const xLog = xLogAsked && x !== 'time';

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const measure = () => Math.max(Math.floor(el.getBoundingClientRect().width), 320);
    const width = measure();
    const aligned = align(series, x, { yLog, xLog, smoothing });
    setLeftOff(aligned.leftOff);
    // Axis and grid colours follow the theme's variables (the chart is redrawn when it changes).
    const css = getComputedStyle(document.documentElement);
    const axis = css.getPropertyValue('--chart-axis').trim() || '#667085';
    const grid = css.getPropertyValue('--chart-grid').trim() || '#eef0f3';
    const logSplits = (_u: uPlot, _i: number, min: number, max: number) => logTicks(min, max);
    const logValues = (_u: uPlot, splits: number[]) => splits.map(fmtTick);
    const lines: uPlot.Series[] = series.flatMap((s, i) => {
      const color = PALETTE[i % PALETTE.length];
      const line = { label: s.label, stroke: color, width: 1.6, spanGaps: true, points: { show: s.points.length < 60 } };
      // Smoothed: the raw values stay as a faint line under the average, as in MLflow.
      return aligned.smoothed ? [{ label: `${s.label} (raw)`, stroke: `${color}44`, width: 1, spanGaps: true, points: { show: false } }, { ...line, width: 1.8, points: { show: false } }] : [line];
    });
    const opts: uPlot.Options = {
      width,
      height,
      scales: {
        x: { time: x === 'time', ...(xLog ? { distr: 3, log: 10 } : {}) },
        y: yLog ? { distr: 3, log: 10 } : {},
      },
      cursor: { drag: { x: true, y: false, setScale: true }, ...(syncKey ? { sync: { key: syncKey } } : {}) },
      legend: { live: true },
      axes: [
        {
          stroke: axis,
          grid: { stroke: grid },
          ticks: { stroke: grid },
          label: x === 'time' ? undefined : X_LABEL[x],
          labelSize: x === 'time' ? 0 : 18,
          font: '11px system-ui',
          labelFont: '11px system-ui',
          ...(x === 'relative' ? { incrs: RELATIVE_INCRS, values: (_u: uPlot, splits: number[]) => splits.map(fmtRelative) } : {}),
          ...(xLog ? { splits: logSplits, ...(x === 'relative' ? { values: (_u: uPlot, splits: number[]) => splits.map(fmtRelative) } : { values: logValues }) } : {}),
        },
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, size: 60, font: '11px system-ui', ...(yLog ? { splits: logSplits, values: logValues } : {}) },
      ],
      series: [{ label: X_LABEL[x], ...(x === 'relative' ? { value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmtRelative(v)) } : {}) }, ...lines],
      hooks: {
        // The faint raw lines stay out of the legend: one entry per run.
        init: [
          (u: uPlot) => {
            if (!aligned.smoothed) return;
            u.root.querySelectorAll<HTMLElement>('.u-legend .u-series').forEach((row, i) => {
              if (i > 0 && i % 2 === 1) row.style.display = 'none';
            });
          },
        ],
        setScale: [
          (u: uPlot, key: string) => {
            if (key !== 'x') return;
            const d = u.data[0];
            const min = u.scales.x.min ?? 0;
            const max = u.scales.x.max ?? 0;
            setZoomed(d.length > 1 && (min > d[0] || max < d[d.length - 1]));
          },
        ],
      },
    };
    const u = new uPlot(opts, aligned.data, el);
    plot.current = u;
    const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => {
      const w = measure();
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height });
    }) : null;
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [series, x, height, syncKey, theme, yLog, xLog, smoothing]);

  return (
    <figure className="chart-fig" aria-label={`Chart of ${title}`} data-x={x} data-y-scale={yLog ? 'log' : 'linear'} data-x-scale={xLog ? 'log' : 'linear'} data-smoothing={smoothing}>
      <figcaption className="chart-title">
        <span>{title}</span>
        {leftOff > 0 && (
          <span className="muted small" data-testid="left-off">
            {leftOff} {leftOff === 1 ? 'point' : 'points'} at or below 0 not shown on the log scale
          </span>
        )}
        <button
          type="button"
          className="btn btn-small btn-link"
          disabled={!zoomed}
          onClick={() => {
            const u = plot.current;
            if (!u) return;
            const d = u.data[0];
            u.setScale('x', { min: d[0], max: d[d.length - 1] });
          }}
        >
          Reset zoom
        </button>
      </figcaption>
      <div ref={wrap} className="chart" />
    </figure>
  );
}
