import type { ReactNode } from 'react';
import type { PagerState } from './usePagedList';

/** Previous / where we are / Next under a paged list. */
export function Pager({
  page,
  hasPrev,
  hasNext,
  prev,
  next,
  status,
  prevLabel = '← Previous',
  nextLabel = 'Next →',
}: PagerState & {
  /** Replaces "Page N", e.g. "51–100 of 230". */
  status?: ReactNode;
  prevLabel?: string;
  nextLabel?: string;
}) {
  return (
    <div className="pager">
      <button type="button" className="btn btn-small" disabled={!hasPrev} onClick={prev}>
        {prevLabel}
      </button>
      <span className="muted" aria-live="polite">
        {status ?? `Page ${page}`}
      </span>
      <button type="button" className="btn btn-small" disabled={!hasNext} onClick={next}>
        {nextLabel}
      </button>
    </div>
  );
}
