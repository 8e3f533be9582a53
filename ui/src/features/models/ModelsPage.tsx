import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { models } from '../../api/mlflow';
import { ErrorView } from '../../components/ErrorView';
import { fmtTime } from '../../components/format';
import { Modal } from '../../components/Modal';
import { useDebounced } from '../../components/useDebounced';
import { nameFilter } from '../experiments/ExperimentsPage';

const PAGE = 25;

export default function ModelsPage() {
  const [q, setQ] = useState('');
  const dq = useDebounced(q);
  const [tokens, setTokens] = useState<string[]>([]);
  const [creating, setCreating] = useState(false);
  const token = tokens[tokens.length - 1];
  const list = useQuery({
    queryKey: ['models', dq, token],
    queryFn: () => models.search({ filter: nameFilter(dq), order_by: ['name ASC'], max_results: PAGE, page_token: token }),
    placeholderData: (p) => p,
  });
  const rows = list.data?.registered_models ?? [];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Models</h1>
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
          New model
        </button>
      </div>
      <div className="toolbar">
        <input
          type="search"
          className="search"
          aria-label="Search models by name"
          placeholder="Search by name…"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setTokens([]);
          }}
        />
      </div>
      <ErrorView error={list.error} onRetry={() => list.refetch()} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Latest version</th>
            <th scope="col">Aliases</th>
            <th scope="col">Description</th>
            <th scope="col">Last updated</th>
          </tr>
        </thead>
        <tbody>
          {list.isLoading && (
            <tr>
              <td colSpan={5} className="muted">
                Loading…
              </td>
            </tr>
          )}
          {!list.isLoading && rows.length === 0 && !list.error && (
            <tr>
              <td colSpan={5} className="empty">
                {dq ? `No models match “${dq}”.` : 'No registered models yet. Register one from a run.'}
              </td>
            </tr>
          )}
          {rows.map((m) => {
            const latest = (m.latest_versions ?? []).reduce((a, v) => Math.max(a, Number(v.version)), 0);
            return (
              <tr key={m.name}>
                <td>
                  <Link to={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                </td>
                <td>{latest ? `Version ${latest}` : <span className="muted">—</span>}</td>
                <td>
                  {(m.aliases ?? []).map((a) => (
                    <span key={a.alias} className="alias">
                      @{a.alias} → v{a.version}
                    </span>
                  ))}
                </td>
                <td className="muted">
                  <span className="truncate" style={{ maxWidth: 360 }}>
                    {m.description || '—'}
                  </span>
                </td>
                <td>{fmtTime(m.last_updated_timestamp)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" className="btn btn-small" disabled={tokens.length === 0} onClick={() => setTokens((t) => t.slice(0, -1))}>
          ← Previous
        </button>
        <span className="muted">Page {tokens.length + 1}</span>
        <button type="button" className="btn btn-small" disabled={!list.data?.next_page_token} onClick={() => setTokens((t) => [...t, list.data!.next_page_token!])}>
          Next →
        </button>
      </div>
      {creating && <CreateModel onClose={() => setCreating(false)} />}
    </div>
  );
}

function CreateModel({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('');
  const [project, setProject] = useState('default');
  const [description, setDescription] = useState('');
  const qc = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => models.create(name.trim(), project.trim() || 'default', description || undefined),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: ['models'] });
      navigate(`/models/${encodeURIComponent(name.trim())}`);
    },
  });
  return (
    <Modal title="New model" onClose={onClose}>
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
        </label>
        <label>
          Description
          <textarea value={description} rows={3} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <ErrorView error={create.error} compact />
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!name.trim() || create.isPending}>
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}
