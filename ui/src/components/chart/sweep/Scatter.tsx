import { useRef, useState } from 'react';
import { fmtNum } from '../../format';
import { tickLabel } from './ParallelCoordinates';
import { axisTicks, colorAt, position, type SweepAxis, type SweepRow } from './sweep';
import { useWidth } from './useWidth';

const PAD = { left: 60, right: 16, top: 10, bottom: 36 };
/** Points keep off the frame: positions 0..1 land inside this share of it. */
const INSET = 0.04;

/** A small stable offset per run, to spread runs that share a category. */
function jitter(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return ((h >>> 0) % 1000) / 1000 - 0.5;
}

const show = (v: string | number | undefined) => (v === undefined ? '—' : typeof v === 'number' ? fmtNum(v) : v);

/** One point per run: a param or metric against another. Runs the brushes filter out are drawn small and grey; a click opens the run. */
export function Scatter({
  rows,
  x,
  y,
  keep,
  color,
  onOpen,
  height = 320,
}: {
  rows: readonly SweepRow[];
  x: SweepAxis;
  y: SweepAxis;
  keep: readonly boolean[];
  color?: readonly (number | undefined)[];
  onOpen?: (runId: string) => void;
  height?: number;
}) {
  const wrap = useRef<HTMLDivElement>(null);
  const measured = useWidth(wrap, 480);
  const width = Math.max(measured ?? 0, 280);
  const [hover, setHover] = useState<{ id: string; x: number; y: number } | null>(null);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const inset = (t: number) => INSET + (1 - 2 * INSET) * t;
  const band = (a: SweepAxis) => (a.numeric ? 0 : 0.5 / Math.max(2, a.categories.length));
  const px = (t: number) => PAD.left + inset(t) * plotW;
  const py = (t: number) => PAD.top + (1 - inset(t)) * plotH;
  const points = rows
    .map((r, i) => {
      const tx = position(x, r.values.get(x.id));
      const ty = position(y, r.values.get(y.id));
      if (tx === undefined || ty === undefined) return null;
      const j = jitter(r.id);
      return { r, i, cx: px(tx + band(x) * j), cy: py(ty + band(y) * jitter(r.id + '~')) , kept: keep[i] };
    })
    .filter((p): p is NonNullable<typeof p> => p !== null)
    // The kept points are drawn last, above the faint ones.
    .sort((a, b) => Number(a.kept) - Number(b.kept));
  const kept = points.filter((p) => p.kept).length;
  if (measured === null) return <div ref={wrap} className="scatter" style={{ height }} />;
  const hovered = hover ? rows.find((r) => r.id === hover.id) : undefined;
  return (
    <div ref={wrap} className="scatter">
      <svg width={width} height={height} role="img" aria-label={`${y.key} against ${x.key}`} data-points={points.length} data-kept={kept}>
        {axisTicks(x, 6).map((t, k) => (
          <g key={`x${k}`} transform={`translate(${px(t.at)},0)`}>
            <line y1={PAD.top} y2={PAD.top + plotH} className="sc-grid" />
            <text y={PAD.top + plotH + 14} textAnchor="middle" className="pc-tick">
              {tickLabel(t.value)}
            </text>
          </g>
        ))}
        {axisTicks(y, 5).map((t, k) => (
          <g key={`y${k}`} transform={`translate(0,${py(t.at)})`}>
            <line x1={PAD.left} x2={PAD.left + plotW} className="sc-grid" />
            <text x={PAD.left - 6} dy="0.32em" textAnchor="end" className="pc-tick">
              {tickLabel(t.value)}
            </text>
          </g>
        ))}
        <rect x={PAD.left} y={PAD.top} width={plotW} height={plotH} className="sc-frame" />
        <text x={PAD.left + plotW / 2} y={height - 4} textAnchor="middle" className="sc-label">
          {x.key}
          {x.log ? ' (log)' : ''}
        </text>
        <text transform={`translate(12,${PAD.top + plotH / 2}) rotate(-90)`} textAnchor="middle" className="sc-label">
          {y.key}
          {y.log ? ' (log)' : ''}
        </text>
        {points.map((p) => {
          const t = color?.[p.i];
          const fill = !p.kept ? 'var(--line-strong, #cfd4dc)' : t === undefined ? 'var(--accent, #2f5bea)' : colorAt(t);
          return (
            <circle
              key={p.r.id}
              cx={p.cx}
              cy={p.cy}
              r={p.kept ? 4.5 : 3}
              fill={fill}
              className={p.kept ? 'sc-point' : 'sc-point sc-out'}
              onClick={onOpen ? () => onOpen(p.r.id) : undefined}
              onPointerEnter={() => setHover({ id: p.r.id, x: p.cx, y: p.cy })}
              onPointerLeave={() => setHover(null)}
              data-run={p.r.name}
            />
          );
        })}
      </svg>
      {hover && hovered && (
        <div className="sc-tip" role="tooltip" style={{ left: hover.x + 10, top: hover.y + 10, ...(hover.x > width - 200 ? { left: undefined, right: width - hover.x + 10 } : {}) }}>
          <strong>{hovered.name}</strong>
          <div>
            {x.key} = {show(hovered.values.get(x.id))}
          </div>
          <div>
            {y.key} = {show(hovered.values.get(y.id))}
          </div>
        </div>
      )}
    </div>
  );
}
