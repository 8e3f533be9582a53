import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { models } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { ModelVersion } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { SearchInput, SelectField, TextAreaField, TextField } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { FormDialog } from '../../components/Modal';
import { PageHead } from '../../components/PageHead';
import { useDebounced } from '../../components/useDebounced';
import { usePagedList } from '../../components/usePagedList';
import { useMyAccess, useProjectCandidates } from '../access/useMyAccess';
import { nameFilter } from '../experiments/ExperimentsPage';

const PAGE = 25;

const STAGE_ORDER = ['Production', 'Staging', 'Archived'];

/** The latest version in each stage but None, Production first. */
export function stagedVersions(latest: readonly ModelVersion[]): { stage: string; version: string }[] {
  const best = new Map<string, string>();
  for (const v of latest) {
    const stage = v.current_stage ?? 'None';
    if (stage === 'None') continue;
    const had = best.get(stage);
    if (had === undefined || Number(v.version) > Number(had)) best.set(stage, v.version);
  }
  const rank = (s: string) => (STAGE_ORDER.indexOf(s) + STAGE_ORDER.length + 1) % (STAGE_ORDER.length + 1);
  return [...best.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)).map(([stage, version]) => ({ stage, version }));
}

export default function ModelsPage() {
  const [q, setQ] = useState('');
  const dq = useDebounced(q);
  const [creating, setCreating] = useState(false);
  const { query: list, pager } = usePagedList({
    queryKey: queryKeys.modelList(dq),
    fetchPage: (page_token) => models.search({ filter: nameFilter(dq), order_by: ['name ASC'], max_results: PAGE, page_token }),
    nextCursor: (r) => r.next_page_token || undefined,
  });
  // A model's own actions are on its page; here, only where the caller may create one.
  const candidates = useProjectCandidates();
  const mine = useMyAccess(candidates && candidates.map((p) => `project:${p}`));
  const creatable = (candidates ?? []).filter((p) => mine.can('create', `project:${p}`));
  return (
    <div className="page">
      <PageHead title="Models">
        {creatable.length > 0 && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            New model
          </button>
        )}
      </PageHead>
      <div className="toolbar">
        <SearchInput label="Search models by name" value={q} onChange={setQ} />
      </div>
      <DataTable
        query={list}
        rows={list.data?.registered_models ?? []}
        rowKey={(m) => m.name}
        empty={dq ? `No models match “${dq}”.` : 'No registered models yet. Register one from a run.'}
        pager={pager}
        columns={[
          { key: 'name', header: 'Name', cell: (m) => <Link to={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link> },
          {
            key: 'latest',
            header: 'Latest version',
            cell: (m) => {
              const latest = (m.latest_versions ?? []).reduce((a, v) => Math.max(a, Number(v.version)), 0);
              return latest ? `Version ${latest}` : <span className="muted">—</span>;
            },
          },
          {
            key: 'stages',
            header: 'Stages',
            // MLflow's latest_versions holds the newest version in each stage.
            cell: (m) => {
              const staged = stagedVersions(m.latest_versions ?? []);
              return staged.length ? (
                staged.map((v) => (
                  <Link key={v.stage} to={`/models/${encodeURIComponent(m.name)}/versions/${encodeURIComponent(v.version)}`} className={`stage-chip stage-${v.stage.toLowerCase()}`}>
                    {v.stage} v{v.version}
                  </Link>
                ))
              ) : (
                <span className="muted">—</span>
              );
            },
          },
          {
            key: 'aliases',
            header: 'Aliases',
            cell: (m) =>
              (m.aliases ?? []).map((a) => (
                <span key={a.alias} className="alias">
                  @{a.alias} → v{a.version}
                </span>
              )),
          },
          {
            key: 'description',
            header: 'Description',
            className: 'muted',
            cell: (m) => (
              <span className="truncate" style={{ maxWidth: 360 }}>
                {m.description || '—'}
              </span>
            ),
          },
          { key: 'updated', header: 'Last updated', cell: (m) => fmtTime(m.last_updated_timestamp) },
        ]}
      />
      {creating && <CreateModel projects={creatable} onClose={() => setCreating(false)} />}
    </div>
  );
}

function CreateModel({ projects, onClose }: { projects: readonly string[]; onClose: () => void }) {
  const [name, setName] = useState('');
  const [project, setProject] = useState(projects.includes('default') ? 'default' : (projects[0] ?? 'default'));
  const [description, setDescription] = useState('');
  const qc = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => models.create(name.trim(), project.trim() || 'default', description || undefined),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: queryKeys.models() });
      navigate(`/models/${encodeURIComponent(name.trim())}`);
    },
  });
  return (
    <FormDialog title="New model" onClose={onClose} onSubmit={() => create.mutate()} submitLabel="Create" canSubmit={!!name.trim()} busy={create.isPending} error={create.error}>
      <TextField label="Name" value={name} onChange={setName} required />
      <SelectField label="Project" value={project} onChange={setProject} options={projects} />
      <TextAreaField label="Description" value={description} onChange={setDescription} />
    </FormDialog>
  );
}
