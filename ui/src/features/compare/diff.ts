import type { Run } from '../../api/types';
import { fmtNum } from '../../components/format';

export interface DiffRow {
  section: 'param' | 'metric';
  key: string;
  values: (string | undefined)[];
  differs: boolean;
}

/** Params and latest metrics of several runs, one row per key; `differs` when any two runs disagree (a missing value counts). */
export function diffRows(runs: Run[]): DiffRow[] {
  const out: DiffRow[] = [];
  const sections: ['param' | 'metric', (r: Run) => Record<string, string>][] = [
    ['param', (r) => Object.fromEntries((r.data.params ?? []).map((p) => [p.key, p.value]))],
    ['metric', (r) => Object.fromEntries((r.data.metrics ?? []).map((m) => [m.key, fmtNum(m.value)]))],
  ];
  for (const [section, pick] of sections) {
    const maps = runs.map(pick);
    const keys = [...new Set(maps.flatMap((m) => Object.keys(m)))].sort((a, b) => a.localeCompare(b));
    for (const key of keys) {
      const values = maps.map((m) => m[key]);
      out.push({ section, key, values, differs: new Set(values.map((v) => v ?? '\u0000')).size > 1 });
    }
  }
  return out;
}
