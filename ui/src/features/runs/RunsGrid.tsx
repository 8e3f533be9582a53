import { Fragment, useEffect, useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Link } from 'react-router';
import { fmtDuration, fmtNum, fmtTimeSec } from '../../components/format';
import { cellValue, colId, datasetLabel, type Column, type FlatRun } from './columns';
import type { GroupHead } from './grouping';
import type { SortState } from './queries';

export type { SortState } from './queries';

export const ROW_HEIGHT = 36;

interface Props {
  runs: FlatRun[];
  columns: Column[];
  selected: Set<string>;
  onToggle: (id: string) => void;
  onToggleAll: () => void;
  sort: SortState;
  onSort: (s: SortState) => void;
  onNearEnd?: () => void;
  loadingMore?: boolean;
  height?: number;
  /** Nested runs (`nestRuns`): each row's depth under its parent and how many children it has, by index in `runs`. */
  nesting?: { depth: readonly number[]; children: readonly number[]; collapsed: ReadonlySet<string>; onToggle: (id: string) => void };
  /** Group headings (`layoutRuns`), by the index in `runs` of the run they stand before; a heading folds its group. */
  groups?: { heads: ReadonlyMap<number, readonly GroupHead[]>; onToggle: (id: string) => void };
  /** Show the Datasets column (the runs' dataset inputs). */
  showDatasets?: boolean;
}

/** A row of the grid: a run (its index in `runs`) or a group's heading. */
type Row = { run: number } | { head: GroupHead };

function sameCol(a: SortState['col'], b: SortState['col']) {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.kind === b.kind && a.key === b.key;
}

/** The runs of an experiment as a virtualized grid: only visible rows are in the DOM. */
export function RunsGrid({ runs, columns, selected, onToggle, onToggleAll, sort, onSort, onNearEnd, loadingMore, height = 560, nesting, groups, showDatasets }: Props) {
  const parentRef = useRef<HTMLDivElement>(null);
  const rows = useMemo<Row[] | null>(() => {
    if (!groups || groups.heads.size === 0) return null;
    const out: Row[] = [];
    for (let i = 0; i <= runs.length; i++) {
      for (const head of groups.heads.get(i) ?? []) out.push({ head });
      if (i < runs.length) out.push({ run: i });
    }
    return out;
  }, [groups, runs.length]);
  const count = rows ? rows.length : runs.length;
  const v = useVirtualizer({
    count,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    initialRect: { width: 1200, height },
  });
  const items = v.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (last && onNearEnd && last.index >= count - 40) onNearEnd();
  }, [last?.index, count, onNearEnd]); // eslint-disable-line react-hooks/exhaustive-deps

  // Fixed tracks (the last one stretches) keep the header and the absolutely
  // placed rows aligned whatever the container's width.
  const widths = [40, 220, 100, 195, 90, ...(showDatasets ? [220] : []), ...columns.map(() => 130)];
  const total = widths.reduce((a, b) => a + b, 0);
  const template = widths.map((w, i) => (i === widths.length - 1 ? `minmax(${w}px, 1fr)` : `${w}px`)).join(' ');
  const bodyHeight = Math.min(height, count * ROW_HEIGHT + ROW_HEIGHT + 2);
  const allSelected = runs.length > 0 && runs.every((r) => selected.has(r.id));

  const header = (label: string, col: SortState['col'], title?: string) => {
    const active = sameCol(sort.col, col);
    return (
      <div role="columnheader" className="rg-cell rg-head-cell" aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'} title={title}>
        <button type="button" className="sort-btn" onClick={() => onSort({ col, desc: active ? !sort.desc : true })}>
          <span className="truncate">{label}</span>
          <span aria-hidden="true" className="sort-arrow">
            {active ? (sort.desc ? '▼' : '▲') : ''}
          </span>
        </button>
      </div>
    );
  };

  return (
    <div className="rg" role="table" aria-label="Runs" aria-rowcount={count + 1}>
      <div className="rg-scroll" ref={parentRef} style={{ height: bodyHeight }} data-testid="runs-scroll">
        <div role="rowgroup" className="rg-head" style={{ gridTemplateColumns: template, width: `max(100%, ${total}px)` }}>
          <div role="row" className="rg-row-contents" style={{ display: 'contents' }}>
            <div role="columnheader" className="rg-cell rg-head-cell rg-check">
              <input type="checkbox" aria-label="Select all loaded runs" checked={allSelected} onChange={onToggleAll} />
            </div>
            {header('Run', 'run_name')}
            <div role="columnheader" className="rg-cell rg-head-cell">
              Status
            </div>
            {header('Started', 'start_time')}
            <div role="columnheader" className="rg-cell rg-head-cell">
              Duration
            </div>
            {showDatasets && (
              <div role="columnheader" className="rg-cell rg-head-cell">
                Datasets
              </div>
            )}
            {columns.map((c) => (
              <Fragment key={colId(c)}>{header(c.key, c, `${c.kind} ${c.key}`)}</Fragment>
            ))}
          </div>
        </div>
        <div role="rowgroup" style={{ height: v.getTotalSize(), position: 'relative', width: `max(100%, ${total}px)` }}>
          {items.map((it) => {
            const row = rows?.[it.index];
            if (row && 'head' in row) {
              const h = row.head;
              return (
                <div
                  role="row"
                  key={`group:${h.id}`}
                  aria-rowindex={it.index + 2}
                  className="rg-row rg-group"
                  data-testid="run-group"
                  style={{ transform: `translateY(${it.start}px)`, height: ROW_HEIGHT, width: `max(100%, ${total}px)` }}
                >
                  <div role="cell" className="rg-cell rg-group-cell">
                    <button type="button" className="rg-twisty" aria-expanded={h.open} aria-label={`${h.open ? 'Fold' : 'Unfold'} group ${h.label}`} onClick={() => groups?.onToggle(h.id)}>
                      {h.open ? '▾' : '▸'}
                    </button>
                    <strong className="truncate">{h.label}</strong>
                    <span className="muted small">
                      {h.count} run{h.count === 1 ? '' : 's'}
                    </span>
                  </div>
                </div>
              );
            }
            const ri = row ? row.run : it.index;
            const r = runs[ri];
            const isSel = selected.has(r.id);
            const depth = nesting?.depth[ri] ?? 0;
            const kids = nesting?.children[ri] ?? 0;
            const open = !nesting?.collapsed.has(r.id);
            return (
              <div
                role="row"
                key={r.id}
                aria-rowindex={it.index + 2}
                aria-selected={isSel}
                data-depth={depth}
                className={`rg-row${isSel ? ' selected' : ''}${ri % 2 ? ' odd' : ''}`}
                style={{ transform: `translateY(${it.start}px)`, height: ROW_HEIGHT, gridTemplateColumns: template, width: `max(100%, ${total}px)` }}
              >
                <div role="cell" className="rg-cell rg-check">
                  <input type="checkbox" aria-label={`Select run ${r.name}`} checked={isSel} onChange={() => onToggle(r.id)} />
                </div>
                <div role="cell" className="rg-cell rg-name" style={depth ? { paddingLeft: 10 + depth * 18 } : undefined}>
                  {kids > 0 && nesting ? (
                    <button
                      type="button"
                      className="rg-twisty"
                      aria-expanded={open}
                      aria-label={`${open ? 'Hide' : 'Show'} the ${kids} child run${kids === 1 ? '' : 's'} of ${r.name}`}
                      onClick={() => nesting.onToggle(r.id)}
                    >
                      {open ? '▾' : '▸'}
                    </button>
                  ) : (
                    depth > 0 && (
                      <span className="rg-child muted" aria-hidden="true">
                        ↳
                      </span>
                    )
                  )}
                  <Link to={`/runs/${r.id}`} className="truncate">
                    {r.name}
                  </Link>
                  {kids > 0 && <span className="muted small rg-kids">({kids})</span>}
                </div>
                <div role="cell" className="rg-cell">
                  <span className={`status status-${r.status.toLowerCase()}`}>{r.deleted ? 'deleted' : r.status.toLowerCase()}</span>
                </div>
                <div role="cell" className="rg-cell muted">
                  {fmtTimeSec(r.start)}
                </div>
                <div role="cell" className="rg-cell muted">
                  {fmtDuration(r.start, r.end)}
                </div>
                {showDatasets && (
                  <div role="cell" className="rg-cell">
                    <span className="truncate mono small" title={(r.datasets ?? []).map(datasetLabel).join('\n')}>
                      {(r.datasets ?? []).length ? (r.datasets ?? []).map(datasetLabel).join(', ') : '—'}
                    </span>
                  </div>
                )}
                {columns.map((c) => {
                  const val = cellValue(r, c);
                  return (
                    <div role="cell" key={colId(c)} className={`rg-cell${c.kind === 'metric' ? ' num' : ''}`}>
                      <span className="truncate">{typeof val === 'number' ? fmtNum(val) : (val ?? '—')}</span>
                    </div>
                  );
                })}
              </div>
            );
          })}
        </div>
        {loadingMore && <div className="rg-more muted">Loading more runs…</div>}
      </div>
    </div>
  );
}
