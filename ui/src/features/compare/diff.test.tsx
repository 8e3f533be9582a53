import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import type { Run } from '../../api/types';
import { diffRows } from './diff';
import { DiffTable } from './DiffTable';

const run = (id: string, params: Record<string, string>, metrics: Record<string, number>): Run => ({
  info: { run_id: id, experiment_id: '1' },
  data: {
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 0, step: 0 })),
  },
});

describe('diff table', () => {
  const runs = [run('a', { lr: '0.01', depth: '3' }, { acc: 0.9, loss: 0.2 }), run('b', { lr: '0.02', depth: '3' }, { acc: 0.9 })];

  it('marks keys whose values differ, missing values included', () => {
    const rows = diffRows(runs);
    const by = Object.fromEntries(rows.map((r) => [`${r.section}:${r.key}`, r]));
    expect(by['param:lr'].differs).toBe(true);
    expect(by['param:depth'].differs).toBe(false);
    expect(by['metric:acc'].differs).toBe(false);
    expect(by['metric:loss'].differs).toBe(true);
    expect(by['metric:loss'].values).toEqual(['0.2', undefined]);
  });

  it('highlights differing rows and can hide equal ones', () => {
    const rows = diffRows(runs);
    const { rerender } = render(<DiffTable rows={rows} runNames={['a', 'b']} onlyDiff={false} />);
    const lr = screen.getByText('lr').closest('tr')!;
    const depth = screen.getByText('depth').closest('tr')!;
    expect(lr.className).toContain('diff-row');
    expect(depth.className).not.toContain('diff-row');
    rerender(<DiffTable rows={rows} runNames={['a', 'b']} onlyDiff />);
    expect(screen.queryByText('depth')).toBeNull();
    expect(screen.getByText('lr')).toBeTruthy();
  });
});
