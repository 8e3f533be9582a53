import type { ReactNode } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import { vi } from 'vitest';
import { AuthProvider } from '../features/auth/AuthContext';

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export type Handler = (url: URL, init: RequestInit) => Response | Promise<Response> | undefined;

/** Replaces fetch with a router of handlers; unmatched calls answer 404. */
export function mockFetch(...handlers: Handler[]) {
  const calls: { url: URL; init: RequestInit }[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    calls.push({ url, init });
    for (const h of handlers) {
      const r = await h(url, init);
      if (r) return r;
    }
    return json({ error: 'not found' }, 404);
  });
  vi.stubGlobal('fetch', fn);
  return { fn, calls };
}

export function renderWithProviders(ui: ReactNode, path = '/') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[path]}>
        <AuthProvider>{ui}</AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/**
 * Answers `/api/authorize/batch` questions about operations as cerberus
 * would for a caller allowed `allowed[element]` (everything else: nothing).
 */
export function myAccessServer(allowed: Record<string, string[]>): Handler {
  return (url, init) => {
    if (url.pathname !== '/api/authorize/batch') return undefined;
    const body = JSON.parse(String(init.body)) as { elements: string[]; operations: string[] };
    const operations: Record<string, string[]> = {};
    for (const e of body.elements) operations[e] = body.operations.filter((op) => allowed[e]?.includes(op));
    return json({ operations, user: null });
  };
}
