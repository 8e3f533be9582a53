import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { experiments } from '../../api/mlflow';
import type { Experiment } from '../../api/types';
import { ErrorView } from '../../components/ErrorView';
import { fmtTime } from '../../components/format';
import { Modal } from '../../components/Modal';
import { useDebounced } from '../../components/useDebounced';

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
  const [tokens, setTokens] = useState<string[]>([]); // stack of page tokens; last = current page
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Experiment | null>(null);
  const qc = useQueryClient();
  const pageToken = tokens[tokens.length - 1];

  const list = useQuery({
    queryKey: ['experiments', view, sort, dq, pageToken],
    queryFn: () =>
      experiments.search({
        filter: nameFilter(dq),
        order_by: SORTS[sort].order,
        view_type: view === 'deleted' ? 'DELETED_ONLY' : 'ACTIVE_ONLY',
        max_results: PAGE,
        page_token: pageToken,
      }),
    placeholderData: (prev) => prev,
  });

  const setParam = (k: string, v: string | null) => {
    const n = new URLSearchParams(params);
    if (v) n.set(k, v);
    else n.delete(k);
    setParams(n, { replace: true });
    setTokens([]);
  };

  const lifecycle = useMutation({
    mutationFn: (e: Experiment) => (view === 'deleted' ? experiments.restore(e.experiment_id) : experiments.remove(e.experiment_id)),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['experiments'] }),
  });

  const rows = list.data?.experiments ?? [];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Experiments</h1>
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
          New experiment
        </button>
      </div>
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Which experiments">
          <button type="button" aria-pressed={view === 'active'} onClick={() => setParam('view', null)}>
            Active
          </button>
          <button type="button" aria-pressed={view === 'deleted'} onClick={() => setParam('view', 'deleted')}>
            Deleted
          </button>
        </div>
        <input
          type="search"
          className="search"
          aria-label="Search experiments by name"
          placeholder="Search by name…"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setTokens([]);
          }}
        />
        <label className="inline-label">
          Sort
          <select value={sort} onChange={(e) => setParam('sort', e.target.value)}>
            {Object.entries(SORTS).map(([k, s]) => (
              <option key={k} value={k}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorView error={list.error} onRetry={() => list.refetch()} />
      <ErrorView error={lifecycle.error} compact />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">ID</th>
            <th scope="col">Tags</th>
            <th scope="col">Created</th>
            <th scope="col">Last updated</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.isLoading && (
            <tr>
              <td colSpan={6} className="muted">
                Loading…
              </td>
            </tr>
          )}
          {!list.isLoading && rows.length === 0 && !list.error && (
            <tr>
              <td colSpan={6} className="empty">
                {dq ? `No experiments match “${dq}”.` : view === 'deleted' ? 'No deleted experiments.' : 'No experiments yet. Create one to start tracking runs.'}
              </td>
            </tr>
          )}
          {rows.map((e) => (
            <tr key={e.experiment_id}>
              <td>
                {view === 'deleted' ? e.name : <Link to={`/experiments/${e.experiment_id}`}>{e.name}</Link>}
              </td>
              <td className="mono muted">{e.experiment_id}</td>
              <td>
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
              </td>
              <td>{fmtTime(e.creation_time)}</td>
              <td>{fmtTime(e.last_update_time)}</td>
              <td className="actions">
                {view === 'active' && (
                  <button type="button" className="btn btn-small" onClick={() => setRenaming(e)} aria-label={`Rename ${e.name}`}>
                    Rename
                  </button>
                )}
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
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" className="btn btn-small" disabled={tokens.length === 0} onClick={() => setTokens((t) => t.slice(0, -1))}>
          ← Previous
        </button>
        <span className="muted">Page {tokens.length + 1}</span>
        <button
          type="button"
          className="btn btn-small"
          disabled={!list.data?.next_page_token}
          onClick={() => setTokens((t) => [...t, list.data!.next_page_token!])}
        >
          Next →
        </button>
      </div>
      {creating && <CreateExperiment onClose={() => setCreating(false)} />}
      {renaming && <RenameExperiment experiment={renaming} onClose={() => setRenaming(null)} />}
    </div>
  );
}

function CreateExperiment({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('');
  const [project, setProject] = useState('default');
  const qc = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => experiments.create(name.trim(), project.trim() || 'default'),
    onSuccess: (r) => {
      qc.invalidateQueries({ queryKey: ['experiments'] });
      navigate(`/experiments/${r.experiment_id}`);
    },
  });
  return (
    <Modal title="New experiment" onClose={onClose}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Project
          <input value={project} onChange={(e) => setProject(e.target.value)} />
          <span className="hint">Access granted on the project reaches this experiment.</span>
        </label>
        <ErrorView error={create.error} compact />
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()}>
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function RenameExperiment({ experiment, onClose }: { experiment: Experiment; onClose: () => void }) {
  const [name, setName] = useState(experiment.name);
  const qc = useQueryClient();
  const rename = useMutation({
    mutationFn: () => experiments.rename(experiment.experiment_id, name.trim()),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: ['experiments'] });
      qc.invalidateQueries({ queryKey: ['experiment', experiment.experiment_id] });
      onClose();
    },
  });
  return (
    <Modal title="Rename experiment" onClose={onClose}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          rename.mutate();
        }}
      >
        <label>
          New name
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <ErrorView error={rename.error} compact />
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={rename.isPending || !name.trim()}>
            Rename
          </button>
        </div>
      </form>
    </Modal>
  );
}
