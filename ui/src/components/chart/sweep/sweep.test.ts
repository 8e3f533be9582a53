import { describe, expect, it } from 'vitest';
import type { Run } from '../../../api/types';
import { defaultAxes } from './SweepViews';
import { axisTicks, brushFilter, buildAxis, colorAt, position, positions, sweepKeys, sweepRows, type Brushes } from './sweep';

function run(id: string, params: Record<string, string>, metrics: Record<string, number>): Run {
  return {
    info: { run_id: id, run_name: id, experiment_id: '1' },
    data: { params: Object.entries(params).map(([key, value]) => ({ key, value })), metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 0, step: 0 })) },
  };
}

const runs = [
  run('r1', { lr: '0.0001', opt: 'adam', seed: '1' }, { loss: 0.9, acc: 0.5 }),
  run('r2', { lr: '0.001', opt: 'sgd', seed: '1' }, { loss: 0.5, acc: 0.7 }),
  run('r3', { lr: '0.01', opt: 'adam', seed: '1' }, { loss: 0.2, acc: 0.9 }),
  run('r4', { lr: '0.1', opt: 'rmsprop', seed: '1' }, { loss: 0.4 }),
  run('parent', {}, {}),
];
const rows = sweepRows(runs);

describe('sweep axes', () => {
  it.each([
    ['numbers written as text', 'param:lr', { numeric: true, min: 0.0001, max: 0.1, canLog: true, categories: [] }],
    ['words: categories in natural order', 'param:opt', { numeric: false, categories: ['adam', 'rmsprop', 'sgd'], canLog: false }],
    ['a metric', 'metric:acc', { numeric: true, min: 0.5, max: 0.9 }],
  ])('%s', (_, id, want) => {
    expect(buildAxis(id, rows)).toMatchObject(want);
  });

  it('a param that is sometimes a word is categorical', () => {
    const r = sweepRows([run('a', { depth: '3' }, {}), run('b', { depth: 'None' }, {}), run('c', { depth: '10' }, {})]);
    expect(buildAxis('param:depth', r)).toMatchObject({ numeric: false, categories: ['3', '10', 'None'] });
  });

  it('a log scale only where every value is above 0', () => {
    const r = sweepRows([run('a', {}, { delta: -1 }), run('b', {}, { delta: 2 })]);
    expect(buildAxis('metric:delta', r, true)).toMatchObject({ canLog: false, log: false });
    expect(buildAxis('param:lr', rows, true).log).toBe(true);
  });

  it.each([
    ['linear bottom', 'param:lr', false, '0.0001', 0],
    ['linear top', 'param:lr', false, '0.1', 1],
    ['linear middle-ish', 'param:lr', false, '0.01', (0.01 - 0.0001) / (0.1 - 0.0001)],
    ['log: decades evenly spread', 'param:lr', true, '0.001', 1 / 3],
    ['log: 0.01', 'param:lr', true, '0.01', 2 / 3],
    ['category', 'param:opt', false, 'rmsprop', 0.5],
    ['unknown category', 'param:opt', false, 'lbfgs', undefined],
    ['no value', 'param:lr', false, undefined, undefined],
  ] as const)('position: %s', (_, id, log, v, want) => {
    const got = position(buildAxis(id, rows, log), v);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(want, 9);
  });

  it('one value sits in the middle', () => {
    expect(position(buildAxis('param:seed', rows), '1')).toBe(0.5);
  });

  it('ticks of a log axis are its decades, at their positions', () => {
    expect(axisTicks(buildAxis('param:lr', rows, true)).map((t) => [t.value, Number(t.at.toFixed(6))])).toEqual([
      [0.0001, 0],
      [0.001, 0.333333],
      [0.01, 0.666667],
      [0.1, 1],
    ]);
  });
});

describe('brushing', () => {
  const axes = ['param:lr', 'param:opt', 'metric:acc'].map((id) => buildAxis(id, rows));
  const pos = positions(rows, axes);
  const names = (keep: boolean[]) => rows.filter((_, i) => keep[i]).map((r) => r.id);

  it.each([
    ['no brush keeps every run, even one without values', {}, ['r1', 'r2', 'r3', 'r4', 'parent']],
    ['top half of acc', { 'metric:acc': [0.5, 1] }, ['r2', 'r3']],
    ['a run without the brushed value is filtered out', { 'metric:acc': [0, 1] }, ['r1', 'r2', 'r3']],
    ['adam only (the bottom category)', { 'param:opt': [0, 0.1] }, ['r1', 'r3']],
    ['two brushes: both must hold', { 'param:opt': [0, 0.1], 'metric:acc': [0.9, 1] }, ['r3']],
    ['edges are inside', { 'metric:acc': [0, 0] }, ['r1']],
    ['a brush on an axis not shown is ignored', { 'metric:loss': [0, 0.1] }, ['r1', 'r2', 'r3', 'r4', 'parent']],
    ['nothing inside', { 'param:lr': [0.2, 0.3] }, []],
  ] as const)('%s', (_, brushes, want) => {
    expect(names(brushFilter(pos, axes, brushes as Brushes))).toEqual(want);
  });
});

describe('sweep keys and defaults', () => {
  it('finds params and metrics, and which vary', () => {
    const k = sweepKeys(rows);
    expect(k.params).toEqual(['lr', 'opt', 'seed']);
    expect(k.metrics).toEqual(['acc', 'loss']);
    expect([...k.varying].sort()).toEqual(['metric:acc', 'metric:loss', 'param:lr', 'param:opt']);
  });

  it('opens on the params and metrics that vary', () => {
    expect(defaultAxes(sweepKeys(rows))).toEqual(['param:lr', 'param:opt', 'metric:acc', 'metric:loss']);
  });

  it('when nothing varies, on everything there is', () => {
    const same = sweepRows([run('a', { seed: '1' }, { loss: 1 }), run('b', { seed: '1' }, { loss: 1 })]);
    expect(defaultAxes(sweepKeys(same))).toEqual(['param:seed', 'metric:loss']);
  });
});

describe('colour scale', () => {
  it.each([
    [0, 'rgb(68, 1, 84)'],
    [1, 'rgb(253, 231, 37)'],
    [0.5, 'rgb(33, 145, 140)'],
    [-3, 'rgb(68, 1, 84)'],
    [7, 'rgb(253, 231, 37)'],
    [NaN, 'rgb(68, 1, 84)'],
    [0.125, 'rgb(64, 42, 112)'],
  ])('%d → %s', (t, want) => {
    expect(colorAt(t)).toBe(want);
  });
});
