import { useState } from 'react';
import { colId, type Column, type ColumnKind } from './columns';

const GROUPS: { kind: ColumnKind; label: string }[] = [
  { kind: 'metric', label: 'Metrics' },
  { kind: 'param', label: 'Parameters' },
  { kind: 'tag', label: 'Tags' },
];

export function ColumnPicker({
  available,
  chosen,
  onChange,
}: {
  available: Record<ColumnKind, string[]>;
  chosen: Column[];
  onChange: (c: Column[]) => void;
}) {
  const [open, setOpen] = useState(false);
  const ids = new Set(chosen.map(colId));
  const toggle = (c: Column) => {
    if (ids.has(colId(c))) onChange(chosen.filter((x) => colId(x) !== colId(c)));
    else onChange([...chosen, c]);
  };
  return (
    <div className="popover-wrap">
      <button type="button" className="btn" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        Columns ({chosen.length})
      </button>
      {open && (
        <div className="popover" role="group" aria-label="Choose columns" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          {GROUPS.map((g) => (
            <fieldset key={g.kind}>
              <legend>{g.label}</legend>
              {available[g.kind].length === 0 && <span className="muted small">none</span>}
              {available[g.kind].map((k) => (
                <label key={k} className="check">
                  <input type="checkbox" checked={ids.has(`${g.kind}:${k}`)} onChange={() => toggle({ kind: g.kind, key: k })} />
                  <span className="truncate">{k}</span>
                </label>
              ))}
            </fieldset>
          ))}
          <div className="popover-foot">
            <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
              Done
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
