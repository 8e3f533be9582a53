import { useState, type CSSProperties, type ReactNode } from 'react';
import { ErrorView } from './ErrorView';
import { Pager } from './Pager';
import type { PagerState } from './usePagedList';

export type SortValue = string | number | null | undefined;

export interface Column<T> {
  /** Unique among the table's columns; names the column in `defaultSort`. */
  key: string;
  header: string;
  /** The heading is for screen readers only (an actions column). */
  srOnly?: boolean;
  cell: (row: T) => ReactNode;
  /** Class of the column's cells, e.g. "actions", "mono muted". */
  className?: string;
  style?: CSSProperties;
  /** Makes the column sortable by clicking its heading. */
  sortValue?: (row: T) => SortValue;
}

/** The last column: row buttons, right-aligned, headed "Actions" for screen readers only. */
export function actionsColumn<T>(cell: (row: T) => ReactNode): Column<T> {
  return { key: 'actions', header: 'Actions', srOnly: true, className: 'actions', cell };
}

export interface SortState {
  key: string;
  desc: boolean;
}

/** The state of the call behind the rows; a react-query result fits. */
export interface ListState {
  isLoading?: boolean;
  error?: unknown;
  refetch?: () => unknown;
}

function compare(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/** `rows` ordered by `by` (stable; blanks last in either direction). */
export function sortRows<T>(rows: readonly T[], by: ((row: T) => SortValue) | undefined, desc: boolean): T[] {
  if (!by) return [...rows];
  const blank = (v: SortValue) => v === null || v === undefined || v === '' || Number.isNaN(v);
  return rows
    .map((row, i) => ({ row, i, v: by(row) }))
    .sort((x, y) => {
      if (blank(x.v) || blank(y.v)) return blank(x.v) === blank(y.v) ? x.i - y.i : blank(x.v) ? 1 : -1;
      const c = compare(x.v, y.v);
      return c === 0 ? x.i - y.i : desc ? -c : c;
    })
    .map((x) => x.row);
}

/**
 * A table of rows with column headings: a Loading row, the `empty` message
 * when there is nothing, the call's error (with Retry) above it, optional
 * client-side sorting by clickable headings and a pager below.
 * `columns` may hold `false` for a column shown only sometimes.
 */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  empty,
  query,
  label,
  compact,
  rowClassName,
  defaultSort,
  pager,
}: {
  columns: readonly (Column<T> | false)[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  empty: ReactNode;
  query?: ListState;
  /** The table's accessible name. */
  label?: string;
  compact?: boolean;
  rowClassName?: (row: T) => string | undefined;
  defaultSort?: SortState;
  pager?: PagerState & { status?: ReactNode; prevLabel?: string; nextLabel?: string };
}) {
  const cols = columns.filter((c): c is Column<T> => c !== false);
  const [sort, setSort] = useState<SortState | undefined>(defaultSort);
  const sortCol = sort ? cols.find((c) => c.key === sort.key && c.sortValue) : undefined;
  const desc = !!sort?.desc;
  const shown = sortCol ? sortRows(rows, sortCol.sortValue, desc) : rows;
  const loading = !!query?.isLoading;
  const error = query?.error;

  return (
    <>
      <ErrorView error={error} onRetry={query?.refetch ? () => query.refetch?.() : undefined} />
      {!(error && rows.length === 0) && (
        <div className="table-wrap">
          <table className={`table${compact ? ' table-compact' : ''}`} aria-label={label}>
            <thead>
              <tr>
                {cols.map((c) => {
                  if (c.srOnly) {
                    return (
                      <th key={c.key} scope="col">
                        <span className="sr-only">{c.header}</span>
                      </th>
                    );
                  }
                  if (!c.sortValue) {
                    return (
                      <th key={c.key} scope="col">
                        {c.header}
                      </th>
                    );
                  }
                  const active = sortCol?.key === c.key;
                  return (
                    <th key={c.key} scope="col" aria-sort={active ? (desc ? 'descending' : 'ascending') : 'none'}>
                      <button type="button" className="sort-btn" onClick={() => setSort({ key: c.key, desc: active ? !desc : false })}>
                        {c.header}
                        <span aria-hidden="true" className="sort-arrow">
                          {active ? (desc ? '▼' : '▲') : ''}
                        </span>
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {loading && rows.length === 0 && (
                <tr>
                  <td colSpan={cols.length} className="muted">
                    Loading…
                  </td>
                </tr>
              )}
              {!loading && !error && rows.length === 0 && (
                <tr>
                  <td colSpan={cols.length} className={compact ? 'muted' : 'empty'}>
                    {empty}
                  </td>
                </tr>
              )}
              {shown.map((row, i) => (
                <tr key={rowKey(row, i)} className={rowClassName?.(row)}>
                  {cols.map((c) => (
                    <td key={c.key} className={c.className} style={c.style}>
                      {c.cell(row)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pager && <Pager {...pager} />}
    </>
  );
}
