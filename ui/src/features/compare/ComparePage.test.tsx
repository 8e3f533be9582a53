import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import ComparePage from './ComparePage';

afterEach(() => vi.unstubAllGlobals());

const run = (id: string) => ({ info: { run_id: id, run_name: `trial-${id}`, experiment_id: '7', status: 'FINISHED', start_time: 1, lifecycle_stage: 'active' }, data: { params: [{ key: 'lr', value: id }] } });

describe('compare page', () => {
  it.each([
    ['names the experiment in the breadcrumb', json({ experiment: { experiment_id: '7', name: 'churn-sweep' } }), 'churn-sweep'],
    ['falls back to its id when the experiment cannot be read', json({ error_code: 'PERMISSION_DENIED', message: 'no' }, 403), 'Experiment 7'],
  ])('%s', async (_, expAnswer, want) => {
    mockFetch((url) => {
      if (url.pathname === '/api/runs/get') return json({ run: run(url.searchParams.get('run_id')!) });
      if (url.pathname === '/api/experiments/get') return expAnswer.clone();
      return undefined;
    });
    renderWithProviders(<ComparePage />, '/compare?runs=a,b');
    const crumbs = await screen.findByRole('navigation', { name: 'Breadcrumb' });
    await waitFor(() => expect(crumbs.querySelector('a[href="/experiments/7"]')?.textContent).toBe(want));
    expect(screen.getByRole('table', { name: 'Differences between runs' })).toBeTruthy();
  });
});
