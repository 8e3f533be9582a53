import { useState } from 'react';
import { Link } from 'react-router';
import { fmtNum } from '../../format';
import { barShares } from '../bars';
import type { SweepRow } from './sweep';

const FIRST = 25;

/** A bar per run for one metric (or numeric param), sorted; runs the brushes filter out are left out. */
export function RunBars({ rows, axisId, label, keep, runHref }: { rows: readonly SweepRow[]; axisId: string; label: string; keep: readonly boolean[]; runHref: (id: string) => string }) {
  const [order, setOrder] = useState<'desc' | 'asc'>('desc');
  const [all, setAll] = useState(false);
  if (rows.length === 0) return null; // not there yet (they follow the main view)
  const vals = rows
    .map((r, i) => ({ r, v: Number(r.values.get(axisId)), has: r.values.has(axisId), kept: keep[i] }))
    .filter((x) => x.kept && x.has && Number.isFinite(x.v))
    .sort((a, b) => (order === 'desc' ? b.v - a.v : a.v - b.v));
  const shown = all ? vals : vals.slice(0, FIRST);
  // One scale for every run, shown or not yet: the first bars of "Lowest first" stay short.
  const scale = barShares(vals.map((x) => x.v));
  return (
    <div className="run-bars">
      <div className="sweep-row">
        <div className="segmented" role="group" aria-label="Order">
          <button type="button" aria-pressed={order === 'desc'} onClick={() => setOrder('desc')}>
            Highest first
          </button>
          <button type="button" aria-pressed={order === 'asc'} onClick={() => setOrder('asc')}>
            Lowest first
          </button>
        </div>
        <span className="muted small">{vals.length === rows.length ? `${vals.length} runs` : `${vals.length} of ${rows.length} runs`}</span>
      </div>
      {vals.length === 0 ? (
        <p className="muted">No run shown has {label}.</p>
      ) : (
        <ul className="value-bars" aria-label={`${label} per run`}>
          {shown.map((x, i) => (
            <li key={x.r.id} className="value-bar">
              <Link className="value-bar-label truncate" title={x.r.name} to={runHref(x.r.id)}>
                {x.r.name}
              </Link>
              <span className="value-bar-track" aria-hidden="true">
                <span className="value-bar-fill" style={{ width: `${(scale[i] * 100).toFixed(1)}%`, background: 'var(--accent, #2f5bea)' }} />
              </span>
              <span className="value-bar-value">{fmtNum(x.v)}</span>
            </li>
          ))}
        </ul>
      )}
      {vals.length > FIRST && (
        <button type="button" className="btn btn-small btn-link" onClick={() => setAll((a) => !a)}>
          {all ? `Show the first ${FIRST}` : `Show all ${vals.length}`}
        </button>
      )}
    </div>
  );
}
