import { useEffect, useRef, type PointerEvent as ReactPointerEvent } from 'react';
import { useTheme } from '../../theme/theme';
import { fmtTick } from '../ticks';
import { axisTicks, brushText, colorAt, keyBrush, type Brush, type Brushes, type SweepAxis } from './sweep';
import { useWidth } from './useWidth';

const PAD = { left: 64, right: 64, top: 10, bottom: 14 };
const BUCKETS = 48;

export interface ParallelCoordinatesProps {
  axes: readonly SweepAxis[];
  /** Positions of each row on each axis (NaN: no value; such rows are not drawn). */
  pos: readonly Float64Array[];
  /** Rows the brushes keep; the others are drawn faint. */
  keep: readonly boolean[];
  /** Each row's place on the colour scale, or undefined for the plain accent. */
  color?: readonly (number | undefined)[];
  brushes: Brushes;
  onBrush: (axisId: string, brush: Brush | null) => void;
  onToggleLog: (axisId: string) => void;
  height?: number;
}

export const tickLabel = (v: number | string) => (typeof v === 'number' ? fmtTick(v) : v.length > 14 ? `${v.slice(0, 13)}…` : v);

/**
 * Parallel coordinates: one vertical axis per param or metric, one line per
 * run through its values. Lines are drawn on a canvas (a thousand runs stay
 * quick); axes, ticks and brushes are SVG above it. Drag along an axis to
 * brush a stretch of it (lines outside go faint); a click on it clears it.
 * Each axis is also a slider in the tab order: the arrow keys brush it
 * (keyBrush), and its value reads as the brushed values.
 */
export function ParallelCoordinates({ axes, pos, keep, color, brushes, onBrush, onToggleLog, height = 360 }: ParallelCoordinatesProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const measured = useWidth(wrap);
  // The canvas takes its faint and accent colours from the theme: redrawn when it changes.
  const { theme } = useTheme();
  const width = Math.max(measured ?? 0, 360);
  const plotH = height - PAD.top - PAD.bottom;
  const n = axes.length;
  const ax = (i: number) => (n === 1 ? width / 2 : PAD.left + (i * (width - PAD.left - PAD.right)) / (n - 1));
  const ay = (t: number) => PAD.top + (1 - t) * plotH;
  const drag = useRef<{ id: string; from: number; moved: boolean } | null>(null);

  useEffect(() => {
    const c = canvas.current;
    if (!c || measured === null) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    const ctx = c.getContext('2d');
    let drawn = 0;
    let complete = 0;
    if (ctx) {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, height);
      ctx.lineWidth = 1;
      const trace = (p: Float64Array) => {
        ctx.moveTo(ax(0), ay(p[0]));
        for (let i = 1; i < n; i++) ctx.lineTo(ax(i), ay(p[i]));
      };
      const whole = (p: Float64Array) => {
        for (let i = 0; i < n; i++) if (Number.isNaN(p[i])) return false;
        return true;
      };
      // Faint lines first, in one path; then the kept ones, batched by colour.
      const css = getComputedStyle(document.documentElement);
      ctx.strokeStyle = css.getPropertyValue('--line-strong').trim() || '#cfd4dc';
      ctx.globalAlpha = 0.9;
      ctx.beginPath();
      const buckets: number[][] = Array.from({ length: BUCKETS + 1 }, () => []);
      pos.forEach((p, r) => {
        if (!whole(p)) return;
        complete++;
        if (!keep[r]) return trace(p);
        const t = color?.[r];
        buckets[t === undefined || Number.isNaN(t) ? BUCKETS : Math.round(t * (BUCKETS - 1))].push(r);
      });
      ctx.stroke();
      const kept = buckets.reduce((s, b) => s + b.length, 0);
      ctx.globalAlpha = kept > 300 ? 0.45 : kept > 60 ? 0.7 : 0.9;
      ctx.lineWidth = kept > 300 ? 1 : 1.5;
      buckets.forEach((rows, b) => {
        if (rows.length === 0) return;
        ctx.strokeStyle = b === BUCKETS ? css.getPropertyValue('--accent').trim() || '#2f5bea' : colorAt(b / (BUCKETS - 1));
        ctx.beginPath();
        for (const r of rows) trace(pos[r]);
        ctx.stroke();
      });
      drawn = kept;
    }
    // What was drawn, for readers of the page (and the tests and bench that wait for it).
    c.dataset.lines = String(drawn);
    c.dataset.complete = String(complete);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pos, keep, color, width, height, n, measured, theme]);

  const tAt = (e: ReactPointerEvent) => {
    const r = (e.currentTarget as SVGElement).ownerSVGElement!.getBoundingClientRect();
    return Math.min(1, Math.max(0, 1 - (e.clientY - r.top - PAD.top) / plotH));
  };

  if (measured === null) return <div className="pc" ref={wrap} style={{ height: height + 22 }} />;
  return (
    <div className="pc" ref={wrap}>
      <div className="pc-titles" style={{ height: 22 }}>
        {axes.map((a, i) => (
          <span key={a.id} className="pc-title" style={{ left: ax(i) }}>
            {a.canLog ? (
              <button type="button" className="btn-link" aria-pressed={a.log} title={a.log ? 'Log scale: click for linear' : 'Click for a log scale'} onClick={() => onToggleLog(a.id)}>
                {a.key}
                {a.log ? ' (log)' : ''}
              </button>
            ) : (
              <span title={a.kind === 'param' ? 'param' : 'metric'}>{a.key}</span>
            )}
          </span>
        ))}
      </div>
      <div className="pc-plot" style={{ height }}>
        <canvas ref={canvas} data-testid="parcoords-lines" style={{ width, height }} aria-hidden="true" />
        <svg width={width} height={height} className="pc-axes" role="group" aria-label="Axes (drag along one to filter)">
          {axes.map((a, i) => {
            const x = ax(i);
            const b = brushes[a.id];
            return (
              <g key={a.id} data-axis={a.id}>
                <line x1={x} x2={x} y1={PAD.top} y2={PAD.top + plotH} className="pc-axis" />
                {axisTicks(a).map((t, k) => (
                  <g key={k} transform={`translate(${x},${ay(t.at)})`}>
                    <line x1={-4} x2={0} className="pc-axis" />
                    <text x={-7} dy="0.32em" textAnchor="end" className="pc-tick">
                      {tickLabel(t.value)}
                    </text>
                  </g>
                ))}
                {b && <rect className="pc-brush" x={x - 9} width={18} y={ay(b[1])} height={Math.max(2, ay(b[0]) - ay(b[1]))} data-testid={`brush-${a.id}`} />}
                <rect
                  className="pc-hit"
                  x={x - 14}
                  width={28}
                  y={PAD.top - 4}
                  height={plotH + 8}
                  aria-label={`Brush ${a.key}`}
                  tabIndex={0}
                  role="slider"
                  aria-orientation="vertical"
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={b ? Math.round(((b[0] + b[1]) / 2) * 100) : undefined}
                  aria-valuetext={brushText(a, b)}
                  aria-keyshortcuts="ArrowUp ArrowDown Shift+ArrowUp Shift+ArrowDown PageUp PageDown Home End Escape"
                  onKeyDown={(e) => {
                    const next = keyBrush(b, e.key, e.shiftKey);
                    if (next === undefined) return;
                    e.preventDefault();
                    onBrush(a.id, next);
                  }}
                  onPointerDown={(e) => {
                    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
                    drag.current = { id: a.id, from: tAt(e), moved: false };
                  }}
                  onPointerMove={(e) => {
                    const d = drag.current;
                    if (!d || d.id !== a.id) return;
                    const t = tAt(e);
                    if (!d.moved && Math.abs(t - d.from) * plotH < 3) return;
                    d.moved = true;
                    onBrush(a.id, [Math.min(d.from, t), Math.max(d.from, t)]);
                  }}
                  onPointerUp={() => {
                    const d = drag.current;
                    drag.current = null;
                    if (d && !d.moved) onBrush(a.id, null);
                  }}
                />
              </g>
            );
          })}
        </svg>
      </div>
    </div>
  );
}
