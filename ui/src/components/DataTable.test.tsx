import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { ApiError } from '../api/client';
import { actionsColumn, DataTable, sortRows, type Column, type ListState, type SortValue } from './DataTable';

interface Row {
  name: string;
  size?: number;
}

const rows: Row[] = [
  { name: 'beta', size: 20 },
  { name: 'Alpha', size: 3 },
  { name: 'gamma' },
  { name: 'alpha-10', size: 100 },
  { name: 'alpha-9', size: 3 },
];

const columns: Column<Row>[] = [
  { key: 'name', header: 'Name', cell: (r) => r.name, sortValue: (r) => r.name },
  { key: 'size', header: 'Size', className: 'num', cell: (r) => r.size ?? '—', sortValue: (r) => r.size },
  { key: 'note', header: 'Note', cell: () => 'n' },
];

const names = () =>
  screen
    .getAllByRole('row')
    .slice(1)
    .map((tr) => within(tr).getAllByRole('cell')[0].textContent);

describe('sortRows', () => {
  const by = (r: Row): SortValue => r.size;
  it.each([
    { what: 'numbers ascending, blanks last, ties in input order', desc: false, want: ['Alpha', 'alpha-9', 'beta', 'alpha-10', 'gamma'] },
    { what: 'numbers descending, blanks still last', desc: true, want: ['alpha-10', 'beta', 'Alpha', 'alpha-9', 'gamma'] },
  ])('$what', ({ desc, want }) => {
    expect(sortRows(rows, by, desc).map((r) => r.name)).toEqual(want);
  });
  it('compares text without case and with numbers in it as numbers', () => {
    expect(sortRows(rows, (r) => r.name, false).map((r) => r.name)).toEqual(['Alpha', 'alpha-9', 'alpha-10', 'beta', 'gamma']);
  });
  it('leaves the input alone', () => {
    const copy = [...rows];
    sortRows(rows, by, true);
    expect(rows).toEqual(copy);
  });
});

describe('DataTable states', () => {
  it.each<{ what: string; query: ListState; rows: Row[]; text: string | null; table: boolean; alert: boolean }>([
    { what: 'loading', query: { isLoading: true }, rows: [], text: 'Loading…', table: true, alert: false },
    { what: 'empty', query: { isLoading: false }, rows: [], text: 'Nothing here.', table: true, alert: false },
    { what: 'failed with nothing to show', query: { error: new ApiError('server', 500, 'boom') }, rows: [], text: null, table: false, alert: true },
    { what: 'failed with an older page still shown', query: { error: new ApiError('server', 500, 'boom') }, rows: rows.slice(0, 1), text: 'beta', table: true, alert: true },
  ])('$what', ({ query, rows: rs, text, table, alert }) => {
    render(<DataTable columns={columns} rows={rs} rowKey={(r) => r.name} empty="Nothing here." query={query} label="Things" />);
    expect(screen.queryByRole('table', { name: 'Things' }) !== null).toBe(table);
    expect(screen.queryByRole('alert') !== null).toBe(alert);
    if (text) {
      const cell = screen.getByText(text);
      if (rs.length === 0) expect(cell.getAttribute('colspan')).toBe('3');
    }
    if (rs.length === 0) expect(screen.queryByText(query.isLoading ? 'Nothing here.' : 'Loading…')).toBeNull();
  });

  it('offers Retry on a failed call', () => {
    const refetch = vi.fn();
    render(<DataTable columns={columns} rows={[]} rowKey={(r) => r.name} empty="-" query={{ error: new ApiError('network', 0, 'offline'), refetch }} />);
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(refetch).toHaveBeenCalledTimes(1);
  });

  it('uses the "empty" style in full tables and a muted line in compact ones', () => {
    const { rerender } = render(<DataTable columns={columns} rows={[]} rowKey={(r) => r.name} empty="None." />);
    expect(screen.getByText('None.').className).toBe('empty');
    rerender(<DataTable compact columns={columns} rows={[]} rowKey={(r) => r.name} empty="None." />);
    expect(screen.getByText('None.').className).toBe('muted');
    expect(screen.getByRole('table').className).toBe('table table-compact');
  });

  it('leaves out columns given as false, and hides an actions heading from sight only', () => {
    const act = vi.fn();
    render(
      <DataTable
        columns={[columns[0], false, actionsColumn((r: Row) => <button onClick={() => act(r.name)}>Open {r.name}</button>)]}
        rows={rows.slice(0, 2)}
        rowKey={(r) => r.name}
        empty="-"
      />,
    );
    const heads = screen.getAllByRole('columnheader');
    expect(heads.map((h) => h.textContent)).toEqual(['Name', 'Actions']);
    expect(heads[1].querySelector('.sr-only')).not.toBeNull();
    expect(screen.getAllByRole('cell')[1].className).toBe('actions');
    fireEvent.click(screen.getByRole('button', { name: 'Open Alpha' }));
    expect(act).toHaveBeenCalledWith('Alpha');
  });
});

describe('DataTable sorting', () => {
  it('keeps the given order until a heading is clicked, then sorts up, then down', () => {
    render(<DataTable columns={columns} rows={rows} rowKey={(r) => r.name} empty="-" />);
    const head = (n: string) => screen.getByRole('columnheader', { name: new RegExp(`^${n}`) });
    expect(names()).toEqual(rows.map((r) => r.name));
    expect(head('Name').getAttribute('aria-sort')).toBe('none');
    expect(head('Note').getAttribute('aria-sort')).toBeNull(); // not sortable: no button either
    expect(within(head('Note')).queryByRole('button')).toBeNull();

    fireEvent.click(within(head('Name')).getByRole('button'));
    expect(head('Name').getAttribute('aria-sort')).toBe('ascending');
    expect(names()).toEqual(['Alpha', 'alpha-9', 'alpha-10', 'beta', 'gamma']);

    fireEvent.click(within(head('Name')).getByRole('button'));
    expect(head('Name').getAttribute('aria-sort')).toBe('descending');
    expect(names()).toEqual(['gamma', 'beta', 'alpha-10', 'alpha-9', 'Alpha']);

    // Another column starts ascending again and the first one lets go.
    fireEvent.click(within(head('Size')).getByRole('button'));
    expect(head('Size').getAttribute('aria-sort')).toBe('ascending');
    expect(head('Name').getAttribute('aria-sort')).toBe('none');
    expect(names()).toEqual(['Alpha', 'alpha-9', 'beta', 'alpha-10', 'gamma']);
  });

  it('starts from defaultSort', () => {
    render(<DataTable columns={columns} rows={rows} rowKey={(r) => r.name} empty="-" defaultSort={{ key: 'size', desc: true }} />);
    expect(screen.getByRole('columnheader', { name: /^Size/ }).getAttribute('aria-sort')).toBe('descending');
    expect(names()).toEqual(['alpha-10', 'beta', 'Alpha', 'alpha-9', 'gamma']);
  });
});

describe('DataTable pager', () => {
  it.each([
    { page: 1, hasPrev: false, hasNext: true },
    { page: 2, hasPrev: true, hasNext: true },
    { page: 3, hasPrev: true, hasNext: false },
  ])('page $page: Previous enabled $hasPrev, Next enabled $hasNext', ({ page, hasPrev, hasNext }) => {
    const prev = vi.fn();
    const next = vi.fn();
    render(<DataTable columns={columns} rows={rows} rowKey={(r) => r.name} empty="-" pager={{ page, hasPrev, hasNext, prev, next }} />);
    expect(screen.getByText(`Page ${page}`)).toBeTruthy();
    const p = screen.getByRole('button', { name: '← Previous' }) as HTMLButtonElement;
    const n = screen.getByRole('button', { name: 'Next →' }) as HTMLButtonElement;
    expect([p.disabled, n.disabled]).toEqual([!hasPrev, !hasNext]);
    fireEvent.click(p);
    fireEvent.click(n);
    expect([prev.mock.calls.length, next.mock.calls.length]).toEqual([hasPrev ? 1 : 0, hasNext ? 1 : 0]);
  });
});
