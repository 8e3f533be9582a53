import { useState } from 'react';
import { useQuery, type QueryKey, type UseQueryResult } from '@tanstack/react-query';

/** Where a paged list stands, and how to move: what `<Pager>` shows. */
export interface PagerState {
  /** 1-based. */
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  prev: () => void;
  next: () => void;
}

/**
 * One page of a list fetched by cursor: MLflow's page tokens, or offsets.
 * The cursors of the pages walked so far are kept as a stack (Previous pops
 * it), and the list goes back to its first page whenever `queryKey` changes
 * (a new search, sort or filter). The previous page stays on screen while
 * the next one loads.
 */
export function usePagedList<R, C = string>({
  queryKey,
  fetchPage,
  nextCursor,
}: {
  /** What the list depends on, without the cursor. */
  queryKey: QueryKey;
  fetchPage: (cursor: C | undefined) => Promise<R>;
  /** The cursor of the page after `page`, or undefined on the last page. */
  nextCursor: (page: R, cursor: C | undefined) => C | undefined;
}): { query: UseQueryResult<R>; cursor: C | undefined; pager: PagerState } {
  const key = JSON.stringify(queryKey);
  const [walked, setWalked] = useState<{ key: string; cursors: C[] }>({ key, cursors: [] });
  // A changed key starts over on page 1 without an effect's extra render.
  const cursors = walked.key === key ? walked.cursors : [];
  const cursor = cursors.length ? cursors[cursors.length - 1] : undefined;
  const query = useQuery({
    queryKey: [...queryKey, cursor],
    queryFn: () => fetchPage(cursor),
    placeholderData: (prev) => prev,
  });
  const following = query.data !== undefined && !query.isPlaceholderData ? nextCursor(query.data, cursor) : undefined;
  return {
    query,
    cursor,
    pager: {
      page: cursors.length + 1,
      hasPrev: cursors.length > 0,
      hasNext: following !== undefined,
      prev: () => setWalked({ key, cursors: cursors.slice(0, -1) }),
      next: () => {
        if (following !== undefined) setWalked({ key, cursors: [...cursors, following] });
      },
    },
  };
}
