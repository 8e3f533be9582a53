import { describe, expect, it } from 'vitest';
import type { Run } from '../../../api/types';
import { defaultAxes } from './SweepViews';
import { axisTicks, brushFilter, brushText, buildAxis, colorAt, keyBrush, position, positions, sweepKeys, sweepRows, valueAt, type Brush, type Brushes } from './sweep';

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

describe('brushing from the keyboard', () => {
  it.each([
    ['a first arrow brushes the middle fifth', undefined, 'ArrowUp', false, [0.4, 0.6]],
    ['a first Page Down too', undefined, 'PageDown', false, [0.4, 0.6]],
    ['↑ moves it up a step', [0.4, 0.6], 'ArrowUp', false, [0.45, 0.65]],
    ['↓ moves it down a step', [0.4, 0.6], 'ArrowDown', false, [0.35, 0.55]],
    ['Page Up moves it four steps', [0.1, 0.2], 'PageUp', false, [0.3, 0.4]],
    ['it stops at the top, keeping its width', [0.7, 0.98], 'ArrowUp', false, [0.72, 1]],
    ['it stops at the bottom', [0.02, 0.1], 'PageDown', false, [0, 0.08]],
    ['Home takes it to the top', [0.2, 0.5], 'Home', false, [0.7, 1]],
    ['End takes it to the bottom', [0.2, 0.5], 'End', false, [0, 0.3]],
    ['Shift+↑ widens it about its middle', [0.4, 0.6], 'ArrowUp', true, [0.375, 0.625]],
    ['Shift+↓ narrows it about its middle', [0.4, 0.6], 'ArrowDown', true, [0.425, 0.575]],
    ['it narrows no further than 2%', [0.49, 0.51], 'ArrowDown', true, [0.49, 0.51]],
    ['widened at an edge, it stays on the axis', [0, 0.2], 'ArrowUp', true, [0, 0.25]],
    ['it widens no further than the axis', [0, 1], 'ArrowUp', true, [0, 1]],
  ] as const)('%s', (_, brush, key, shift, want) => {
    const got = keyBrush(brush as Brush | undefined, key, shift);
    expect(got).not.toBeNull();
    expect(got![0]).toBeCloseTo(want[0], 9);
    expect(got![1]).toBeCloseTo(want[1], 9);
  });

  it.each([
    ['Escape clears a brush', [0.2, 0.4], 'Escape', null],
    ['Delete clears a brush', [0.2, 0.4], 'Delete', null],
    ['Escape without a brush is left to others (a dialog may close)', undefined, 'Escape', undefined],
    ['other keys are left alone', [0.2, 0.4], 'a', undefined],
    ['Tab is left alone', [0.2, 0.4], 'Tab', undefined],
  ] as const)('%s', (_, brush, key, want) => {
    expect(keyBrush(brush as Brush | undefined, key)).toBe(want);
  });

  const lr = buildAxis('param:lr', rows, true);
  const loss = buildAxis('metric:loss', rows);
  const opt = buildAxis('param:opt', rows);
  it.each([
    ['no brush', loss, undefined, 'no filter'],
    ['a linear axis, in its values', loss, [0, 0.5], '0.2 to 0.55'],
    ['a log axis, in its values', lr, [0, 2 / 3], '1e-4 to 0.01'],
    ['a category axis, by the categories inside', opt, [0, 0.5], 'adam, rmsprop'],
    ['a category axis with none inside', opt, [0.1, 0.2], 'none of its values'],
  ] as const)('brushText: %s', (_, axis, brush, want) => {
    expect(brushText(axis, brush as Brush | undefined)).toBe(want);
  });

  it('valueAt undoes position on numeric axes', () => {
    for (const [axis, v] of [[lr, 0.001], [loss, 0.5]] as const) expect(valueAt(axis, position(axis, v)!)).toBeCloseTo(v, 12);
    expect(valueAt(opt, 0.5)).toBeUndefined();
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
