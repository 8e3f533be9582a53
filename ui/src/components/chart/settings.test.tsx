import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, renderHook, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { ChartSettingsBar } from './ChartSettingsBar';
import { chartSettingsKey, DEFAULT_CHART_SETTINGS, useChartSettings, type ChartSettings } from './settings';

function memStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe('chart settings per user', () => {
  it('remembers each person’s own settings', () => {
    const storage = memStorage();
    const { result, rerender } = renderHook(({ user }) => useChartSettings(user, storage), { initialProps: { user: 'alice' } });
    expect(result.current[0]).toEqual(DEFAULT_CHART_SETTINGS);
    act(() => result.current[1]({ yLog: true, smoothing: 70 }));
    expect(result.current[0]).toMatchObject({ yLog: true, smoothing: 70 });
    expect(JSON.parse(storage.m.get(chartSettingsKey('alice'))!)).toMatchObject({ yLog: true, smoothing: 70, x: 'step' });
    // bob on the same browser starts from the defaults …
    rerender({ user: 'bob' });
    expect(result.current[0]).toEqual(DEFAULT_CHART_SETTINGS);
    act(() => result.current[1]({ x: 'relative' }));
    // … and alice finds hers again, in a new page too.
    rerender({ user: 'alice' });
    expect(result.current[0]).toMatchObject({ yLog: true, smoothing: 70, x: 'step' });
    const again = renderHook(() => useChartSettings('bob', storage));
    expect(again.result.current[0].x).toBe('relative');
  });

  it('works when storage refuses', () => {
    const refusing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
    const { result } = renderHook(() => useChartSettings('alice', refusing));
    expect(result.current[0]).toEqual(DEFAULT_CHART_SETTINGS);
    act(() => result.current[1]({ yLog: true }));
    expect(result.current[0].yLog).toBe(true);
  });
});

describe('chart settings bar', () => {
  function Harness({ seen }: { seen: ChartSettings[] }) {
    const [s, set] = useState(DEFAULT_CHART_SETTINGS);
    return (
      <ChartSettingsBar
        settings={s}
        onChange={(p) => {
          const n = { ...s, ...p };
          seen.push(n);
          set(n);
        }}
      />
    );
  }

  it('chooses the x axis, log scales and smoothing; no log x for wall-clock time', async () => {
    const seen: ChartSettings[] = [];
    render(<Harness seen={seen} />);
    await userEvent.click(screen.getByRole('button', { name: 'Relative' }));
    expect(screen.getByRole('button', { name: 'Relative' }).getAttribute('aria-pressed')).toBe('true');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Log Y' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Log X' }));
    fireEvent.change(screen.getByRole('slider', { name: /Smoothing/ }), { target: { value: '80' } });
    expect(seen.at(-1)).toEqual({ x: 'relative', yLog: true, xLog: true, smoothing: 80 });
    await userEvent.click(screen.getByRole('button', { name: 'Time' }));
    expect(screen.getByRole('checkbox', { name: 'Log X' })).toHaveProperty('disabled', true);
    expect(screen.getByRole('checkbox', { name: 'Log X' })).toHaveProperty('checked', false);
  });
});
