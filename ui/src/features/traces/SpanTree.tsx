import type { SpanNode } from './spans';
import { barPosition, spanMs } from './spans';
import { fmtMs } from './format';

/**
 * The spans of a trace, nested by parent, each with its duration as a bar
 * on the trace's timeline; choosing one shows its detail beside.
 */
export function SpanTree({
  rows,
  timeline,
  selected,
  onSelect,
}: {
  /** The tree flattened in display order (flattenTree). */
  rows: readonly SpanNode[];
  timeline: { start: number; end: number } | null;
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  return (
    <ul className="span-tree" role="tree" aria-label="Span tree">
      {rows.map((n) => {
        const s = n.span;
        const ms = spanMs(s);
        const bar = timeline ? barPosition(s, timeline) : { left: 0, width: 100 };
        const current = selected === s.id;
        return (
          <li key={s.id} role="treeitem" aria-level={n.depth + 1} aria-selected={current}>
            <button
              type="button"
              className={`span-row${s.status === 'ERROR' ? ' span-error' : ''}`}
              aria-current={current}
              aria-label={`${s.name}, ${ms === null ? 'still open' : fmtMs(ms)}${s.status === 'ERROR' ? ', error' : ''}`}
              onClick={() => onSelect(s.id)}
            >
              <span className="span-name" style={{ paddingLeft: n.depth * 16 }}>
                <span aria-hidden="true" className="span-caret">
                  {n.children.length ? '▾' : '·'}
                </span>
                <span className="truncate">{s.name}</span>
                {s.type && <span className="span-type">{s.type}</span>}
              </span>
              <span className="span-track" aria-hidden="true">
                <span className="span-bar" style={{ left: `${bar.left}%`, width: `${bar.width}%` }} />
              </span>
              <span className="span-ms">{ms === null ? '…' : fmtMs(ms)}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
