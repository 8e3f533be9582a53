import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { experiments } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { Experiment } from '../../api/types';
import { actionsColumn, DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { Options, SearchInput, SelectField, TextField } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { FormDialog } from '../../components/Modal';
import { PageHead } from '../../components/PageHead';
import { useDebounced } from '../../components/useDebounced';
import { usePagedList } from '../../components/usePagedList';
import { useMyAccess, useProjectCandidates } from '../access/useMyAccess';

const SORTS: Record<string, { label: string; order: string[] }> = {
  updated: { label: 'Last updated', order: ['last_update_time DESC'] },
  created: { label: 'Newest first', order: ['creation_time DESC'] },
  name: { label: 'Name A–Z', order: ['name ASC'] },
  name_desc: { label: 'Name Z–A', order: ['name DESC'] },
};
const PAGE = 25;

export function nameFilter(q: string): string | undefined {
  const t = q.trim();
  if (!t) return undefined;
  return `name LIKE '%${t.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}%'`;
}

export default function ExperimentsPage() {
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'deleted' ? 'deleted' : 'active';
  const sort = params.get('sort') && SORTS[params.get('sort')!] ? params.get('sort')! : 'updated';
  const [q, setQ] = useState(params.get('q') ?? '');
  const dq = useDebounced(q);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Experiment | null>(null);
  const qc = useQueryClient();

  // A new view, sort or search starts again on page 1.
  const { query: list, pager } = usePagedList({
    queryKey: queryKeys.experimentList(view, sort, dq),
    fetchPage: (page_token) =>
      experiments.search({
        filter: nameFilter(dq),
        order_by: SORTS[sort].order,
        view_type: view === 'deleted' ? 'DELETED_ONLY' : 'ACTIVE_ONLY',
        max_results: PAGE,
        page_token,
      }),
    nextCursor: (r) => r.next_page_token || undefined,
  });

  // One question to cerberus for the page: what may I do on these experiments, and in which projects may I create?
  const rows = list.data?.experiments;
  const candidates = useProjectCandidates();
  const mine = useMyAccess(rows && candidates ? [...rows.map((e) => `experiment:${e.experiment_id}`), ...candidates.map((p) => `project:${p}`)] : null);
  const creatable = (candidates ?? []).filter((p) => mine.can('create', `project:${p}`));

  const setParam = (k: string, v: string | null) => {
    const n = new URLSearchParams(params);
    if (v) n.set(k, v);
    else n.delete(k);
    setParams(n, { replace: true });
  };

  const lifecycle = useMutation({
    mutationFn: (e: Experiment) => (view === 'deleted' ? experiments.restore(e.experiment_id) : experiments.remove(e.experiment_id)),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.experiments() }),
  });

  return (
    <div className="page">
      <PageHead title="Experiments">
        {creatable.length > 0 && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            New experiment
          </button>
        )}
      </PageHead>
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Which experiments">
          <button type="button" aria-pressed={view === 'active'} onClick={() => setParam('view', null)}>
            Active
          </button>
          <button type="button" aria-pressed={view === 'deleted'} onClick={() => setParam('view', 'deleted')}>
            Deleted
          </button>
        </div>
        <SearchInput label="Search experiments by name" value={q} onChange={setQ} />
        <label className="inline-label">
          Sort
          <select value={sort} onChange={(e) => setParam('sort', e.target.value)}>
            <Options options={Object.entries(SORTS).map(([value, s]) => ({ value, label: s.label }))} />
          </select>
        </label>
      </div>
      <ErrorView error={lifecycle.error} compact />
      <DataTable
        query={list}
        rows={list.data?.experiments ?? []}
        rowKey={(e) => e.experiment_id}
        empty={dq ? `No experiments match “${dq}”.` : view === 'deleted' ? 'No deleted experiments.' : 'No experiments yet. Create one to start tracking runs.'}
        pager={pager}
        columns={[
          { key: 'name', header: 'Name', cell: (e) => (view === 'deleted' ? e.name : <Link to={`/experiments/${e.experiment_id}`}>{e.name}</Link>) },
          { key: 'id', header: 'ID', className: 'mono muted', cell: (e) => e.experiment_id },
          {
            key: 'tags',
            header: 'Tags',
            cell: (e) => (
              <span className="tag-inline">
                {(e.tags ?? [])
                  .filter((t) => !t.key.startsWith('mlflow.'))
                  .slice(0, 4)
                  .map((t) => (
                    <span key={t.key} className="tag tag-small">
                      {t.key}
                      {t.value ? `: ${t.value}` : ''}
                    </span>
                  ))}
              </span>
            ),
          },
          { key: 'created', header: 'Created', cell: (e) => fmtTime(e.creation_time) },
          { key: 'updated', header: 'Last updated', cell: (e) => fmtTime(e.last_update_time) },
          actionsColumn((e: Experiment) => (
            <>
              {view === 'active' && mine.can('edit', `experiment:${e.experiment_id}`) && (
                <button type="button" className="btn btn-small" onClick={() => setRenaming(e)} aria-label={`Rename ${e.name}`}>
                  Rename
                </button>
              )}
              {mine.can('manage', `experiment:${e.experiment_id}`) && (
                <button
                  type="button"
                  className={`btn btn-small${view === 'active' ? ' btn-danger' : ''}`}
                  aria-label={`${view === 'deleted' ? 'Restore' : 'Delete'} ${e.name}`}
                  disabled={lifecycle.isPending}
                  onClick={() => {
                    if (view === 'deleted' || window.confirm(`Delete experiment “${e.name}”? It can be restored from the Deleted view.`)) lifecycle.mutate(e);
                  }}
                >
                  {view === 'deleted' ? 'Restore' : 'Delete'}
                </button>
              )}
            </>
          )),
        ]}
      />
      {creating && <CreateExperiment projects={creatable} onClose={() => setCreating(false)} />}
      {renaming && <RenameExperiment experiment={renaming} onClose={() => setRenaming(null)} />}
    </div>
  );
}

/** `projects`: those the caller may create in (the list is never empty when this opens). */
function CreateExperiment({ projects, onClose }: { projects: readonly string[]; onClose: () => void }) {
  const [name, setName] = useState('');
  const [project, setProject] = useState(projects.includes('default') ? 'default' : (projects[0] ?? 'default'));
  const qc = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => experiments.create(name.trim(), project.trim() || 'default'),
    onSuccess: (r) => {
      qc.invalidateQueries({ queryKey: queryKeys.experiments() });
      navigate(`/experiments/${r.experiment_id}`);
    },
  });
  return (
    <FormDialog title="New experiment" onClose={onClose} onSubmit={() => create.mutate()} submitLabel="Create" canSubmit={!!name.trim()} busy={create.isPending} error={create.error}>
      <TextField label="Name" value={name} onChange={setName} required />
      <SelectField label="Project" value={project} onChange={setProject} options={projects} />
      <span className="hint">Access granted on the project reaches this experiment.</span>
    </FormDialog>
  );
}

export function RenameExperiment({ experiment, onClose }: { experiment: Experiment; onClose: () => void }) {
  const [name, setName] = useState(experiment.name);
  const qc = useQueryClient();
  const rename = useMutation({
    mutationFn: () => experiments.rename(experiment.experiment_id, name.trim()),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: queryKeys.experiments() });
      qc.invalidateQueries({ queryKey: queryKeys.experiment(experiment.experiment_id) });
      onClose();
    },
  });
  return (
    <FormDialog title="Rename experiment" onClose={onClose} onSubmit={() => rename.mutate()} submitLabel="Rename" canSubmit={!!name.trim()} busy={rename.isPending} error={rename.error}>
      <TextField label="New name" value={name} onChange={setName} required />
    </FormDialog>
  );
}
