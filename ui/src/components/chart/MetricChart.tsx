import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Metric } from '../../api/types';
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

/** A line chart of metric histories: drag to zoom, double-click or Reset to zoom out. */
export function MetricChart({ title, series, x, height = 260, syncKey }: { title: string; series: ChartSeries[]; x: XAxis; height?: number; syncKey?: string }) {
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
