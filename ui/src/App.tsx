import { useEffect, useState } from 'react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, matchPath, Navigate, Route, Routes, useNavigate, type Params } from 'react-router';
import { isApiError, setUnauthorizedHandler } from './api/client';
import { loadSession } from './api/session';
import { AuthProvider, RequireAdmin, RequireAuth } from './features/auth/AuthContext';
import SignInPage from './features/auth/SignInPage';
import { prefetchExperimentPage } from './features/runs/experimentRoute';
import { Layout } from './Layout';
import ExperimentsPage from './features/experiments/ExperimentsPage';
import { lazyPage, type LazyPage } from './lazyPage';

/** A page in a chunk of its own: where it lives, and what it may ask for while its chunk loads. */
interface LazyRoute {
  path: string;
  page: LazyPage;
  admin?: boolean;
  prefetch?: (client: QueryClient, params: Params, query: URLSearchParams) => void;
}

const lazyRoutes: readonly LazyRoute[] = [
  { path: '/experiments/:id', page: lazyPage(() => import('./features/runs/ExperimentPage')), prefetch: (c, p, q) => prefetchExperimentPage(c, p.id ?? '', q) },
  { path: '/runs/:runId', page: lazyPage(() => import('./features/runs/RunPage')) },
  { path: '/traces/:traceId', page: lazyPage(() => import('./features/traces/TracePage')) },
  { path: '/datasets/:datasetId', page: lazyPage(() => import('./features/datasets/DatasetPage')) },
  { path: '/compare', page: lazyPage(() => import('./features/compare/ComparePage')) },
  { path: '/models', page: lazyPage(() => import('./features/models/ModelsPage')) },
  { path: '/models/:name', page: lazyPage(() => import('./features/models/ModelPage')) },
  { path: '/models/:name/versions/:version', page: lazyPage(() => import('./features/models/ModelVersionPage')) },
  { path: '/prompts', page: lazyPage(() => import('./features/prompts/PromptsPage')) },
  { path: '/prompts/:name', page: lazyPage(() => import('./features/prompts/PromptPage')) },
  { path: '/account', page: lazyPage(() => import('./features/account/AccountPage')) },
  { path: '/admin', page: lazyPage(() => import('./features/admin/AdminPage')), admin: true },
];

/**
 * Before the first render: starts loading the chunk of the page at
 * `pathname` and what that page shows first, side by side (nothing when
 * nobody is signed in: sign-in comes first).
 */
export function startRoute(client: QueryClient, pathname: string, search: string): void {
  if (!loadSession()) return;
  for (const r of lazyRoutes) {
    const m = matchPath(r.path, pathname);
    if (!m) continue;
    r.prefetch?.(client, m.params, new URLSearchParams(search));
    // A failure shows when the page renders (it asks again).
    r.page.preload().catch(() => undefined);
    return;
  }
}

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        retry: (count, err) => !(isApiError(err) && err.kind !== 'network') && count < 1,
      },
    },
  });
}

/** 401 anywhere → sign-in, then back to where the person was. */
function UnauthorizedRedirect() {
  const navigate = useNavigate();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      const here = window.location.pathname + window.location.search;
      if (!window.location.pathname.startsWith('/signin')) navigate(`/signin?next=${encodeURIComponent(here)}`, { replace: true });
    });
  }, [navigate]);
  return null;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/signin" element={<SignInPage />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route path="/" element={<Navigate to="/experiments" replace />} />
        <Route path="/experiments" element={<ExperimentsPage />} />
        {lazyRoutes.map(({ path, page: { Page }, admin }) => (
          <Route
            key={path}
            path={path}
            element={
              admin ? (
                <RequireAdmin>
                  <Page />
                </RequireAdmin>
              ) : (
                <Page />
              )
            }
          />
        ))}
        <Route path="*" element={<div className="page"><h1>Page not found</h1></div>} />
      </Route>
    </Routes>
  );
}

/** The app; `client` lets start-up (main.tsx) prefetch into the cache it reads. */
export default function App({ client }: { client?: QueryClient }) {
  const [qc] = useState(() => client ?? makeQueryClient());
  return (
    <QueryClientProvider client={qc}>
      <BrowserRouter>
        <AuthProvider>
          <UnauthorizedRedirect />
          <AppRoutes />
        </AuthProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
