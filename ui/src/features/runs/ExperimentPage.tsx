import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { experiments } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import { ErrorView } from '../../components/ErrorView';
import { fmtTime } from '../../components/format';
import { InlineEdit } from '../../components/InlineEdit';
import { Breadcrumbs, PageHead } from '../../components/PageHead';
import { TagEditor } from '../../components/Tags';
import { Tabs } from '../../components/Tabs';
import { AccessPanel } from '../access/AccessPanel';
import { ReadOnlyBadge } from '../access/ReadOnlyBadge';
import { useMyAccessOn } from '../access/useMyAccess';
import { experimentTab, tabPages, type ExperimentTab } from './experimentRoute';
import { experimentQuery } from './queries';
import { RunsTable } from './RunsTable';

const SweepTab = tabPages.charts.Page;
const TracesTab = tabPages.traces.Page;
const DatasetsTab = tabPages.datasets.Page;

export default function ExperimentPage() {
  const { id = '' } = useParams();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const tab = experimentTab(params);
  const exp = useQuery(experimentQuery(id));
  const mine = useMyAccessOn(`experiment:${id}`);
  const canEdit = mine.canEdit;
  const refresh = () => {
    qc.invalidateQueries({ queryKey: queryKeys.experiment(id) });
    qc.invalidateQueries({ queryKey: queryKeys.experiments() });
  };
  const rename = useMutation({ mutationFn: (n: string) => experiments.rename(id, n), onSuccess: refresh });
  const e = exp.data?.experiment;
  return (
    <div className="page">
      <Breadcrumbs trail={[<Link to="/experiments">Experiments</Link>, e?.name ?? id]} />
      <ErrorView error={exp.error} onRetry={() => exp.refetch()} />
      {e && (
        <>
          <PageHead title={<InlineEdit value={e.name} label="experiment name" canEdit={canEdit} onSave={(v) => rename.mutateAsync(v.trim())} />}>
            <ReadOnlyBadge access={mine} />
            {e.lifecycle_stage === 'deleted' && <span className="badge badge-danger">deleted</span>}
          </PageHead>
          <div className="meta">
            <span>
              ID <span className="mono">{e.experiment_id}</span>
            </span>
            <span>Created {fmtTime(e.creation_time)}</span>
            <span>Updated {fmtTime(e.last_update_time)}</span>
            {e.artifact_location && (
              <span className="truncate" title={e.artifact_location}>
                Artifacts <span className="mono">{e.artifact_location}</span>
              </span>
            )}
          </div>
          <TagEditor
            tags={e.tags ?? []}
            canEdit={canEdit}
            label="Experiment tags"
            onSet={(k, v) => experiments.setTag(id, k, v)}
            onDelete={(k) => experiments.deleteTag(id, k)}
            onChanged={refresh}
          />
        </>
      )}
      {!exp.error && (
        <Tabs<ExperimentTab>
          label="Experiment sections"
          value={tab}
          onChange={(t) => setParams(t === 'runs' ? {} : { tab: t }, { replace: true })}
          tabs={[
            { id: 'runs', label: 'Runs' },
            { id: 'charts', label: 'Charts' },
            { id: 'traces', label: 'Traces' },
            { id: 'datasets', label: 'Datasets' },
          ]}
        />
      )}
      {/* The runs (traces, datasets) load alongside the experiment, not after it. */}
      {!exp.error && tab === 'runs' && <RunsTable experimentId={id} />}
      {!exp.error && tab === 'charts' && <SweepTab experimentId={id} />}
      {!exp.error && tab === 'traces' && <TracesTab experimentId={id} />}
      {!exp.error && tab === 'datasets' && <DatasetsTab experimentId={id} />}
      {e && <AccessPanel element={`experiment:${id}`} />}
    </div>
  );
}
