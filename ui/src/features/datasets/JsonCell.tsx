import { JsonTree } from '../../components/JsonTree';
import { isBlank, isExpandable, previewValue } from './format';

/** A decoded value in a table cell: its one-line preview, which opens into the whole value (a JSON tree, or the full text). */
export function JsonCell({ value, label }: { value: unknown; label: string }) {
  if (isBlank(value)) return <span className="muted">—</span>;
  const preview = previewValue(value);
  if (!isExpandable(value)) return <span className="mono">{preview}</span>;
  return (
    <details className="json-cell">
      <summary title="Show all">
        <span className="mono">{preview}</span>
      </summary>
      {typeof value === 'string' ? (
        <pre className="value-block" aria-label={label}>
          {value}
        </pre>
      ) : (
        <JsonTree value={value} label={label} />
      )}
    </details>
  );
}
