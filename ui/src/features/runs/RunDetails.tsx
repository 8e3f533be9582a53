// The parts of a run's page that tell where it came from and what it used
// and made: source and git commit, description, dataset inputs, logged
// models and the registered versions made from it.

import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { loggedModels, runs, versions } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { DatasetInput, LoggedModel, Run } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { fmtTime } from '../../components/format';
import { InlineEdit } from '../../components/InlineEdit';
import { Section } from '../../components/Section';
import { DATASET_CONTEXT_TAG } from './columns';
import { commitUrl, runSource, SOURCE_TAGS, SOURCE_TYPES, tagOf } from './runSource';

/** Source, type, git commit (linked when the repository is known), branch and entry point; nothing when the run has none. */
export function RunSourceLine({ run }: { run: Run }) {
  const s = runSource(run);
  if (!s.name && !s.commit && !s.entryPoint && !s.type) return null;
  const url = commitUrl(s.repo, s.commit);
  return (
    <div className="meta" aria-label="Source" role="group">
      {s.name && (
        <span>
          Source <span className="mono">{s.name}</span>
          {s.type && <span className="muted"> ({SOURCE_TYPES[s.type] ?? s.type.toLowerCase()})</span>}
        </span>
      )}
      {!s.name && s.type && <span>Source type {SOURCE_TYPES[s.type] ?? s.type}</span>}
      {s.commit && (
        <span>
          Git commit{' '}
          {url ? (
            <a className="mono" href={url} target="_blank" rel="noopener noreferrer" title={`${s.commit} in ${s.repo}`}>
              {s.commit.slice(0, 10)}
            </a>
          ) : (
            <span className="mono" title={s.commit}>
              {s.commit.slice(0, 10)}
            </span>
          )}
          {s.branch && <span className="muted"> on {s.branch}</span>}
        </span>
      )}
      {s.entryPoint && (
        <span>
          Entry point <span className="mono">{s.entryPoint}</span>
        </span>
      )}
    </div>
  );
}

/** The run's description (MLflow keeps it in the mlflow.note.content tag), editable by those who may edit the run. */
export function RunDescription({ run, canEdit, onChanged }: { run: Run; canEdit: boolean; onChanged: () => void }) {
  const note = tagOf(run, SOURCE_TAGS.note) ?? '';
  return (
    <Section title="Description">
      <InlineEdit
        value={note}
        label="run description"
        multiline
        canEdit={canEdit}
        onSave={async (v) => {
          await runs.setTag(run.info.run_id, SOURCE_TAGS.note, v);
          onChanged();
        }}
        render={(v) => (v ? <span style={{ whiteSpace: 'pre-wrap' }}>{v}</span> : <span className="muted">No description.</span>)}
      />
    </Section>
  );
}

function parseJson(s: string | undefined): unknown {
  if (!s) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** The column names of a dataset's schema (MLflow's colspec or tensor spec JSON), or [] when unreadable. */
export function schemaColumns(schema: string | undefined): string[] {
  const j = parseJson(schema) as { mlflow_colspec?: { name?: string; type?: unknown }[]; mlflow_tensorspec?: unknown } | undefined;
  return (j?.mlflow_colspec ?? []).map((c) => (c.name ? `${c.name}: ${typeof c.type === 'string' ? c.type : 'object'}` : typeof c.type === 'string' ? c.type : '?'));
}

/** Rows in a dataset's profile ({"num_rows": n}), when it says. */
export function profileRows(profile: string | undefined): number | undefined {
  const j = parseJson(profile) as { num_rows?: unknown } | undefined;
  return typeof j?.num_rows === 'number' ? j.num_rows : undefined;
}

export function RunDatasets({ inputs }: { inputs: DatasetInput[] }) {
  if (inputs.length === 0) return null;
  return (
    <Section title={`Datasets (${inputs.length})`}>
      <DataTable
        compact
        label="Datasets used"
        rows={inputs}
        rowKey={(d) => `${d.dataset.name}@${d.dataset.digest}:${d.tags?.find((t) => t.key === DATASET_CONTEXT_TAG)?.value ?? ''}`}
        empty="No datasets."
        columns={[
          { key: 'name', header: 'Dataset', cell: (d) => <strong>{d.dataset.name}</strong> },
          { key: 'digest', header: 'Digest', cell: (d) => <span className="mono">{d.dataset.digest}</span> },
          { key: 'context', header: 'Context', cell: (d) => d.tags?.find((t) => t.key === DATASET_CONTEXT_TAG)?.value ?? <span className="muted">—</span> },
          { key: 'source', header: 'Source', cell: (d) => d.dataset.source_type ?? '—' },
          { key: 'rows', header: 'Rows', className: 'num', cell: (d) => profileRows(d.dataset.profile)?.toLocaleString() ?? '—' },
          {
            key: 'schema',
            header: 'Schema',
            cell: (d) => {
              const cols = schemaColumns(d.dataset.schema);
              return cols.length ? (
                <span className="mono small truncate" style={{ maxWidth: 420, display: 'inline-block' }} title={cols.join('\n')}>
                  {cols.join(', ')}
                </span>
              ) : (
                <span className="muted">—</span>
              );
            },
          },
        ]}
      />
    </Section>
  );
}

/** The MLflow 3 logged models a run produced: its outputs, found in its experiment by source run. */
export function useRunLoggedModels(run: Run | undefined) {
  const runId = run?.info.run_id ?? '';
  const expId = run?.info.experiment_id ?? '';
  return useQuery({
    queryKey: queryKeys.runLoggedModels(runId),
    queryFn: async () => (await loggedModels.ofRun(expId, runId)).models ?? [],
    enabled: !!runId && !!expId,
    retry: false,
  });
}

export const loggedModelUri = (m: LoggedModel) => `models:/${m.info.model_id}`;

/** Logged models of the run and the registered versions made from it; nothing when there are neither. */
export function RunModels({ run }: { run: Run }) {
  const runId = run.info.run_id;
  const logged = useRunLoggedModels(run);
  const registered = useQuery({ queryKey: queryKeys.runVersions(runId), queryFn: () => versions.ofRun(runId), retry: false });
  const models = logged.data ?? [];
  const found = new Set(models.map((m) => m.info.model_id));
  // An output the search did not return (another experiment's model, or one being written).
  const others = (run.outputs?.model_outputs ?? []).map((o) => o.model_id).filter((id) => !found.has(id));
  const vers = registered.data?.model_versions ?? [];
  return (
    <>
      {(models.length > 0 || others.length > 0 || logged.error) && (
        <Section title={`Logged models (${models.length + others.length})`}>
          <DataTable
            compact
            label="Logged models"
            query={logged}
            rows={[...models, ...others.map((id): LoggedModel => ({ info: { model_id: id, experiment_id: '', name: '' } }))]}
            rowKey={(m) => m.info.model_id}
            empty="No logged models."
            columns={[
              { key: 'name', header: 'Name', cell: (m) => (m.info.name ? <strong>{m.info.name}</strong> : <span className="muted">—</span>) },
              { key: 'uri', header: 'Model URI', cell: (m) => <span className="mono">{loggedModelUri(m)}</span> },
              { key: 'status', header: 'Status', cell: (m) => (m.info.status ?? '').replace(/^LOGGED_MODEL_/, '').toLowerCase() || '—' },
              { key: 'created', header: 'Created', className: 'muted', cell: (m) => fmtTime(m.info.creation_timestamp_ms) },
            ]}
          />
        </Section>
      )}
      {(vers.length > 0 || registered.error) && (
        <Section title={`Registered versions (${vers.length})`}>
          <DataTable
            compact
            label="Registered model versions"
            query={registered}
            rows={vers}
            rowKey={(v) => `${v.name}/${v.version}`}
            empty="Not registered."
            columns={[
              { key: 'model', header: 'Model', cell: (v) => <Link to={`/models/${encodeURIComponent(v.name)}`}>{v.name}</Link> },
              {
                key: 'version',
                header: 'Version',
                cell: (v) => <Link to={`/models/${encodeURIComponent(v.name)}/versions/${encodeURIComponent(v.version)}`}>Version {v.version}</Link>,
              },
              { key: 'stage', header: 'Stage', cell: (v) => v.current_stage ?? 'None' },
              { key: 'source', header: 'From', cell: (v) => <span className="mono small">{v.model_id ? `models:/${v.model_id}` : (v.source ?? '—')}</span> },
              { key: 'created', header: 'Created', className: 'muted', cell: (v) => fmtTime(v.creation_timestamp) },
            ]}
          />
        </Section>
      )}
    </>
  );
}
