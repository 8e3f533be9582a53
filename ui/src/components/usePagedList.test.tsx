import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { act, renderHook, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { usePagedList } from './usePagedList';

function wrapper({ children }: { children: ReactNode }) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return <QueryClientProvider client={qc}>{children}</QueryClientProvider>;
}

interface TokenPage {
  items: string[];
  next_page_token?: string;
}

/** Three pages by token per search: "", "t1", "t2"; the last has no next token. */
function tokenServer() {
  const calls: { q: string; token: string | undefined }[] = [];
  const fetchPage = vi.fn(async (q: string, token: string | undefined): Promise<TokenPage> => {
    calls.push({ q, token });
    const n = token ? Number(token.slice(1)) : 0;
    return { items: [`${q}-${n}`], next_page_token: n < 2 ? `t${n + 1}` : '' };
  });
  return { calls, fetchPage };
}

describe('usePagedList with page tokens', () => {
  it('walks forward and back through the pages', async () => {
    const { calls, fetchPage } = tokenServer();
    const { result } = renderHook(
      () =>
        usePagedList({
          queryKey: ['things', 'a'],
          fetchPage: (t) => fetchPage('a', t),
          nextCursor: (r: TokenPage) => r.next_page_token || undefined,
        }),
      { wrapper },
    );
    const at = async (page: number, item: string, hasPrev: boolean, hasNext: boolean) => {
      await waitFor(() => expect(result.current.query.data?.items).toEqual([item]));
      await waitFor(() => expect(result.current.pager.hasNext).toBe(hasNext));
      expect(result.current.pager.page).toBe(page);
      expect(result.current.pager.hasPrev).toBe(hasPrev);
    };
    const steps: [() => void, number, string, boolean, boolean][] = [
      [() => {}, 1, 'a-0', false, true],
      [() => result.current.pager.next(), 2, 'a-1', true, true],
      [() => result.current.pager.next(), 3, 'a-2', true, false],
      [() => result.current.pager.next(), 3, 'a-2', true, false], // no page after the last
      [() => result.current.pager.prev(), 2, 'a-1', true, true],
      [() => result.current.pager.prev(), 1, 'a-0', false, true],
    ];
    for (const [move, page, item, hasPrev, hasNext] of steps) {
      act(move);
      await at(page, item, hasPrev, hasNext);
    }
    // Forward fetches each page once; the extra "next" on the last page fetched nothing.
    expect(calls.slice(0, 3).map((c) => c.token)).toEqual([undefined, 't1', 't2']);
    expect(calls.some((c) => c.token === 't3')).toBe(false);
  });

  it('starts again on page 1 when the search changes', async () => {
    const { calls, fetchPage } = tokenServer();
    const { result, rerender } = renderHook(
      ({ q }: { q: string }) =>
        usePagedList({
          queryKey: ['things', q],
          fetchPage: (t) => fetchPage(q, t),
          nextCursor: (r: TokenPage) => r.next_page_token || undefined,
        }),
      { wrapper, initialProps: { q: 'a' } },
    );
    await waitFor(() => expect(result.current.pager.hasNext).toBe(true));
    act(() => result.current.pager.next());
    await waitFor(() => expect(result.current.query.data?.items).toEqual(['a-1']));
    rerender({ q: 'b' });
    expect(result.current.pager.page).toBe(1);
    expect(result.current.cursor).toBeUndefined();
    // The old page stays up while the new search loads, but Next must not follow its token.
    expect(result.current.pager.hasNext).toBe(false);
    await waitFor(() => expect(result.current.query.data?.items).toEqual(['b-0']));
    expect(calls.at(-1)).toEqual({ q: 'b', token: undefined });
  });
});

describe('usePagedList with offsets', () => {
  it.each([
    { total: 0, pages: 1 },
    { total: 10, pages: 1 },
    { total: 11, pages: 2 },
    { total: 25, pages: 3 },
  ])('$total entries by 10 make $pages page(s)', async ({ total, pages }) => {
    const offsets: number[] = [];
    const { result } = renderHook(
      () =>
        usePagedList<{ total: number }, number>({
          queryKey: ['audit', total],
          fetchPage: async (offset = 0) => {
            offsets.push(offset);
            return { total };
          },
          nextCursor: (r, offset = 0) => (offset + 10 < r.total ? offset + 10 : undefined),
        }),
      { wrapper },
    );
    for (let p = 1; p <= pages; p++) {
      await waitFor(() => expect(result.current.query.isFetching || result.current.query.isPlaceholderData).toBe(false));
      expect(result.current.pager.page).toBe(p);
      expect(result.current.pager.hasNext).toBe(p < pages);
      act(() => result.current.pager.next());
    }
    expect(offsets).toEqual(Array.from({ length: pages }, (_, i) => i * 10));
  });
});
