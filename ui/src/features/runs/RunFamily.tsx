import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { runs } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { Run } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { fmtDuration, fmtTimeSec } from '../../components/format';
import { Section } from '../../components/Section';
import { PARENT_TAG } from './columns';

const runName = (r: Run) => r.info.run_name || r.data?.tags?.find((t) => t.key === 'mlflow.runName')?.value || r.info.run_id.slice(0, 8);

export const parentIdOf = (r: Run): string | undefined => r.data?.tags?.find((t) => t.key === PARENT_TAG)?.value || undefined;

/** The MLflow filter for the runs whose parent is `runId`. */
export const childrenFilter = (runId: string) => `tags.\`${PARENT_TAG}\` = '${runId.replace(/'/g, "\\'")}'`;

const CHILDREN_ORDER = 'attributes.start_time ASC';
const CHILDREN_MAX = 500;

/** "Parent run <name>" for a nested run. */
export function ParentLink({ parentId }: { parentId: string }) {
  const q = useQuery({ queryKey: queryKeys.run(parentId), queryFn: () => runs.get(parentId), retry: false });
  return (
    <span>
      Parent run <Link to={`/runs/${parentId}`}>{q.data ? runName(q.data.run) : parentId.slice(0, 8)}</Link>
    </span>
  );
}

/** The runs started under this one, oldest first; nothing when there are none. */
export function ChildRuns({ runId, experimentId }: { runId: string; experimentId: string }) {
  const filter = childrenFilter(runId);
  // Under the experiment's runs key: whatever refreshes its runs refreshes this list too.
  const q = useQuery({
    queryKey: queryKeys.runList(experimentId, filter, CHILDREN_ORDER, false),
    queryFn: () => runs.search({ experiment_ids: [experimentId], filter, order_by: [CHILDREN_ORDER], max_results: CHILDREN_MAX }),
  });
  const list = q.data?.runs ?? [];
  if (!q.error && list.length === 0) return null;
  return (
    <Section title={`Child runs (${list.length}${q.data?.next_page_token ? '+' : ''})`}>
      <DataTable
        compact
        label="Child runs"
        query={q}
        rows={list}
        rowKey={(r) => r.info.run_id}
        empty="No child runs."
        columns={[
          { key: 'name', header: 'Run', cell: (r) => <Link to={`/runs/${r.info.run_id}`}>{runName(r)}</Link>, sortValue: runName },
          { key: 'status', header: 'Status', cell: (r) => <span className={`status status-${(r.info.status ?? '').toLowerCase()}`}>{(r.info.status ?? '').toLowerCase()}</span> },
          { key: 'start', header: 'Started', className: 'muted', cell: (r) => fmtTimeSec(r.info.start_time), sortValue: (r) => Number(r.info.start_time ?? 0) },
          { key: 'duration', header: 'Duration', className: 'muted', cell: (r) => fmtDuration(r.info.start_time, r.info.end_time) },
        ]}
      />
    </Section>
  );
}
