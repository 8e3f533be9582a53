import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Metric } from '../../api/types';
import { fmtNum } from '../format';
import { useTheme } from '../theme/theme';

export const PALETTE = ['#2f5bea', '#e4572e', '#17a398', '#f2a541', '#7c3aed', '#db2777', '#0ea5e9', '#65a30d', '#64748b', '#b45309'];

export interface ChartSeries {
  label: string;
  points: Metric[];
}

export type XAxis = 'step' | 'time';

/** Aligns several series on one x axis (uPlot wants one shared x array). */
export function align(series: ChartSeries[], x: XAxis): uPlot.AlignedData {
  const xs = new Set<number>();
  const maps = series.map((s) => {
    const m = new Map<number, number>();
    for (const p of s.points) {
      const k = x === 'step' ? Number(p.step ?? 0) : Number(p.timestamp) / 1000;
      m.set(k, p.value);
      xs.add(k);
    }
    return m;
  });
  const xArr = [...xs].sort((a, b) => a - b);
  return [xArr, ...maps.map((m) => xArr.map((k) => (m.has(k) ? m.get(k)! : null)))] as uPlot.AlignedData;
}

/** True when no series has more than one point (and one has a point): a line chart would only be a dot. */
export function isSingleValue(series: ChartSeries[]): boolean {
  return series.some((s) => s.points.length === 1) && series.every((s) => s.points.length <= 1);
}

/** Bar lengths as a share of the largest magnitude (0 when every value is 0). */
export function barShares(values: number[]): number[] {
  const max = Math.max(0, ...values.map((v) => (Number.isFinite(v) ? Math.abs(v) : 0)));
  return values.map((v) => (max > 0 && Number.isFinite(v) ? Math.abs(v) / max : 0));
}

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

/** A metric's chart: lines over steps or time, or bars when it was logged once. */
export function MetricChart(props: { title: string; series: ChartSeries[]; x: XAxis; height?: number; syncKey?: string }) {
  return isSingleValue(props.series) ? <SingleValueChart title={props.title} series={props.series} /> : <LineChart {...props} />;
}

/** A line chart of metric histories: drag to zoom, double-click or Reset to zoom out. */
function LineChart({ title, series, x, height = 260, syncKey }: { title: string; series: ChartSeries[]; x: XAxis; height?: number; syncKey?: string }) {
  const wrap = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [zoomed, setZoomed] = useState(false);
  const { theme } = useTheme();

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const measure = () => Math.max(Math.floor(el.getBoundingClientRect().width), 320);
    const width = measure();
    // Axis and grid colours follow the theme's variables (the chart is redrawn when it changes).
    const css = getComputedStyle(document.documentElement);
    const axis = css.getPropertyValue('--chart-axis').trim() || '#667085';
    const grid = css.getPropertyValue('--chart-grid').trim() || '#eef0f3';
    const opts: uPlot.Options = {
      width,
      height,
      scales: { x: { time: x === 'time' } },
      cursor: { drag: { x: true, y: false, setScale: true }, ...(syncKey ? { sync: { key: syncKey } } : {}) },
      legend: { live: true },
      axes: [
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, label: x === 'step' ? 'step' : undefined, labelSize: x === 'step' ? 18 : 0, font: '11px system-ui', labelFont: '11px system-ui' },
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, size: 60, font: '11px system-ui' },
      ],
      series: [
        { label: x === 'step' ? 'step' : 'time' },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.6,
          spanGaps: true,
          points: { show: s.points.length < 60 },
        })),
      ],
      hooks: {
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
    const u = new uPlot(opts, align(series, x), el);
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
  }, [series, x, height, syncKey, theme]);

  return (
    <figure className="chart-fig" aria-label={`Chart of ${title}`}>
      <figcaption className="chart-title">
        <span>{title}</span>
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
