import { lazy, useEffect, useState } from 'react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes, useNavigate } from 'react-router';
import { isApiError, setUnauthorizedHandler } from './api/client';
import { AuthProvider, RequireAdmin, RequireAuth } from './features/auth/AuthContext';
import SignInPage from './features/auth/SignInPage';
import { Layout } from './Layout';
import ExperimentsPage from './features/experiments/ExperimentsPage';

const ExperimentPage = lazy(() => import('./features/runs/ExperimentPage'));
const RunPage = lazy(() => import('./features/runs/RunPage'));
const ComparePage = lazy(() => import('./features/compare/ComparePage'));
const ModelsPage = lazy(() => import('./features/models/ModelsPage'));
const ModelPage = lazy(() => import('./features/models/ModelPage'));
const ModelVersionPage = lazy(() => import('./features/models/ModelVersionPage'));
const TracePage = lazy(() => import('./features/traces/TracePage'));
const DatasetPage = lazy(() => import('./features/datasets/DatasetPage'));
const PromptsPage = lazy(() => import('./features/prompts/PromptsPage'));
const PromptPage = lazy(() => import('./features/prompts/PromptPage'));
const AdminPage = lazy(() => import('./features/admin/AdminPage'));
const AccountPage = lazy(() => import('./features/account/AccountPage'));

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
        <Route path="/experiments/:id" element={<ExperimentPage />} />
        <Route path="/runs/:runId" element={<RunPage />} />
        <Route path="/traces/:traceId" element={<TracePage />} />
        <Route path="/datasets/:datasetId" element={<DatasetPage />} />
        <Route path="/compare" element={<ComparePage />} />
        <Route path="/models" element={<ModelsPage />} />
        <Route path="/models/:name" element={<ModelPage />} />
        <Route path="/models/:name/versions/:version" element={<ModelVersionPage />} />
        <Route path="/prompts" element={<PromptsPage />} />
        <Route path="/prompts/:name" element={<PromptPage />} />
        <Route path="/account" element={<AccountPage />} />
        <Route
          path="/admin"
          element={
            <RequireAdmin>
              <AdminPage />
            </RequireAdmin>
          }
        />
        <Route path="*" element={<div className="page"><h1>Page not found</h1></div>} />
      </Route>
    </Routes>
  );
}

export default function App() {
  const [qc] = useState(makeQueryClient);
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
