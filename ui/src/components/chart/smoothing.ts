// Smoothing of metric curves, as MLflow's and TensorBoard's charts do it.

/** The slider's range: 0 (off) to 99, as MLflow's "line smoothness". */
export const SMOOTHING_MAX = 99;

/**
 * Exponential moving average with the start-up bias removed: without the
 * correction the curve would start near 0 (the average's seed) instead of at
 * the first value. `weight` in [0, 1): 0 returns the values as they are, near
 * 1 follows them slowly. Values that are not finite are passed through and
 * do not enter the average.
 */
export function ema(values: readonly number[], weight: number): number[] {
  if (!(weight > 0) || values.length < 2) return [...values];
  const w = Math.min(weight, 0.999);
  let avg = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    avg = avg * w + (1 - w) * v;
    n++;
    return avg / (1 - w ** n);
  });
}
