import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import type { Run } from '../../api/types';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import SweepTab, { sweepRuns } from './SweepTab';

const run = (i: number): Run => ({
  info: { run_id: `r${i}`, run_name: `trial-${i}`, experiment_id: '7' },
  data: { params: [{ key: 'lr', value: String(0.001 * (i + 1)) }], metrics: [{ key: 'loss', value: 1 / (i + 1), timestamp: 0, step: 0 }] },
});

/** runs/search over `total` runs, paged by the request's max_results and an offset token. */
function server(total: number) {
  return mockFetch((url, init) => {
    if (url.pathname !== '/api/runs/search') return undefined;
    const body = JSON.parse(String(init.body)) as { experiment_ids: string[]; max_results: number; page_token?: string; run_view_type: string };
    const from = Number(body.page_token ?? 0);
    const to = Math.min(total, from + body.max_results);
    return json({ runs: Array.from({ length: to - from }, (_, k) => run(from + k)), ...(to < total ? { next_page_token: String(to) } : {}) });
  });
}

describe('sweep runs', () => {
  it.each([
    ['one page', 30, 5000, 30, false, 1],
    ['several pages', 2500, 5000, 2500, false, 3],
    ['more than the limit: the newest up to it', 2500, 1500, 1500, true, 2],
    ['none', 0, 5000, 0, false, 1],
  ])('%s', async (_, total, limit, want, more, calls) => {
    const { calls: seen } = server(total);
    const got = await sweepRuns('7', undefined, limit);
    expect(got.runs).toHaveLength(want);
    expect(got.more).toBe(more);
    expect(seen).toHaveLength(calls);
    const first = JSON.parse(String(seen[0].init.body));
    expect(first).toMatchObject({ experiment_ids: ['7'], run_view_type: 'ACTIVE_ONLY' });
    expect(first.max_results).toBeLessThanOrEqual(1000);
  });

  it('charts the experiment’s runs', async () => {
    server(5);
    renderWithProviders(<SweepTab experimentId="7" />);
    await waitFor(() => expect(screen.getByTestId('sweep-status').textContent).toMatch(/^5 runs/));
    expect(screen.getByRole('figure', { name: 'Parallel coordinates' })).toBeTruthy();
  });
});
