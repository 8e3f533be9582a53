import { describe, expect, it } from 'vitest';
import type { Assessment } from '../../api/types';
import {
  assessmentSummary,
  assessmentValue,
  feedbackNameError,
  feedbackValue,
  fmtMs,
  parseDuration,
  parseTime,
  previewText,
  shortTraceId,
  showValue,
  userTags,
} from './format';

describe('trace formatting', () => {
  it.each<[string | number | undefined | null, number | null]>([
    ['0.250s', 250],
    ['3s', 3000],
    ['1.000000001s', 1000.000001],
    ['0s', 0],
    [42, 42],
    ['', null],
    [undefined, null],
    ['250ms', null],
    ['soon', null],
  ])('parseDuration(%j) = %s ms', (d, want) => {
    if (want === null) expect(parseDuration(d)).toBeNull();
    else expect(parseDuration(d)).toBeCloseTo(want, 6);
  });

  it.each<[string | number | undefined, number | null]>([
    ['2026-12-03T08:00:00Z', Date.UTC(2026, 11, 3, 8)],
    ['2026-12-03T08:00:00.123Z', Date.UTC(2026, 11, 3, 8, 0, 0, 123)],
    ['1764748800000', 1764748800000],
    [1764748800000, 1764748800000],
    ['yesterday', null],
    [undefined, null],
  ])('parseTime(%j) = %s', (t, want) => {
    expect(parseTime(t)).toBe(want);
  });

  it.each<[number | null, string]>([
    [0.42, '0.42 ms'],
    [0, '0 ms'],
    [85.4, '85 ms'],
    [999.4, '999 ms'],
    [1250, '1.25 s'],
    [12_340, '12.3 s'],
    [125_000, '2m 05s'],
    [3_725_000, '1h 02m'],
    [null, '—'],
    [-1, '—'],
    [Number.NaN, '—'],
  ])('fmtMs(%s) = %s', (ms, want) => {
    expect(fmtMs(ms)).toBe(want);
  });

  it.each([
    ['tr-0123456789abcdef0123456789abcdef', 'tr-01234567'],
    ['0123456789abcdef', '01234567'],
    ['tr-1', 'tr-1'],
  ])('shortTraceId(%s) = %s', (id, want) => {
    expect(shortTraceId(id)).toBe(want);
  });

  it.each<[string | undefined, number, string]>([
    ['{"question": "why?"}', 80, '{"question": "why?"}'],
    ['a\n  b\tc', 80, 'a b c'],
    ['abcdefghij', 5, 'abcd…'],
    [undefined, 80, ''],
  ])('previewText(%j, %d) = %j', (s, max, want) => {
    expect(previewText(s, max)).toBe(want);
  });

  it.each<[unknown, string]>([
    ['text', 'text'],
    [{ a: 1 }, '{\n  "a": 1\n}'],
    [[1, 2], '[\n  1,\n  2\n]'],
    [true, 'true'],
    [null, 'null'],
    [undefined, ''],
  ])('showValue(%j)', (v, want) => {
    expect(showValue(v)).toBe(want);
  });
});

describe('assessments', () => {
  const a = (over: Partial<Assessment>): Assessment => ({ assessment_name: 'quality', ...over });

  it.each<[string, Assessment, string]>([
    ['a true feedback', a({ feedback: { value: true } }), 'true'],
    ['a false feedback', a({ feedback: { value: false } }), 'false'],
    ['a number', a({ feedback: { value: 4.5 } }), '4.5'],
    ['text', a({ feedback: { value: 'too long' } }), 'too long'],
    ['a list of strings', a({ feedback: { value: ['rude', 'vague'] } }), 'rude, vague'],
    ['an object', a({ feedback: { value: { score: 1 } } }), '{"score":1}'],
    ['a failed scorer', a({ feedback: { error: { error_code: 'TIMEOUT', error_message: 'judge timed out' } } }), 'error: judge timed out'],
    ['an expectation', a({ expectation: { value: 3 } }), '3'],
    ['a serialized expectation', a({ expectation: { serialized_value: { serialization_format: 'JSON_FORMAT', value: '{"k":[1]}' } } }), '{"k":[1]}'],
    ['nothing', a({}), '—'],
  ])('shows %s', (_what, given, want) => {
    expect(assessmentValue(given)).toBe(want);
  });

  it('sums names in first-seen order, leaving out overridden ones', () => {
    expect(
      assessmentSummary([
        a({ assessment_name: 'quality' }),
        a({ assessment_name: 'expected' }),
        a({ assessment_name: 'quality' }),
        a({ assessment_name: 'quality', valid: false }),
      ]),
    ).toEqual([
      { name: 'quality', count: 2 },
      { name: 'expected', count: 1 },
    ]);
    expect(assessmentSummary(undefined)).toEqual([]);
  });

  it.each([
    { kind: 'yes' as const, text: '', want: { value: true } },
    { kind: 'no' as const, text: 'ignored', want: { value: false } },
    { kind: 'number' as const, text: ' 0.75 ', want: { value: 0.75 } },
    { kind: 'number' as const, text: 'high', want: { error: 'Enter a number, e.g. 4 or 0.75.' } },
    { kind: 'number' as const, text: '', want: { error: 'Enter a number, e.g. 4 or 0.75.' } },
    { kind: 'text' as const, text: 'cites the wrong doc', want: { value: 'cites the wrong doc' } },
    { kind: 'text' as const, text: '   ', want: { error: 'Enter the feedback text.' } },
  ])('feedback $kind from $text', ({ kind, text, want }) => {
    expect(feedbackValue(kind, text)).toEqual(want);
  });

  it.each<[string, string | null]>([
    ['correctness', null],
    ['  ', 'Enter a name, e.g. correctness.'],
    ['mlflow.quality', 'A name may not contain “.”.'],
  ])('feedback name %j', (name, want) => {
    expect(feedbackNameError(name)).toBe(want);
  });

  it('keeps the trace tags people set, sorted, without MLflow bookkeeping', () => {
    expect(userTags({ 'mlflow.artifactLocation': 'x', reviewed: 'yes', 'mlflow.traceName': 'answer', env: 'prod' })).toEqual([
      { key: 'env', value: 'prod' },
      { key: 'reviewed', value: 'yes' },
    ]);
  });
});
