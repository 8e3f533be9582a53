import type { Run } from '../../api/types';

export type ColumnKind = 'metric' | 'param' | 'tag';
export interface Column {
  kind: ColumnKind;
  key: string;
}

export const colId = (c: Column) => `${c.kind}:${c.key}`;

export interface FlatRun {
  id: string;
  name: string;
  status: string;
  start: number;
  end?: number;
  user: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  deleted: boolean;
  /** The datasets the run used (mlflow.log_input). */
  datasets?: DatasetRef[];
}

/** A run's dataset input, as the list shows it: name@digest (context). */
export interface DatasetRef {
  name: string;
  digest: string;
  context?: string;
}

export const DATASET_CONTEXT_TAG = 'mlflow.data.context';

export function datasetRefs(r: Run): DatasetRef[] {
  return (r.inputs?.dataset_inputs ?? []).map((d) => ({
    name: d.dataset?.name ?? '',
    digest: d.dataset?.digest ?? '',
    context: d.tags?.find((t) => t.key === DATASET_CONTEXT_TAG)?.value || undefined,
  }));
}

export const datasetLabel = (d: DatasetRef) => `${d.name}@${d.digest}${d.context ? ` (${d.context})` : ''}`;

export function flatten(r: Run): FlatRun {
  const metrics: Record<string, number> = {};
  for (const m of r.data?.metrics ?? []) metrics[m.key] = m.value;
  const params: Record<string, string> = {};
  for (const p of r.data?.params ?? []) params[p.key] = p.value;
  const tags: Record<string, string> = {};
  for (const t of r.data?.tags ?? []) tags[t.key] = t.value;
  return {
    id: r.info.run_id,
    name: r.info.run_name || tags['mlflow.runName'] || r.info.run_id.slice(0, 8),
    status: r.info.status ?? '',
    start: Number(r.info.start_time ?? 0),
    end: r.info.end_time ? Number(r.info.end_time) : undefined,
    user: r.info.user_id || tags['mlflow.user'] || '',
    metrics,
    params,
    tags,
    deleted: r.info.lifecycle_stage === 'deleted',
    datasets: r.inputs?.dataset_inputs?.length ? datasetRefs(r) : [],
  };
}

/** Every metric, param and (non-system) tag key seen in the runs. */
export function discoverKeys(runs: FlatRun[], limit = 2000): Record<ColumnKind, string[]> {
  const m = new Set<string>();
  const p = new Set<string>();
  const t = new Set<string>();
  for (const r of runs.slice(0, limit)) {
    Object.keys(r.metrics).forEach((k) => m.add(k));
    Object.keys(r.params).forEach((k) => p.add(k));
    Object.keys(r.tags).forEach((k) => !k.startsWith('mlflow.') && t.add(k));
  }
  const sort = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { metric: sort(m), param: sort(p), tag: sort(t) };
}

/** MLflow's order_by for a column, keys quoted with backticks. */
export function orderClause(c: Column | 'start_time' | 'run_name', desc: boolean): string {
  const dir = desc ? 'DESC' : 'ASC';
  if (c === 'start_time') return `attributes.start_time ${dir}`;
  if (c === 'run_name') return `attributes.run_name ${dir}`;
  const prefix = c.kind === 'metric' ? 'metrics' : c.kind === 'param' ? 'params' : 'tags';
  return `${prefix}.\`${c.key}\` ${dir}`;
}

export function cellValue(r: FlatRun, c: Column): string | number | undefined {
  if (c.kind === 'metric') return r.metrics[c.key];
  if (c.kind === 'param') return r.params[c.key];
  return r.tags[c.key];
}

/** The tag MLflow's client sets on a nested run (`mlflow.start_run(nested=True)`). */
export const PARENT_TAG = 'mlflow.parentRunId';

export const parentOf = (r: FlatRun): string | undefined => r.tags[PARENT_TAG] || undefined;

/** A run in the grid's order: how deep it sits under its loaded ancestors, and how many runs it holds directly. */
export interface NestedRun {
  run: FlatRun;
  depth: number;
  children: number;
}

/**
 * The runs with each child right under its parent (siblings keep the order
 * they came in, i.e. the table's sort), when the parent is among `runs`;
 * a run whose parent is not loaded (another page, filtered out, deleted)
 * stands at the top level. The children of `collapsed` runs are left out.
 */
export function nestRuns(runs: readonly FlatRun[], collapsed: ReadonlySet<string> = new Set()): NestedRun[] {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const kids = new Map<string, FlatRun[]>();
  const roots: FlatRun[] = [];
  for (const r of runs) {
    const p = parentOf(r);
    if (p && p !== r.id && byId.has(p)) {
      const list = kids.get(p);
      if (list) list.push(r);
      else kids.set(p, [r]);
    } else roots.push(r);
  }
  const out: NestedRun[] = [];
  const seen = new Set<string>();
  const walk = (r: FlatRun, depth: number) => {
    if (seen.has(r.id)) return;
    seen.add(r.id);
    const children = kids.get(r.id) ?? [];
    out.push({ run: r, depth, children: children.length });
    if (!collapsed.has(r.id)) for (const c of children) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  // Runs in a parent cycle (a→b→a) reach no root: list them at the top.
  for (const r of runs) if (!seen.has(r.id) && !isUnderCollapsed(r, byId, collapsed)) walk(r, 0);
  return out;
}

function isUnderCollapsed(r: FlatRun, byId: Map<string, FlatRun>, collapsed: ReadonlySet<string>): boolean {
  const seen = new Set<string>();
  for (let p = parentOf(r); p && byId.has(p) && !seen.has(p); p = parentOf(byId.get(p)!)) {
    if (collapsed.has(p)) return true;
    seen.add(p);
  }
  return false;
}
