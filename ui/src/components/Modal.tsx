import { useId, useRef, type ReactNode } from 'react';
import { ErrorView } from './ErrorView';
import { useFocusTrap } from './useFocusTrap';

/**
 * A modal dialog: Escape, the × and a click on the backdrop close it; Tab
 * stays inside; focus starts on the first field and returns to the opener.
 */
export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const id = useId();
  const ref = useRef<HTMLDivElement>(null);
  useFocusTrap(ref, onClose, 'input, select, textarea, button:not(.modal-close)');
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal${wide ? ' modal-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={id} ref={ref} tabIndex={-1}>
        <div className="modal-head">
          <h2 id={id}>{title}</h2>
          <button type="button" className="modal-close" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

/** A modal holding one form: the fields, the call's error, Cancel and the submit button. */
export function FormDialog({
  title,
  onClose,
  onSubmit,
  submitLabel,
  canSubmit = true,
  busy = false,
  error,
  children,
}: {
  title: string;
  onClose: () => void;
  onSubmit: () => void;
  submitLabel: string;
  /** False keeps the submit button disabled (e.g. a required field is blank). */
  canSubmit?: boolean;
  busy?: boolean;
  error?: unknown;
  children: ReactNode;
}) {
  return (
    <Modal title={title} onClose={onClose}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (canSubmit && !busy) onSubmit();
        }}
      >
        {children}
        <ErrorView error={error} compact />
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !canSubmit}>
            {submitLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
