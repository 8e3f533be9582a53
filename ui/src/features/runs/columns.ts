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
}

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
