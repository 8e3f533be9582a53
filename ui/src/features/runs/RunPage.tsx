import { useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { experiments, runs } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import { ErrorView } from '../../components/ErrorView';
import { fmtDuration, fmtNum, fmtTimeSec } from '../../components/format';
import { InlineEdit } from '../../components/InlineEdit';
import { Breadcrumbs, PageHead } from '../../components/PageHead';
import { Section } from '../../components/Section';
import { TagEditor } from '../../components/Tags';
import { Tabs } from '../../components/Tabs';
import { ReadOnlyBadge } from '../access/ReadOnlyBadge';
import { useMyAccessOn } from '../access/useMyAccess';
import { ArtifactBrowser } from './ArtifactBrowser';
import { MetricCharts } from './MetricCharts';
import { ChildRuns, ParentLink, parentIdOf } from './RunFamily';
import { RunDatasets, RunDescription, RunModels, RunSourceLine } from './RunDetails';
import { RegisterModel } from './RegisterModel';
import { isSystemMetric } from './runSource';

function KV({ rows, label, empty }: { rows: { key: string; value: string }[]; label: string; empty: string }) {
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <div className="kv-scroll">
      <table className="kv" aria-label={label}>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{r.key}</th>
              <td>{r.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function RunPage() {
  const { runId = '' } = useParams();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: queryKeys.run(runId), queryFn: () => runs.get(runId) });
  const run = q.data?.run;
  const expId = run?.info.experiment_id ?? '';
  const exp = useQuery({ queryKey: queryKeys.experiment(expId), queryFn: () => experiments.get(expId), enabled: !!expId });
  const mine = useMyAccessOn(expId ? `experiment:${expId}` : null);
  const canEdit = !!expId && mine.canEdit;
  const [tab, setTab] = useState<'overview' | 'charts' | 'artifacts'>('overview');
  const [registering, setRegistering] = useState(false);
  const refresh = () => {
    qc.invalidateQueries({ queryKey: queryKeys.run(runId) });
    qc.invalidateQueries({ queryKey: queryKeys.runs(expId) });
  };
  const rename = useMutation({ mutationFn: (n: string) => runs.rename(runId, n), onSuccess: refresh });
  const lifecycle = useMutation({
    mutationFn: () => (run?.info.lifecycle_stage === 'deleted' ? runs.restore(runId) : runs.remove(runId)),
    onSuccess: refresh,
  });
  const allMetrics = useMemo(() => [...(run?.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key)), [run]);
  // System metrics (system/cpu…, memory, GPU) apart from what the model reports.
  const metrics = useMemo(() => allMetrics.filter((m) => !isSystemMetric(m.key)), [allMetrics]);
  const systemMetrics = useMemo(() => allMetrics.filter((m) => isSystemMetric(m.key)), [allMetrics]);
  const params = useMemo(() => [...(run?.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key)), [run]);
  const metricKeys = useMemo(() => allMetrics.map((m) => m.key), [allMetrics]);
  const name = run?.info.run_name || run?.data.tags?.find((t) => t.key === 'mlflow.runName')?.value || runId;
  const runRefs = useMemo(() => [{ id: runId, name }], [runId, name]);
  const deleted = run?.info.lifecycle_stage === 'deleted';

  return (
    <div className="page">
      <Breadcrumbs trail={[<Link to="/experiments">Experiments</Link>, expId ? <Link to={`/experiments/${expId}`}>{exp.data?.experiment.name ?? expId}</Link> : '…', name]} />
      <ErrorView error={q.error} onRetry={() => q.refetch()} />
      {run && (
        <>
          <PageHead title={<InlineEdit value={name} label="run name" canEdit={canEdit} onSave={(v) => rename.mutateAsync(v.trim())} />}>
            <span className={`status status-${(run.info.status ?? '').toLowerCase()}`}>{(run.info.status ?? '').toLowerCase()}</span>
            {deleted && <span className="badge badge-danger">deleted</span>}
            <ReadOnlyBadge access={mine} />
            {canEdit && (
              <>
                <button type="button" className="btn" onClick={() => setRegistering(true)}>
                  Register model
                </button>
                <button
                  type="button"
                  className={`btn${deleted ? '' : ' btn-danger'}`}
                  disabled={lifecycle.isPending}
                  onClick={() => (deleted || window.confirm(`Delete run “${name}”? It can be restored.`)) && lifecycle.mutate()}
                >
                  {deleted ? 'Restore run' : 'Delete run'}
                </button>
              </>
            )}
          </PageHead>
          <ErrorView error={lifecycle.error} compact />
          <div className="meta">
            <span>
              Run ID <span className="mono">{run.info.run_id}</span>
            </span>
            <span>Started {fmtTimeSec(run.info.start_time)}</span>
            <span>Duration {fmtDuration(run.info.start_time, run.info.end_time)}</span>
            {parentIdOf(run) && <ParentLink parentId={parentIdOf(run)!} />}
            {run.info.user_id && <span>By {run.info.user_id}</span>}
          </div>
          <RunSourceLine run={run} />
          <TagEditor
            tags={run.data.tags ?? []}
            canEdit={canEdit}
            label="Run tags"
            onSet={(k, v) => runs.setTag(runId, k, v)}
            onDelete={(k) => runs.deleteTag(runId, k)}
            onChanged={refresh}
          />
          <Tabs
            label="Run sections"
            value={tab}
            onChange={setTab}
            tabs={[
              { id: 'overview', label: 'Overview' },
              { id: 'charts', label: `Charts (${metricKeys.length})` },
              { id: 'artifacts', label: 'Artifacts' },
            ]}
          />
          {tab === 'overview' && <RunDescription run={run} canEdit={canEdit} onChanged={refresh} />}
          {tab === 'overview' && expId && <ChildRuns runId={runId} experimentId={expId} />}
          {tab === 'overview' && (
            <div className="grid-2">
              <Section title="Metrics (latest)">
                <KV label="Metrics" empty="No metrics." rows={metrics.map((m) => ({ key: m.key, value: `${fmtNum(m.value)}${m.step !== undefined ? `  (step ${m.step})` : ''}` }))} />
              </Section>
              <Section title="Parameters">
                <KV label="Parameters" empty="No parameters." rows={params} />
              </Section>
            </div>
          )}
          {tab === 'overview' && systemMetrics.length > 0 && (
            <Section title={`System metrics (${systemMetrics.length})`}>
              <KV label="System metrics" empty="No system metrics." rows={systemMetrics.map((m) => ({ key: m.key.slice('system/'.length), value: `${fmtNum(m.value)}${m.step !== undefined ? `  (step ${m.step})` : ''}` }))} />
            </Section>
          )}
          {tab === 'overview' && <RunDatasets inputs={run.inputs?.dataset_inputs ?? []} />}
          {tab === 'overview' && <RunModels run={run} />}
          {tab === 'charts' && (
            <section className="card" aria-label="Metric charts">
              <MetricCharts runs={runRefs} metricKeys={metricKeys} />
            </section>
          )}
          {tab === 'artifacts' && (
            <section className="card" aria-label="Artifacts">
              <ArtifactBrowser runId={runId} />
            </section>
          )}
          {registering && <RegisterModel run={run} onClose={() => setRegistering(false)} />}
        </>
      )}
    </div>
  );
}
