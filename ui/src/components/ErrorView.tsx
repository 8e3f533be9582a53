import { isApiError } from '../api/client';

/** Shows a failed call in plain words; network trouble offers a retry. */
export function ErrorView({ error, onRetry, compact }: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  const kind = isApiError(error) ? error.kind : 'server';
  const title =
    kind === 'forbidden'
      ? 'No access'
      : kind === 'network'
        ? 'Connection problem'
        : kind === 'notfound'
          ? 'Not found'
          : kind === 'invalid'
            ? 'Not accepted'
            : 'Something went wrong';
  return (
    <div className={`alert alert-${kind === 'forbidden' ? 'warn' : 'error'}${compact ? ' alert-compact' : ''}`} role="alert">
      {!compact && <strong>{title}. </strong>}
      <span>{msg}</span>
      {onRetry && (kind === 'network' || kind === 'server') && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
