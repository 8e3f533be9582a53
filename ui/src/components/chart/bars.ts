/** Bar lengths as a share of the largest magnitude (0 when every value is 0). Apart from the line charts, so bars do not load uPlot. */
export function barShares(values: number[]): number[] {
  const max = Math.max(0, ...values.map((v) => (Number.isFinite(v) ? Math.abs(v) : 0)));
  return values.map((v) => (max > 0 && Number.isFinite(v) ? Math.abs(v) / max : 0));
}
