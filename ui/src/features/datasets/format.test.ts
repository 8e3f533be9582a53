import { describe, expect, it } from 'vitest';
import { isBlank, isExpandable, ownTags, previewValue, rangeStatus, shortId, sourceLabel } from './format';

describe('dataset formatting', () => {
  it.each([
    ['d-eef8db3eb9f14765982b8c527a78082c', 'd-eef8db3e'],
    ['dr-18a00fe8ac7c4cb3', 'dr-18a00fe8'],
    ['#3', '#3'],
  ])('shortId(%j) = %j', (id, want) => {
    expect(shortId(id)).toBe(want);
  });

  it.each<[unknown, boolean]>([
    [undefined, true],
    [null, true],
    ['', true],
    [{}, true],
    [[], false],
    [0, false],
    [false, false],
    [{ a: 1 }, false],
  ])('isBlank(%j) = %j', (v, want) => {
    expect(isBlank(v)).toBe(want);
  });

  it.each<[unknown, string]>([
    [{ question: 'Why do\n customers churn?', k: 3 }, 'question: Why do customers churn?, k: 3'],
    ['plain text', 'plain text'],
    [['a', 'b'], '["a","b"]'],
    [42, '42'],
    [{}, ''],
    [{ nested: { deep: [1, 2] } }, 'nested: {"deep":[1,2]}'],
  ])('previewValue(%j) = %j', (v, want) => {
    expect(previewValue(v)).toBe(want);
  });

  it('cuts a long preview with an ellipsis', () => {
    const p = previewValue({ text: 'x'.repeat(200) }, 40);
    expect(p).toHaveLength(40);
    expect(p.endsWith('…')).toBe(true);
  });

  it.each<[unknown, boolean]>([
    [{ a: 1 }, true],
    [[1], true],
    ['short', false],
    ['two\nlines', true],
    ['y'.repeat(200), true],
    [7, false],
    [{}, false],
  ])('isExpandable(%j) = %j', (v, want) => {
    expect(isExpandable(v)).toBe(want);
  });

  it('keeps own tags only, sorted', () => {
    expect(ownTags({ 'mlflow.user': 'alice', team: 'qa', env: 'prod' })).toEqual([
      { key: 'env', value: 'prod' },
      { key: 'team', value: 'qa' },
    ]);
  });

  it.each([
    ['HUMAN', 'human'],
    ['TRACE', 'trace'],
    ['UNSPECIFIED', ''],
    [undefined, ''],
  ])('sourceLabel(%j) = %j', (t, want) => {
    expect(sourceLabel(t)).toBe(want);
  });

  it.each<[number, number, number, number | undefined, string]>([
    [1, 50, 50, 120, '1–50 of 120'],
    [3, 50, 20, 120, '101–120 of 120'],
    [2, 50, 3, undefined, '51–53'],
    [1, 50, 0, 0, ''],
  ])('rangeStatus(page %j, size %j, shown %j, total %j) = %j', (page, size, shown, total, want) => {
    expect(rangeStatus(page, size, shown, total)).toBe(want);
  });
});
