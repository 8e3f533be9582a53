import { useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { isApiError } from '../../api/client';
import { experiments, models, runs, versions } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import { ErrorView } from '../../components/ErrorView';
import { fmtDuration, fmtNum, fmtTimeSec } from '../../components/format';
import { InlineEdit } from '../../components/InlineEdit';
import { TextField } from '../../components/Field';
import { FormDialog } from '../../components/Modal';
import { Breadcrumbs, PageHead } from '../../components/PageHead';
import { Section } from '../../components/Section';
import { TagEditor } from '../../components/Tags';
import { Tabs } from '../../components/Tabs';
import { ReadOnlyBadge } from '../access/ReadOnlyBadge';
import { useMyAccessOn } from '../access/useMyAccess';
import { ArtifactBrowser } from './ArtifactBrowser';
import { MetricCharts } from './MetricCharts';
import { ChildRuns, ParentLink, parentIdOf } from './RunFamily';

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
  const metrics = useMemo(() => [...(run?.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key)), [run]);
  const params = useMemo(() => [...(run?.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key)), [run]);
  const metricKeys = useMemo(() => metrics.map((m) => m.key), [metrics]);
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
          {registering && <RegisterModel runId={runId} artifactUri={run.info.artifact_uri ?? ''} onClose={() => setRegistering(false)} />}
        </>
      )}
    </div>
  );
}

function RegisterModel({ runId, artifactUri, onClose }: { runId: string; artifactUri: string; onClose: () => void }) {
  const [name, setName] = useState('');
  const [path, setPath] = useState('model');
  const [project, setProject] = useState('default');
  const navigate = useNavigate();
  const register = useMutation({
    mutationFn: async () => {
      const n = name.trim();
      // ml_studio answers 403 alike for a model that does not exist and one
      // you may not read, so try to create it and report the first refusal.
      try {
        await models.get(n);
      } catch (e) {
        if (!isApiError(e) || (e.kind !== 'notfound' && e.kind !== 'forbidden')) throw e;
        try {
          await models.create(n, project.trim() || 'default');
        } catch (c) {
          throw isApiError(c) && c.kind === 'invalid' ? e : c;
        }
      }
      const source = `${artifactUri.replace(/\/$/, '')}/${path.replace(/^\//, '')}`;
      return versions.create(n, source, runId);
    },
    onSuccess: () => navigate(`/models/${encodeURIComponent(name.trim())}`),
  });
  return (
    <FormDialog title="Register model" onClose={onClose} onSubmit={() => register.mutate()} submitLabel="Register" canSubmit={!!name.trim()} busy={register.isPending} error={register.error}>
      <TextField label="Model name" value={name} onChange={setName} required hint="A new version is added to the model; the model is created if it does not exist yet." />
      <TextField label="Project (for a new model)" value={project} onChange={setProject} />
      <TextField label="Artifact path of the model in this run" value={path} onChange={setPath} />
    </FormDialog>
  );
}
