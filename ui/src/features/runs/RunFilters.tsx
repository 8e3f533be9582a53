import { useState } from 'react';
import { Options } from '../../components/Field';
import type { ColumnKind } from './columns';
import { lastWindow, OFFERED_STATES, parseLocal, WINDOWS, type RunState, type TimeRange, type Window } from './filterClauses';
import type { GroupBy } from './grouping';

const WINDOW_LABELS: Record<Window, string> = { hour: 'Last hour', day: 'Last day', week: 'Last week' };

/** State and start-time filters (MLflow clauses, see filterClauses) and the group-by choice of the runs list. */
export function RunFilters({
  states,
  onStates,
  time,
  onTime,
  groupBy,
  onGroupBy,
  groupKeys,
}: {
  states: ReadonlySet<RunState>;
  onStates: (s: ReadonlySet<RunState>) => void;
  time: TimeRange;
  onTime: (t: TimeRange) => void;
  groupBy: GroupBy | null;
  onGroupBy: (g: GroupBy | null) => void;
  groupKeys: Record<ColumnKind, string[]>;
}) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const choice = time.kind === 'last' ? time.window : time.kind;
  const custom = (f: string, t: string) => onTime({ kind: 'custom', from: parseLocal(f), to: parseLocal(t) });
  const groupValue = groupBy ? `${groupBy.kind}:${groupBy.key}` : '';
  return (
    <div className="filter-bar">
      <fieldset aria-label="State">
        <legend>State</legend>
        {OFFERED_STATES.map((s) => (
          <label key={s} className="check">
            <input
              type="checkbox"
              checked={states.has(s)}
              onChange={() => {
                const n = new Set(states);
                if (n.has(s)) n.delete(s);
                else n.add(s);
                onStates(n);
              }}
            />
            {s.toLowerCase()}
          </label>
        ))}
      </fieldset>
      <label className="inline-label">
        Started{' '}
        <select
          aria-label="Started"
          value={choice}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'any') onTime({ kind: 'any' });
            else if (v === 'custom') custom(from, to);
            else onTime(lastWindow(v as Window));
          }}
        >
          <Options options={[{ value: 'any', label: 'Any time' }, ...(Object.keys(WINDOWS) as Window[]).map((w) => ({ value: w, label: WINDOW_LABELS[w] })), { value: 'custom', label: 'Between…' }]} />
        </select>
      </label>
      {time.kind === 'custom' && (
        <>
          <label className="inline-label">
            From{' '}
            <input
              type="datetime-local"
              aria-label="Started from"
              value={from}
              onChange={(e) => {
                setFrom(e.target.value);
                custom(e.target.value, to);
              }}
            />
          </label>
          <label className="inline-label">
            To{' '}
            <input
              type="datetime-local"
              aria-label="Started until"
              value={to}
              onChange={(e) => {
                setTo(e.target.value);
                custom(from, e.target.value);
              }}
            />
          </label>
        </>
      )}
      <label className="inline-label">
        Group by{' '}
        <select
          aria-label="Group by"
          value={groupValue}
          onChange={(e) => {
            const v = e.target.value;
            if (!v) return onGroupBy(null);
            const i = v.indexOf(':');
            onGroupBy({ kind: v.slice(0, i) as GroupBy['kind'], key: v.slice(i + 1) });
          }}
        >
          <option value="">Nothing</option>
          {groupKeys.param.length > 0 && (
            <optgroup label="Parameter">
              <Options options={groupKeys.param.map((k) => ({ value: `param:${k}`, label: k }))} />
            </optgroup>
          )}
          {groupKeys.tag.length > 0 && (
            <optgroup label="Tag">
              <Options options={groupKeys.tag.map((k) => ({ value: `tag:${k}`, label: k }))} />
            </optgroup>
          )}
          {groupBy && !groupKeys[groupBy.kind].includes(groupBy.key) && <option value={groupValue}>{groupBy.key}</option>}
        </select>
      </label>
    </div>
  );
}
