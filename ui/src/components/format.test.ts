import { describe, expect, it } from 'vitest';
import { fmtTime, fmtTimeSec } from './format';

const minute: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
const t = Date.UTC(2026, 11, 3, 20, 15, 42);

describe('dates', () => {
  it.each([
    ['a number', t],
    ['digits', String(t)],
    ['an ISO string', new Date(t).toISOString()],
    ['another date, after the first (the formatter is reused)', t + 86_400_000 * 40 + 1_000],
  ])('%s reads as the browser’s locale would write it', (_, v) => {
    const d = new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
    expect(fmtTime(v)).toBe(d.toLocaleString(undefined, minute));
    expect(fmtTimeSec(v)).toBe(d.toLocaleString(undefined, { ...minute, second: '2-digit' }));
  });

  it.each([
    ['nothing', undefined],
    ['null', null],
    ['empty', ''],
    ['not a date', 'soon'],
  ])('%s is a dash', (_, v) => {
    expect(fmtTime(v)).toBe('—');
    expect(fmtTimeSec(v)).toBe('—');
  });
});
