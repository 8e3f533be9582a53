import type { MyAccessOn } from './useMyAccess';

/** "Read only" beside a page's title once it is known the caller may not edit. */
export function ReadOnlyBadge({ access }: { access: MyAccessOn }) {
  return !access.loading && !access.canEdit ? <span className="badge badge-ro">Read only</span> : null;
}
