import { beforeAll, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import type { FlatRun } from './columns';
import { orderClause } from './columns';
import { RunsGrid } from './RunsGrid';

function makeRuns(n: number): FlatRun[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `run${i}`,
    name: `run-${i}`,
    status: 'FINISHED',
    start: 1_700_000_000_000 + i,
    end: 1_700_000_060_000 + i,
    user: 'alice',
    metrics: { loss: 1 / (i + 1), acc: i / n },
    params: { lr: '0.01' },
    tags: {},
    deleted: false,
  }));
}

// happy-dom does no layout: give elements the size the grid has in a browser.
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 560 });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1200 });
});

describe('RunsGrid', () => {
  it('renders only the visible rows of 10,000 runs', () => {
    const onNearEnd = vi.fn();
    render(
      <MemoryRouter>
        <RunsGrid
          runs={makeRuns(10_000)}
          columns={[{ kind: 'metric', key: 'loss' }, { kind: 'param', key: 'lr' }]}
          selected={new Set()}
          onToggle={() => {}}
          onToggleAll={() => {}}
          sort={{ col: 'start_time', desc: true }}
          onSort={() => {}}
          onNearEnd={onNearEnd}
        />
      </MemoryRouter>,
    );
    const rows = screen.getAllByRole('row').filter((r) => r.hasAttribute('aria-rowindex'));
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(screen.getByText('run-0')).toBeTruthy();
    expect(screen.queryByText('run-9999')).toBeNull();
    expect(screen.getByRole('table').getAttribute('aria-rowcount')).toBe('10001');
    expect(onNearEnd).not.toHaveBeenCalled();
  });

  it('sorts by a metric column with MLflow order_by', () => {
    const onSort = vi.fn();
    render(
      <MemoryRouter>
        <RunsGrid runs={makeRuns(3)} columns={[{ kind: 'metric', key: 'val loss' }]} selected={new Set()} onToggle={() => {}} onToggleAll={() => {}} sort={{ col: 'start_time', desc: true }} onSort={onSort} />
      </MemoryRouter>,
    );
    fireEvent.click(screen.getByRole('button', { name: /val loss/ }));
    const s = onSort.mock.calls[0][0];
    expect(orderClause(s.col, s.desc)).toBe('metrics.`val loss` DESC');
  });
});
