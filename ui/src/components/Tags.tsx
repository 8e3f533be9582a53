import { useState } from 'react';
import type { Tag } from '../api/types';
import { ErrorView } from './ErrorView';
import { InlineForm } from './InlineForm';

/** Key/value tags with add and remove; system tags (mlflow.*) are hidden. `onChanged` follows each change that succeeded. */
export function TagEditor({
  tags,
  canEdit,
  onSet,
  onDelete,
  onChanged,
  label = 'Tags',
}: {
  tags: Tag[];
  canEdit: boolean;
  onSet: (key: string, value: string) => Promise<unknown>;
  onDelete: (key: string) => Promise<unknown>;
  onChanged?: () => void;
  label?: string;
}) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const visible = tags.filter((t) => !t.key.startsWith('mlflow.'));
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      onChanged?.();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="tags">
      <ul className="tag-list" aria-label={label}>
        {visible.length === 0 && <li className="muted">No tags</li>}
        {visible.map((t) => (
          <li key={t.key} className="tag">
            <span className="tag-key">{t.key}</span>
            {t.value && <span className="tag-value">{t.value}</span>}
            {canEdit && (
              <button type="button" className="tag-remove" aria-label={`Remove tag ${t.key}`} disabled={busy} onClick={() => run(() => onDelete(t.key))}>
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {canEdit ? (
        <InlineForm
          className="tag-form"
          submitClassName="btn btn-small"
          submitLabel="Add tag"
          canSubmit={!!key.trim()}
          busy={busy}
          error={error}
          onSubmit={async () => {
            if (await run(() => onSet(key.trim(), value))) {
              setKey('');
              setValue('');
            }
          }}
        >
          <input aria-label="Tag key" placeholder="key" value={key} onChange={(e) => setKey(e.target.value)} />
          <input aria-label="Tag value" placeholder="value" value={value} onChange={(e) => setValue(e.target.value)} />
        </InlineForm>
      ) : (
        <ErrorView error={error} compact />
      )}
    </div>
  );
}
