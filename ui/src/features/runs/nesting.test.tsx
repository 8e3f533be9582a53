import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import type { Run } from '../../api/types';
import { fmtDuration, fmtTimeSec } from '../../components/format';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import { nestRuns, type FlatRun } from './columns';
import { ChildRuns, childrenFilter, ParentLink } from './RunFamily';
import { RunsTable } from './RunsTable';

afterEach(() => vi.unstubAllGlobals());

// happy-dom does no layout: give elements the size the grid has in a browser.
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 560 });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1200 });
});

const flat = (id: string, parent?: string): FlatRun => ({
  id,
  name: id,
  status: 'FINISHED',
  start: 0,
  user: '',
  metrics: {},
  params: {},
  tags: parent ? { 'mlflow.parentRunId': parent } : {},
  deleted: false,
});

const shape = (rows: ReturnType<typeof nestRuns>) => rows.map((n) => `${'  '.repeat(n.depth)}${n.run.id}${n.children ? `(${n.children})` : ''}`);

describe('nestRuns', () => {
  it.each([
    ['flat runs keep their order', [flat('a'), flat('b')], [], ['a', 'b']],
    ['children go under their parent, in the order they came', [flat('c1', 'p'), flat('x'), flat('p'), flat('c2', 'p')], [], ['x', 'p(2)', '  c1', '  c2']],
    ['grandchildren nest deeper', [flat('p'), flat('c', 'p'), flat('g', 'c')], [], ['p(1)', '  c(1)', '    g']],
    ['a child whose parent is not loaded stands alone', [flat('c', 'elsewhere'), flat('a')], [], ['c', 'a']],
    ['a collapsed parent hides its whole subtree', [flat('p'), flat('c', 'p'), flat('g', 'c'), flat('q')], ['p'], ['p(1)', 'q']],
    ['a run naming itself as parent is a root', [flat('s', 's')], [], ['s']],
    ['a cycle still shows each run once', [flat('a', 'b'), flat('b', 'a')], [], ['a(1)', '  b(1)']],
  ])('%s', (_name, runs, collapsed, want) => {
    expect(shape(nestRuns(runs, new Set(collapsed)))).toEqual(want);
  });
});

describe('run times', () => {
  const t0 = 1_700_000_000_000;
  it.each([
    [350, '350 ms'],
    [999, '999 ms'],
    [1000, '1.0 s'],
    [12_345, '12.3 s'],
    [200_000, '3m 20s'],
    [3_720_000, '1h 2m'],
    [undefined, '—'],
    [-1000, '—'],
  ])('a run of %s ms lasts %s', (ms, want) => {
    expect(fmtDuration(t0, ms === undefined ? undefined : t0 + ms)).toBe(want);
  });
  it('start times show seconds', () => {
    expect(fmtTimeSec(Date.UTC(2026, 0, 2, 3, 4, 5))).toMatch(/:05/);
  });
});

const run = (id: string, parent?: string, end = 1_700_000_000_450): Run => ({
  info: { run_id: id, run_name: id, experiment_id: '3', status: 'FINISHED', start_time: 1_700_000_000_000, end_time: end },
  data: { tags: parent ? [{ key: 'mlflow.parentRunId', value: parent }] : [] },
});

describe('nested runs in the browser', () => {
  it('the runs table puts children under their parent and folds them away', async () => {
    mockFetch((url) => (url.pathname === '/api/runs/search' ? json({ runs: [run('child-1', 'sweep'), run('other'), run('sweep'), run('child-2', 'sweep')] }) : undefined));
    renderWithProviders(<RunsTable experimentId="3" />);
    await screen.findByRole('link', { name: 'child-2' });
    const rows = () => screen.getAllByRole('row').slice(1).map((r) => `${r.getAttribute('data-depth')}:${within(r).getByRole('link').textContent}`);
    expect(rows()).toEqual(['0:other', '0:sweep', '1:child-1', '1:child-2']);
    expect(screen.getAllByText('450 ms').length).toBe(4);
    fireEvent.click(screen.getByRole('button', { name: 'Hide the 2 child runs of sweep' }));
    expect(rows()).toEqual(['0:other', '0:sweep']);
    fireEvent.click(screen.getByRole('button', { name: 'Show the 2 child runs of sweep' }));
    expect(rows()).toHaveLength(4);
  });

  it('a run page links to the parent and lists the children', async () => {
    const { calls } = mockFetch((url, init) => {
      if (url.pathname === '/api/runs/get') return json({ run: run('sweep') });
      if (url.pathname === '/api/runs/search') {
        expect(JSON.parse(String(init.body)).filter).toBe(childrenFilter('sweep'));
        return json({ runs: [run('child-1', 'sweep', 1_700_000_002_500), run('child-2', 'sweep')] });
      }
      return undefined;
    });
    renderWithProviders(
      <Routes>
        <Route
          path="*"
          element={
            <>
              <ParentLink parentId="sweep" />
              <ChildRuns runId="sweep" experimentId="3" />
            </>
          }
        />
      </Routes>,
    );
    await waitFor(() => expect(screen.getByRole('link', { name: 'sweep' }).getAttribute('href')).toBe('/runs/sweep'));
    const table = await screen.findByRole('table', { name: 'Child runs' });
    expect(within(table).getByRole('link', { name: 'child-1' }).getAttribute('href')).toBe('/runs/child-1');
    expect(within(table).getByText('2.5 s')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Child runs (2)' })).toBeTruthy();
    expect(calls.filter((c) => c.url.pathname === '/api/runs/search')).toHaveLength(1);
  });

  it('a run without children shows no list', async () => {
    mockFetch((url) => (url.pathname === '/api/runs/search' ? json({ runs: [] }) : undefined));
    const { container } = renderWithProviders(<ChildRuns runId="lonely" experimentId="3" />);
    await new Promise((r) => setTimeout(r, 50));
    expect(container.textContent).toBe('');
  });
});
