import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { barShares, isSingleValue, MetricChart, type ChartSeries } from './MetricChart';

const pt = (value: number, step = 0) => ({ key: 'auc', value, timestamp: 1_700_000_000_000 + step, step });
const s = (label: string, ...values: number[]): ChartSeries => ({ label, points: values.map((v, i) => pt(v, i)) });

describe('metric chart for one value', () => {
  it.each([
    ['one run, one value', [s('a', 0.9)], true],
    ['two runs, one value each', [s('a', 0.9), s('b', 0.7)], true],
    ['one run without the metric', [s('a', 0.9), s('b')], true],
    ['a history', [s('a', 0.9, 0.8)], false],
    ['one value beside a history', [s('a', 0.9), s('b', 0.7, 0.6)], false],
    ['nothing logged', [s('a'), s('b')], false],
    ['no runs', [], false],
  ] as const)('%s → bars: %s', (_, series, want) => {
    expect(isSingleValue([...series])).toBe(want);
  });

  it.each([
    [[0.5, 1], [0.5, 1]],
    [[2, -4], [0.5, 1]],
    [[0, 0], [0, 0]],
    [[3], [1]],
    [[NaN, 2], [0, 1]],
  ])('bar shares of %j are %j', (values, want) => {
    expect(barShares(values)).toEqual(want);
  });

  it('writes each run’s value with a bar instead of a dot on an axis', () => {
    const { container } = render(<MetricChart title="auc" series={[s('trial-1', 0.91), s('trial-2', 0.455), s('trial-3')]} x="step" />);
    const list = screen.getByRole('list', { name: 'Values of auc' });
    expect([...list.querySelectorAll('li')].map((li) => `${li.querySelector('.value-bar-label')?.textContent}=${li.querySelector('.value-bar-value')?.textContent}`)).toEqual([
      'trial-1=0.91',
      'trial-2=0.455',
      'trial-3=—',
    ]);
    expect([...list.querySelectorAll<HTMLElement>('.value-bar-fill')].map((b) => b.style.width)).toEqual(['100.0%', '50.0%', '0.0%']);
    expect(container.querySelector('canvas, .chart')).toBeNull();
  });

  it('one run: just the value and its bar', () => {
    render(<MetricChart title="f1" series={[s('trial-1', 0.84)]} x="step" />);
    const list = screen.getByRole('list', { name: 'Values of f1' });
    expect(list.querySelector('.value-bar-label')).toBeNull();
    expect(list.textContent).toBe('0.84');
  });
});
