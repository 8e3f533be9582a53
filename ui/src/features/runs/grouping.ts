import { nestRuns, type FlatRun } from './columns';

/** What the runs list groups by: a param's or a tag's value. */
export interface GroupBy {
  kind: 'param' | 'tag';
  key: string;
}

/** One group: the runs sharing a value (null: the runs without the key). */
export interface RunGroup {
  id: string;
  value: string | null;
  runs: FlatRun[];
}

export const groupId = (by: GroupBy, value: string | null) => `${by.kind}:${by.key}=${value === null ? '\u0000' : value}`;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** The runs by their value of `by`, groups in natural order (2 before 10), the runs without it last; runs keep their order inside a group. */
export function groupRuns(runs: readonly FlatRun[], by: GroupBy): RunGroup[] {
  const groups = new Map<string | null, FlatRun[]>();
  for (const r of runs) {
    const v = (by.kind === 'param' ? r.params : r.tags)[by.key];
    const value = v === undefined ? null : v;
    const list = groups.get(value);
    if (list) list.push(r);
    else groups.set(value, [r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : collator.compare(a, b)))
    .map(([value, list]) => ({ id: groupId(by, value), value, runs: list }));
}

/** A group's heading row in the grid, shown before the run at `before`. */
export interface GroupHead {
  id: string;
  label: string;
  count: number;
  open: boolean;
}

/** What the grid draws: runs in order with their nesting, and group headings between them. */
export interface GridLayout {
  runs: FlatRun[];
  depth: number[];
  children: number[];
  /** Headings by the index of the run they stand before (runs.length: after the last). */
  heads: Map<number, GroupHead[]>;
}

/**
 * The grid's rows: without grouping, the runs nested under their parents;
 * with it, each group's heading (value and count) followed, unless folded,
 * by its runs nested among themselves (a child whose parent is in another
 * group stands at the top of its own).
 */
export function layoutRuns(runs: readonly FlatRun[], by: GroupBy | null, foldedGroups: ReadonlySet<string>, collapsedParents: ReadonlySet<string>): GridLayout {
  const out: GridLayout = { runs: [], depth: [], children: [], heads: new Map() };
  const place = (list: readonly FlatRun[]) => {
    for (const n of nestRuns(list, collapsedParents)) {
      out.runs.push(n.run);
      out.depth.push(n.depth);
      out.children.push(n.children);
    }
  };
  if (!by) {
    place(runs);
    return out;
  }
  for (const g of groupRuns(runs, by)) {
    const open = !foldedGroups.has(g.id);
    const at = out.runs.length;
    const head: GroupHead = { id: g.id, label: g.value === null ? `no ${by.kind} ${by.key}` : `${by.key} = ${g.value}`, count: g.runs.length, open };
    const list = out.heads.get(at);
    if (list) list.push(head);
    else out.heads.set(at, [head]);
    if (open) place(g.runs);
  }
  return out;
}
