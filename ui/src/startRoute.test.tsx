import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import { makeQueryClient, startRoute } from './App';
import { saveSession } from './api/session';
import { AuthProvider } from './features/auth/AuthContext';
import { RunsTable } from './features/runs/RunsTable';
import { json, mockFetch } from './test/utils';

afterEach(() => vi.unstubAllGlobals());

const signIn = () => saveSession({ token: 'mls_t', user: { id: 1, username: 'ada', display_name: 'Ada', email: '', is_active: true, is_admin: true } });

function server() {
  return mockFetch((url, init) => {
    if (url.pathname === '/api/experiments/get') return json({ experiment: { experiment_id: url.searchParams.get('experiment_id'), name: 'e', lifecycle_stage: 'active' } });
    if (url.pathname !== '/api/runs/search') return undefined;
    const body = JSON.parse(String(init.body)) as { page_token?: string };
    return json({ runs: [{ info: { run_id: 'r1', run_name: 'first', experiment_id: '7', status: 'FINISHED' }, data: {} }], ...(body.page_token ? {} : { next_page_token: '1' }) });
  });
}

const asked = (calls: { url: URL; init: RequestInit }[]) =>
  calls.map((c) => `${c.init.method ?? 'GET'} ${c.url.pathname}${c.url.search}${c.init.body ? ` ${String(c.init.body)}` : ''}`);

describe('startRoute', () => {
  it.each([
    ['the runs table’s first page beside the experiment', '/experiments/7', '', ['GET /api/experiments/get?experiment_id=7', 'POST /api/runs/search {"experiment_ids":["7"],"order_by":["attributes.start_time DESC"],"max_results":1000,"run_view_type":"ACTIVE_ONLY"}']],
    [
      'the Charts tab’s runs, every page',
      '/experiments/7',
      '?tab=charts',
      [
        'GET /api/experiments/get?experiment_id=7',
        'POST /api/runs/search {"experiment_ids":["7"],"max_results":1000,"run_view_type":"ACTIVE_ONLY"}',
        'POST /api/runs/search {"experiment_ids":["7"],"max_results":1000,"page_token":"1","run_view_type":"ACTIVE_ONLY"}',
      ],
    ],
    ['only the experiment for the traces tab', '/experiments/7', '?tab=traces', ['GET /api/experiments/get?experiment_id=7']],
    ['nothing for a page without a prefetch', '/models', '', []],
    ['nothing for the list in the entry', '/experiments', '', []],
  ])('asks for %s before the first render', async (_, path, search, want) => {
    const { calls } = server();
    signIn();
    startRoute(makeQueryClient(), path, search);
    await new Promise((r) => setTimeout(r, 20));
    await waitFor(() => expect(asked(calls).sort()).toEqual([...want].sort()));
  });

  it('asks nothing when nobody is signed in', async () => {
    const { calls } = server();
    startRoute(makeQueryClient(), '/experiments/7', '');
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(0);
  });

  it('gives the runs table the page it asked for, without asking again', async () => {
    const { calls } = server();
    signIn();
    const client = makeQueryClient();
    startRoute(client, '/experiments/7', '');
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={['/experiments/7']}>
          <AuthProvider>
            <RunsTable experimentId="7" />
          </AuthProvider>
        </MemoryRouter>
      </QueryClientProvider>,
    );
    expect(await screen.findByText('1+ runs')).toBeTruthy();
    expect(calls.filter((c) => c.url.pathname === '/api/runs/search')).toHaveLength(1);
  });
});
