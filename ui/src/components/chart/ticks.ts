// Axis ticks for the charts drawn here (the sweep views) and the log axes of
// the metric charts: round numbers a reader can take in at a glance.

/** A float with the binary noise of repeated multiplication rounded away (0.30000000000000004 → 0.3). */
const clean = (v: number) => Number(v.toPrecision(12));

/** About `count` round-number ticks (steps of 1, 2 or 5 × 10ⁿ) from min to max, both included when round. */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  if (max === min) return [clean(min)];
  const rough = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(rough));
  const norm = rough / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(clean(Math.abs(v) < step * 1e-9 ? 0 : v));
  return out;
}

/**
 * Ticks for a log₁₀ axis from min to max (both > 0): the powers of ten in
 * range, every k-th one when there are more than maxCount; when fewer than
 * two powers fit, 1-2-5 of each decade, then every digit, then round linear
 * ticks for a range too narrow for any of those.
 */
export function logTicks(min: number, max: number, maxCount = 6): number[] {
  if (!(min > 0) || !Number.isFinite(max) || max < min) return [];
  const inRange = (v: number) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const powers: number[] = [];
  for (let p = lo; p <= hi; p++) if (inRange(clean(10 ** p))) powers.push(p);
  if (powers.length > maxCount) {
    const k = Math.ceil(powers.length / maxCount);
    return powers.filter((p) => p % k === 0).map((p) => clean(10 ** p));
  }
  if (powers.length >= 2) return powers.map((p) => clean(10 ** p));
  for (const mantissas of [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const out: number[] = [];
    for (let p = lo; p <= hi; p++) for (const m of mantissas) if (inRange(clean(m * 10 ** p))) out.push(clean(m * 10 ** p));
    if (out.length >= 2 && out.length <= maxCount + 1) return out;
    if (out.length > maxCount + 1) break;
  }
  return linearTicks(min, max, Math.min(maxCount, 4)).filter((v) => v > 0);
}

/** Steps for a relative-time axis, in seconds: round fractions, then seconds, minutes, hours and days. */
export const RELATIVE_INCRS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/** Seconds since a run's first value, for an axis: "0s", "1.5s", "2m 30s", "1h 5m", "2d 3h". */
export function fmtRelative(sec: number): string {
  if (!Number.isFinite(sec)) return '';
  const neg = sec < 0 ? '-' : '';
  const a = Math.abs(sec);
  if (a < 60) return `${neg}${Number(a.toPrecision(3))}s`;
  const s = Math.round(a);
  if (s < 3600) return `${neg}${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  if (s < 86400) return `${neg}${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${neg}${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)}h` : ''}`;
}

/** A tick's label: as short as the number allows ("1e-4", "0.001", "2.5e6", "120"). */
export function fmtTick(v: number): string {
  if (!Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return Number(v.toPrecision(4)).toExponential().replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}
