import { describe, expect, it } from 'vitest';
import { align, seriesXY, type ChartSeries } from './MetricChart';
import { DEFAULT_CHART_SETTINGS, parseChartSettings } from './settings';
import { ema } from './smoothing';
import { fmtRelative, fmtTick, linearTicks, logTicks } from './ticks';

const close = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => (Number.isNaN(want[i]) ? expect(g).toBeNaN() : expect(g).toBeCloseTo(want[i], 9)));
};

describe('ema (debiased exponential moving average)', () => {
  it.each([
    ['off: the values as they are', [3, 1, 2], 0, [3, 1, 2]],
    ['one value', [5], 0.9, [5]],
    ['nothing', [], 0.5, []],
    // avg₁ = 0.5·0 = 0 → 0/0.5; avg₂ = 0.5·0 + 0.5·1 = 0.5 → 0.5/0.75
    ['half weight', [0, 1], 0.5, [0, 2 / 3]],
    // avg = 0.1·10 = 1, then 0.9·1 = 0.9, then 0.81, each over 1 − 0.9ⁿ
    ['heavy weight', [10, 0, 0], 0.9, [1 / 0.1, 0.9 / 0.19, 0.81 / 0.271]],
    ['a constant stays constant (no pull toward 0 at the start)', [4, 4, 4, 4], 0.99, [4, 4, 4, 4]],
    ['NaN is passed through and skipped', [2, NaN, 2], 0.5, [2, NaN, 2]],
  ] as const)('%s', (_, values, w, want) => {
    close(ema([...values], w), [...want]);
  });

  it('lags behind a step and approaches it', () => {
    const s = ema([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.8);
    expect(s[3]).toBeGreaterThan(0);
    expect(s[3]).toBeLessThan(0.5);
    for (let i = 4; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1]);
    expect(s[s.length - 1]).toBeGreaterThan(0.99);
  });
});

describe('ticks', () => {
  it.each([
    [0, 1, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [0, 10, 5, [0, 2, 4, 6, 8, 10]],
    [0.13, 0.87, 4, [0.2, 0.4, 0.6, 0.8]],
    [-1, 1, 4, [-1, -0.5, 0, 0.5, 1]],
    [3, 3, 5, [3]],
    [1, 0, 5, []],
  ])('linear %d..%d about %d → %j', (min, max, count, want) => {
    expect(linearTicks(min, max, count)).toEqual(want);
  });

  it.each([
    ['the decades in range', 0.001, 10, 6, [0.001, 0.01, 0.1, 1, 10]],
    ['ends off a decade', 0.0005, 0.2, 6, [0.001, 0.01, 0.1]],
    ['more decades than room: every other one', 1e-8, 1e2, 6, [1e-8, 1e-6, 1e-4, 0.01, 1, 100]],
    ['within a decade: 1-2-5', 0.15, 0.9, 6, [0.2, 0.5]],
    ['one power and a bit: 1-2-5', 0.6, 6, 6, [1, 2, 5]],
    ['narrow: every digit', 2.5, 4.5, 6, [3, 4]],
    ['too narrow for digits: round linear ticks', 0.31, 0.35, 6, [0.31, 0.32, 0.33, 0.34, 0.35]],
    ['nothing at or below 0', 0, 10, 6, []],
    ['nothing backwards', 10, 1, 6, []],
  ])('log: %s', (_, min, max, count, want) => {
    expect(logTicks(min, max, count)).toEqual(want);
  });

  it.each([
    [0, '0s'],
    [1.5, '1.5s'],
    [0.25, '0.25s'],
    [59, '59s'],
    [60, '1m'],
    [150, '2m 30s'],
    [3600, '1h'],
    [3900, '1h 5m'],
    [90000, '1d 1h'],
  ])('relative time %d s reads %s', (s, want) => {
    expect(fmtRelative(s)).toBe(want);
  });
});

const pts = (...p: [step: number, ms: number, value: number][]) => p.map(([step, timestamp, value]) => ({ key: 'loss', step, timestamp, value }));

describe('aligning series', () => {
  const a: ChartSeries = { label: 'a', points: pts([0, 1_000_000, 4], [1, 1_001_000, 2], [2, 1_003_000, 1]) };
  const b: ChartSeries = { label: 'b', points: pts([0, 5_000_000, 0], [2, 5_002_000, 8]) };

  it.each([
    ['step', [[0, 4], [1, 2], [2, 1]]],
    ['time', [[1000, 4], [1001, 2], [1003, 1]]],
    ['relative', [[0, 4], [1, 2], [3, 1]]],
  ] as const)('x as %s', (x, want) => {
    expect(seriesXY(a, x)).toEqual(want);
  });

  it('relative time puts each run’s start at 0, so runs started hours apart share the axis', () => {
    const { data } = align([a, b], 'relative');
    expect(data[0]).toEqual([0, 1, 2, 3]);
    expect(data[1]).toEqual([4, 2, null, 1]);
    expect(data[2]).toEqual([0, null, 8, null]);
  });

  it('log y leaves out values at or below 0 and says how many', () => {
    const r = align([a, b], 'step', { yLog: true });
    expect(r.leftOff).toBe(1);
    expect(r.data[2]).toEqual([null, null, 8]);
  });

  it('log x leaves out step 0', () => {
    const r = align([a, b], 'step', { xLog: true });
    expect(r.data[0]).toEqual([1, 2]);
    expect(r.leftOff).toBe(2);
  });

  it('log x does not apply to wall-clock time', () => {
    expect(align([a], 'time', { xLog: true }).leftOff).toBe(0);
  });

  it('smoothing gives each run its raw column then its smoothed one', () => {
    const r = align([a], 'step', { smoothing: 50 });
    expect(r.smoothed).toBe(true);
    expect(r.data).toHaveLength(3);
    expect(r.data[1]).toEqual([4, 2, 1]);
    close(r.data[2] as number[], ema([4, 2, 1], 0.5));
  });
});

describe('chart settings', () => {
  it.each([
    ['nothing stored', null, DEFAULT_CHART_SETTINGS],
    ['not JSON', '{', DEFAULT_CHART_SETTINGS],
    ['an array', '[1]', DEFAULT_CHART_SETTINGS],
    ['all set', '{"x":"relative","yLog":true,"xLog":true,"smoothing":60}', { x: 'relative', yLog: true, xLog: true, smoothing: 60 }],
    ['an unknown axis and a string flag', '{"x":"epoch","yLog":"yes","smoothing":40}', { ...DEFAULT_CHART_SETTINGS, smoothing: 40 }],
    ['smoothing out of range', '{"smoothing":250}', { ...DEFAULT_CHART_SETTINGS, smoothing: 99 }],
    ['smoothing below 0', '{"smoothing":-3}', DEFAULT_CHART_SETTINGS],
    ['smoothing fractional', '{"smoothing":12.6}', { ...DEFAULT_CHART_SETTINGS, smoothing: 13 }],
  ] as const)('%s', (_, raw, want) => {
    expect(parseChartSettings(raw)).toEqual(want);
  });
});

describe('tick labels', () => {
  it.each([
    [0, '0'],
    [0.0001, '1e-4'],
    [0.00025, '2.5e-4'],
    [0.001, '0.001'],
    [0.30000000000000004, '0.3'],
    [120, '120'],
    [2_500_000, '2.5e6'],
    [-0.00001, '-1e-5'],
  ])('%d → %s', (v, want) => {
    expect(fmtTick(v)).toBe(want);
  });
});
