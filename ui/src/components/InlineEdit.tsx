import { useState } from 'react';
import { ErrorView } from './ErrorView';

/** A title or field that turns into a small form when edited. */
export function InlineEdit({
  value,
  label,
  canEdit,
  onSave,
  multiline,
  render,
}: {
  value: string;
  label: string;
  canEdit: boolean;
  onSave: (v: string) => Promise<unknown>;
  multiline?: boolean;
  render?: (v: string) => React.ReactNode;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(value);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!editing) {
    return (
      <span className="inline-edit">
        {render ? render(value) : value}
        {canEdit && (
          <button
            type="button"
            className="btn btn-link btn-small"
            aria-label={`Edit ${label}`}
            onClick={() => {
              setDraft(value);
              setEditing(true);
            }}
          >
            Edit
          </button>
        )}
      </span>
    );
  }
  return (
    <form
      className="inline-edit-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await onSave(draft);
          setEditing(false);
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      {multiline ? (
        <textarea aria-label={label} value={draft} rows={3} onChange={(e) => setDraft(e.target.value)} />
      ) : (
        <input aria-label={label} value={draft} onChange={(e) => setDraft(e.target.value)} />
      )}
      <button type="submit" className="btn btn-primary btn-small" disabled={busy}>
        Save
      </button>
      <button type="button" className="btn btn-small" onClick={() => setEditing(false)}>
        Cancel
      </button>
      <ErrorView error={error} compact />
    </form>
  );
}
