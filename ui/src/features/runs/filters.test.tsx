import { beforeAll, describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import type { FlatRun } from './columns';
import { datasetLabel, datasetRefs, flatten } from './columns';
import { joinClauses, lastWindow, parseLocal, stateClause, timeClause, type RunState, type TimeRange } from './filterClauses';
import { groupRuns, layoutRuns } from './grouping';
import { RunFilters } from './RunFilters';

const run = (id: string, params: Record<string, string> = {}, tags: Record<string, string> = {}): FlatRun => ({
  id,
  name: id,
  status: 'FINISHED',
  start: 0,
  user: '',
  metrics: {},
  params,
  tags,
  deleted: false,
});

describe('stateClause', () => {
  it.each<[RunState[], string]>([
    [[], ''],
    [['FAILED'], "attributes.status = 'FAILED'"],
    [['FAILED', 'KILLED'], "attributes.status != 'RUNNING' and attributes.status != 'SCHEDULED' and attributes.status != 'FINISHED'"],
    [['RUNNING', 'FINISHED', 'FAILED', 'KILLED'], "attributes.status != 'SCHEDULED'"],
    [['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'], ''],
  ])('%j → %s', (chosen, want) => {
    expect(stateClause(new Set(chosen))).toBe(want);
  });
});

describe('timeClause', () => {
  it.each<[TimeRange, string]>([
    [{ kind: 'any' }, ''],
    [lastWindow('hour', 10_000_000), 'attributes.start_time >= 6400000'],
    [lastWindow('week', 1_000_000_000), 'attributes.start_time >= 395200000'],
    [{ kind: 'custom', from: 5.7, to: 99 }, 'attributes.start_time >= 5 and attributes.start_time <= 99'],
    [{ kind: 'custom', to: 99 }, 'attributes.start_time <= 99'],
    [{ kind: 'custom', from: Number.NaN }, ''],
  ])('%j → %s', (t, want) => {
    expect(timeClause(t)).toBe(want);
  });

  it('joins clauses with and, dropping blanks', () => {
    expect(joinClauses(" params.a = '1' ", '', undefined, "attributes.status = 'FAILED'")).toBe("params.a = '1' and attributes.status = 'FAILED'");
    expect(joinClauses('', '  ')).toBe('');
  });

  it('reads a datetime-local value as local time', () => {
    expect(parseLocal('')).toBeUndefined();
    expect(parseLocal('nonsense')).toBeUndefined();
    expect(parseLocal('2026-12-03T10:30')).toBe(new Date(2026, 11, 3, 10, 30).getTime());
  });
});

describe('grouping', () => {
  const runs = [run('a', { lr: '10' }), run('b', { lr: '2' }), run('c'), run('d', { lr: '2' }), run('e', { lr: '2' }, { 'mlflow.parentRunId': 'b' })];

  it('groups by a param in natural order, runs without it last, order kept inside', () => {
    const g = groupRuns(runs, { kind: 'param', key: 'lr' });
    expect(g.map((x) => [x.value, x.runs.map((r) => r.id)])).toEqual([
      ['2', ['b', 'd', 'e']],
      ['10', ['a']],
      [null, ['c']],
    ]);
  });

  it('groups by a tag', () => {
    const g = groupRuns([run('a', {}, { team: 'x' }), run('b', {}, { team: 'y' }), run('c', {}, { team: 'x' })], { kind: 'tag', key: 'team' });
    expect(g.map((x) => [x.value, x.runs.length])).toEqual([
      ['x', 2],
      ['y', 1],
    ]);
  });

  it('lays out headings with counts before their runs, nests inside a group, folds a group', () => {
    const by = { kind: 'param' as const, key: 'lr' };
    const l = layoutRuns(runs, by, new Set(), new Set());
    expect(l.runs.map((r) => r.id)).toEqual(['b', 'e', 'd', 'a', 'c']);
    expect(l.depth).toEqual([0, 1, 0, 0, 0]);
    expect([...l.heads.entries()].map(([i, hs]) => [i, hs.map((h) => `${h.label} (${h.count})`)])).toEqual([
      [0, ['lr = 2 (3)']],
      [3, ['lr = 10 (1)']],
      [4, ['no param lr (1)']],
    ]);
    const folded = layoutRuns(runs, by, new Set([l.heads.get(0)![0].id, l.heads.get(3)![0].id]), new Set());
    expect(folded.runs.map((r) => r.id)).toEqual(['c']);
    expect([...folded.heads.entries()].map(([i, hs]) => [i, hs.map((h) => h.open)])).toEqual([[0, [false, false, true]]]);
  });

  it('without grouping, nests as before', () => {
    const l = layoutRuns(runs, null, new Set(), new Set(['b']));
    expect(l.runs.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(l.heads.size).toBe(0);
  });
});

describe('dataset inputs', () => {
  it('reads name, digest and context of each input', () => {
    const r = flatten({
      info: { run_id: 'r1', experiment_id: '1' },
      data: {},
      inputs: {
        dataset_inputs: [
          { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'churn', digest: 'abc123' } },
          { dataset: { name: 'holdout', digest: 'ff00' } },
        ],
      },
    });
    expect(r.datasets?.map(datasetLabel)).toEqual(['churn@abc123 (training)', 'holdout@ff00']);
    expect(datasetRefs({ info: { run_id: 'x', experiment_id: '1' }, data: {} })).toEqual([]);
  });
});

describe('RunFilters', () => {
  function Harness({ onChange }: { onChange: (s: string) => void }) {
    const [states, setStates] = useState<ReadonlySet<RunState>>(new Set());
    const [time, setTime] = useState<TimeRange>({ kind: 'any' });
    onChange(joinClauses(stateClause(states), timeClause(time)));
    return <RunFilters states={states} onStates={setStates} time={time} onTime={setTime} groupBy={null} onGroupBy={() => {}} groupKeys={{ metric: [], param: ['lr'], tag: ['team'] }} />;
  }

  it('turns the choices into MLflow clauses', () => {
    let last = '';
    render(<Harness onChange={(s) => (last = s)} />);
    fireEvent.click(screen.getByLabelText('failed'));
    expect(last).toBe("attributes.status = 'FAILED'");
    fireEvent.change(screen.getByLabelText('Started'), { target: { value: 'day' } });
    expect(last).toMatch(/^attributes\.status = 'FAILED' and attributes\.start_time >= \d{13}$/);
    const from = Number(/>= (\d+)/.exec(last)![1]);
    expect(Math.abs(Date.now() - 86_400_000 - from)).toBeLessThan(5_000);
    fireEvent.change(screen.getByLabelText('Started'), { target: { value: 'custom' } });
    fireEvent.change(screen.getByLabelText('Started until'), { target: { value: '2026-12-03T10:30' } });
    expect(last).toBe(`attributes.status = 'FAILED' and attributes.start_time <= ${new Date(2026, 11, 3, 10, 30).getTime()}`);
    expect(screen.getByLabelText('Group by').textContent).toContain('lr');
  });
});

describe('RunsGrid with groups and datasets', () => {
  // happy-dom does no layout: give elements the size the grid has in a browser.
  beforeAll(() => {
    Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 560 });
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1200 });
  });
  it('draws each heading before its runs, folds on click, and shows the datasets column', async () => {
    const { MemoryRouter } = await import('react-router');
    const { RunsGrid } = await import('./RunsGrid');
    const runs = [run('a', { opt: 'adam' }), run('b', { opt: 'sgd' }), run('c', { opt: 'sgd' })];
    runs[0].datasets = [{ name: 'churn', digest: 'ab12', context: 'training' }];
    const by = { kind: 'param' as const, key: 'opt' };
    const l = layoutRuns(runs, by, new Set(), new Set());
    const toggled: string[] = [];
    render(
      <MemoryRouter>
        <RunsGrid
          runs={l.runs}
          nesting={{ depth: l.depth, children: l.children, collapsed: new Set(), onToggle: () => {} }}
          groups={{ heads: l.heads, onToggle: (id) => toggled.push(id) }}
          showDatasets
          columns={[]}
          selected={new Set()}
          onToggle={() => {}}
          onToggleAll={() => {}}
          sort={{ col: 'start_time', desc: true }}
          onSort={() => {}}
        />
      </MemoryRouter>,
    );
    const rows = screen.getAllByRole('row').filter((r) => r.hasAttribute('aria-rowindex'));
    expect(rows.map((r) => r.querySelector('strong, a')?.textContent)).toEqual(['opt = adam', 'a', 'opt = sgd', 'b', 'c']);
    expect(screen.getByRole('table').getAttribute('aria-rowcount')).toBe('6');
    expect(screen.getByRole('columnheader', { name: 'Datasets' })).toBeTruthy();
    expect(rows[1].textContent).toContain('churn@ab12 (training)');
    fireEvent.click(screen.getByRole('button', { name: 'Fold group opt = sgd' }));
    expect(toggled).toEqual([l.heads.get(1)![0].id]);
  });
});
