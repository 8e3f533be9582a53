import type { QueryClient } from '@tanstack/react-query';
import { lazyPage } from '../../lazyPage';
import { sweepQuery } from '../sweep/sweepQuery';
import { DEFAULT_SORT, experimentQuery, runListQuery } from './queries';

// What start-up needs to know of an experiment's page, kept out of the
// page's own chunk: its tabs, and what each shows first.

export type ExperimentTab = 'runs' | 'charts' | 'traces' | 'datasets';
const TABS: readonly ExperimentTab[] = ['runs', 'charts', 'traces', 'datasets'];

/** The tab an experiment's page shows for its query (?tab=…; the runs when none or unknown). */
export const experimentTab = (params: URLSearchParams): ExperimentTab => TABS.find((t) => t === params.get('tab')) ?? 'runs';

const tabLoading = <p className="muted">Loading…</p>;

/** The tabs in chunks of their own (the runs table comes with the page). */
export const tabPages = {
  charts: lazyPage<{ experimentId: string }>(() => import('../sweep/SweepTab'), tabLoading),
  traces: lazyPage<{ experimentId: string }>(() => import('../traces/TracesTab'), tabLoading),
  datasets: lazyPage<{ experimentId: string }>(() => import('../datasets/DatasetsTab'), tabLoading),
};

/**
 * Asks for what an experiment's page shows first (the experiment, and its
 * runs table's first page or its Charts tab's runs), with the same queries
 * the page then reads, and loads the chunk of the tab it opens on, all
 * while the page's own chunk is still loading.
 */
export function prefetchExperimentPage(client: QueryClient, id: string, params: URLSearchParams): void {
  void client.prefetchQuery(experimentQuery(id));
  const tab = experimentTab(params);
  if (tab === 'runs') void client.prefetchInfiniteQuery(runListQuery(id, '', DEFAULT_SORT, false));
  else tabPages[tab].preload().catch(() => undefined);
  if (tab === 'charts') void client.prefetchQuery(sweepQuery(id));
}
