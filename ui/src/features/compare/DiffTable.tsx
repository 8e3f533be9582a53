import { PALETTE } from '../../components/chart/MetricChart';
import type { DiffRow } from './diff';

export function DiffTable({ rows, runNames, onlyDiff }: { rows: DiffRow[]; runNames: string[]; onlyDiff: boolean }) {
  const shown = onlyDiff ? rows.filter((r) => r.differs) : rows;
  const sections: ['param' | 'metric', string][] = [
    ['param', 'Parameters'],
    ['metric', 'Metrics (latest)'],
  ];
  return (
    <div className="table-wrap">
      <table className="table table-compact" aria-label="Differences between runs">
        <thead>
          <tr>
            <th scope="col">Key</th>
            {runNames.map((n, i) => (
              <th scope="col" key={i}>
                <span className="legend-dot" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" /> {n}
              </th>
            ))}
          </tr>
        </thead>
        {sections.map(([s, label]) => {
          const rs = shown.filter((r) => r.section === s);
          return (
            <tbody key={s}>
              <tr className="section-row">
                <th scope="rowgroup" colSpan={runNames.length + 1}>
                  {label}
                </th>
              </tr>
              {rs.length === 0 && (
                <tr>
                  <td colSpan={runNames.length + 1} className="muted">
                    {onlyDiff ? 'No differences.' : 'None.'}
                  </td>
                </tr>
              )}
              {rs.map((r) => (
                <tr key={r.key} className={r.differs ? 'diff-row' : undefined} data-differs={r.differs}>
                  <th scope="row" className="mono">
                    {r.key}
                    {r.differs && <span className="sr-only"> (differs)</span>}
                  </th>
                  {r.values.map((v, i) => (
                    <td key={i} className={s === 'metric' ? 'num' : undefined}>
                      {v ?? <span className="muted">—</span>}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          );
        })}
      </table>
    </div>
  );
}
