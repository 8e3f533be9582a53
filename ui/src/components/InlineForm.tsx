import type { ReactNode } from 'react';
import { ErrorView } from './ErrorView';

/**
 * A one-line form (fields, then the submit button) with the call's error
 * under it. Submitting is ignored while `canSubmit` is false or `busy`.
 */
export function InlineForm({
  onSubmit,
  submitLabel,
  canSubmit = true,
  busy = false,
  error,
  label,
  className = 'form-row',
  submitClassName = 'btn btn-primary',
  after,
  children,
}: {
  onSubmit: () => void;
  submitLabel: string;
  canSubmit?: boolean;
  busy?: boolean;
  error?: unknown;
  /** The form's accessible name (makes it a `form` landmark). */
  label?: string;
  className?: string;
  submitClassName?: string;
  /** Shown after the submit button, inside the form. */
  after?: ReactNode;
  children: ReactNode;
}) {
  return (
    <>
      <form
        className={className}
        aria-label={label}
        onSubmit={(e) => {
          e.preventDefault();
          if (canSubmit && !busy) onSubmit();
        }}
      >
        {children}
        <button type="submit" className={submitClassName} disabled={busy || !canSubmit}>
          {submitLabel}
        </button>
        {after}
      </form>
      <ErrorView error={error} compact />
    </>
  );
}
