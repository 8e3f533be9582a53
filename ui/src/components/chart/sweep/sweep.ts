// The data behind the sweep views: one row per run, one axis per chosen
// param or metric, positions on an axis from 0 (bottom) to 1 (top), and the
// brushes that filter rows by those positions.
import type { Run } from '../../../api/types';
import { fmtTick, linearTicks, logTicks } from '../ticks';

export type AxisKind = 'param' | 'metric';

/** `param:lr` or `metric:val_loss`: one name space for both kinds. */
export const axisId = (kind: AxisKind, key: string) => `${kind}:${key}`;

export interface SweepRow {
  id: string;
  name: string;
  /** Params as logged (strings), metrics as their latest value. */
  values: Map<string, string | number>;
}

export function sweepRows(runs: readonly Run[]): SweepRow[] {
  return runs.map((r) => {
    const values = new Map<string, string | number>();
    for (const p of r.data.params ?? []) values.set(axisId('param', p.key), p.value);
    for (const m of r.data.metrics ?? []) values.set(axisId('metric', m.key), m.value);
    return { id: r.info.run_id, name: r.info.run_name || r.info.run_id.slice(0, 8), values };
  });
}

/** A param logged as a number ("0.001", "1e-3", "32"), not "", "None" or "adam". */
function asNumber(v: string | number | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export interface SweepAxis {
  id: string;
  kind: AxisKind;
  key: string;
  /** Numbers on a linear or log scale, or categories spread evenly (sorted naturally). */
  numeric: boolean;
  categories: string[];
  min: number;
  max: number;
  log: boolean;
  /** Whether a log scale is possible: numeric and every value above 0. */
  canLog: boolean;
}

const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** An axis over the rows' values of `id`; numeric when every value present is a number. */
export function buildAxis(id: string, rows: readonly SweepRow[], wantLog = false): SweepAxis {
  const [kind, ...rest] = id.split(':');
  const present = rows.map((r) => r.values.get(id)).filter((v): v is string | number => v !== undefined);
  const nums = present.map(asNumber);
  const numeric = present.length > 0 && nums.every((n) => n !== undefined);
  let min = Infinity;
  let max = -Infinity;
  if (numeric) for (const n of nums as number[]) (min = Math.min(min, n)), (max = Math.max(max, n));
  const canLog = numeric && min > 0;
  return {
    id,
    kind: kind as AxisKind,
    key: rest.join(':'),
    numeric,
    categories: numeric ? [] : [...new Set(present.map(String))].sort(natural.compare),
    min: numeric ? min : 0,
    max: numeric ? max : 0,
    log: wantLog && canLog,
    canLog,
  };
}

/** Where a value sits on an axis, 0 (bottom) to 1 (top); undefined when it has none there. */
export function position(axis: SweepAxis, v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!axis.numeric) {
    const i = axis.categories.indexOf(String(v));
    if (i < 0) return undefined;
    return axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
  }
  const n = asNumber(v);
  if (n === undefined) return undefined;
  if (axis.max === axis.min) return 0.5;
  if (axis.log) return (Math.log10(n) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min));
  return (n - axis.min) / (axis.max - axis.min);
}

/** An axis's ticks as [position, label value]: round numbers (powers of ten on a log axis) or its categories, thinned to about `count`. */
export function axisTicks(axis: SweepAxis, count = 6): { at: number; value: number | string }[] {
  if (!axis.numeric) {
    const every = Math.max(1, Math.ceil(axis.categories.length / (count * 2)));
    return axis.categories.filter((_, i) => i % every === 0).map((c) => ({ at: position(axis, c)!, value: c }));
  }
  const ticks = axis.log ? logTicks(axis.min, axis.max, count) : linearTicks(axis.min, axis.max, count);
  return ticks.map((t) => ({ at: position(axis, t)!, value: t }));
}

/** Positions of every row on every axis: rows × axes, NaN where a row has no value. */
export function positions(rows: readonly SweepRow[], axes: readonly SweepAxis[]): Float64Array[] {
  return rows.map((r) => Float64Array.from(axes, (a) => position(a, r.values.get(a.id)) ?? NaN));
}

/** A brushed stretch of an axis, as positions lo ≤ hi in [0, 1]. */
export type Brush = readonly [number, number];
export type Brushes = Readonly<Record<string, Brush>>;

/**
 * Which rows every brush keeps: a row passes when, on each brushed axis, it
 * has a value inside the brush (a row without a value there is filtered
 * out). No brushes: every row passes. Brushes on axes not shown are ignored.
 */
export function brushFilter(pos: readonly Float64Array[], axes: readonly SweepAxis[], brushes: Brushes): boolean[] {
  const active = axes.map((a, i) => [i, brushes[a.id]] as const).filter((b): b is readonly [number, Brush] => !!b[1]);
  return pos.map((p) => active.every(([i, [lo, hi]]) => p[i] >= lo - 1e-9 && p[i] <= hi + 1e-9));
}

/** The value at a position of a numeric axis (the inverse of position); a category axis has none. */
export function valueAt(axis: SweepAxis, t: number): number | undefined {
  if (!axis.numeric) return undefined;
  if (axis.log) return 10 ** (Math.log10(axis.min) + t * (Math.log10(axis.max) - Math.log10(axis.min)));
  return axis.min + t * (axis.max - axis.min);
}

/** A brush in the axis's own terms: "0.001 to 0.03", or the categories it holds. */
export function brushText(axis: SweepAxis, brush: Brush | undefined): string {
  if (!brush) return 'no filter';
  if (!axis.numeric) {
    const inside = axis.categories.filter((c) => {
      const t = position(axis, c)!;
      return t >= brush[0] - 1e-9 && t <= brush[1] + 1e-9;
    });
    return inside.length ? inside.join(', ') : 'none of its values';
  }
  return `${fmtTick(valueAt(axis, brush[0])!)} to ${fmtTick(valueAt(axis, brush[1])!)}`;
}

/** How far a key moves or stretches a brush, as a share of the axis. */
export const BRUSH_STEP = 0.05;
const FIRST_BRUSH: Brush = [0.4, 0.6];
const MIN_BRUSH = 0.02;

/**
 * A brush driven from the keyboard, on a focused axis: ↑ and ↓ move it by
 * a step (Page Up and Page Down by four; a first press brushes the middle
 * fifth), Shift with ↑ or ↓ widens or narrows it about its middle, Home and
 * End take it to the top or bottom, Escape or Delete clear it. Returns the
 * new brush, null to clear it, or undefined when the key is not one of these.
 */
export function keyBrush(brush: Brush | undefined, key: string, shift = false): Brush | null | undefined {
  const clamp = (lo: number, hi: number): Brush => {
    const w = hi - lo;
    if (lo < 0) return [0, w];
    if (hi > 1) return [1 - w, 1];
    return [lo, hi];
  };
  if (key === 'Escape' || key === 'Delete' || key === 'Backspace') return brush ? null : undefined;
  const moves: Record<string, number> = { ArrowUp: BRUSH_STEP, ArrowDown: -BRUSH_STEP, PageUp: 4 * BRUSH_STEP, PageDown: -4 * BRUSH_STEP };
  if (!(key in moves) && key !== 'Home' && key !== 'End') return undefined;
  if (!brush) return FIRST_BRUSH;
  const [lo, hi] = brush;
  const w = hi - lo;
  if (key === 'Home') return [1 - w, 1];
  if (key === 'End') return [0, w];
  const d = moves[key];
  if (shift && (key === 'ArrowUp' || key === 'ArrowDown')) {
    const mid = (lo + hi) / 2;
    const half = Math.min(0.5, Math.max(MIN_BRUSH, w + (d > 0 ? BRUSH_STEP : -BRUSH_STEP)) / 2);
    return clamp(mid - half, mid + half);
  }
  return clamp(lo + d, hi + d);
}

// A perceptually even scale from dark purple through teal to yellow (viridis' stops).
const STOPS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;

/** The colour of a position in [0, 1] (clamped) on the sweep's colour scale, as rgb(). */
export function colorAt(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((v, k) => Math.round(v + (STOPS[i + 1][k] - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** The keys of params and metrics the runs logged, and which of them differ between runs (the interesting axes of a sweep). */
export function sweepKeys(rows: readonly SweepRow[]): { params: string[]; metrics: string[]; varying: Set<string> } {
  const seen = new Map<string, Set<string>>();
  for (const r of rows) for (const [id, v] of r.values) {
    let s = seen.get(id);
    if (!s) seen.set(id, (s = new Set()));
    if (s.size < 2) s.add(String(v));
  }
  const ids = [...seen.keys()].sort(natural.compare);
  const pick = (kind: AxisKind) => ids.filter((id) => id.startsWith(`${kind}:`)).map((id) => id.slice(kind.length + 1));
  return { params: pick('param'), metrics: pick('metric'), varying: new Set(ids.filter((id) => seen.get(id)!.size > 1)) };
}
