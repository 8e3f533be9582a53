import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { tokens } from '../../api/account';
import type { ApiToken } from '../../api/types';
import { ErrorView } from '../../components/ErrorView';
import { fmtTime } from '../../components/format';
import { useUser } from '../auth/AuthContext';

export function trackingUri(loc: Pick<Location, 'protocol' | 'hostname'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'https:' : 'http:'}//${loc.hostname}:5001`;
}

export function notebookSnippet(uri: string, token: string): string {
  return `import os
os.environ["MLFLOW_TRACKING_URI"] = "${uri}"
os.environ["MLFLOW_TRACKING_TOKEN"] = "${token}"

import mlflow
mlflow.set_experiment("my-experiment")
with mlflow.start_run():
    mlflow.log_param("lr", 0.01)
    mlflow.log_metric("accuracy", 0.93)`;
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The secret of a new token: shown once, copyable, gone when dismissed. */
export function NewTokenSecret({ token, onDone }: { token: ApiToken; onDone: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  return (
    <div className="alert alert-ok" role="status" style={{ flexDirection: 'column', alignItems: 'stretch' }}>
      <strong>Token “{token.name}” created. Copy it now — it will not be shown again.</strong>
      <div className="token-secret">
        <code data-testid="token-secret">{token.token}</code>
        <button type="button" className="btn" onClick={async () => setCopied(await copy(token.token ?? ''))}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="btn btn-primary" onClick={onDone}>
          Done
        </button>
      </div>
      {copied === false && <span className="small">Copying was blocked by the browser; select the token and copy it by hand.</span>}
    </div>
  );
}

export default function AccountPage() {
  const user = useUser();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['tokens'], queryFn: tokens.list });
  const [name, setName] = useState('');
  const [days, setDays] = useState(90);
  const [fresh, setFresh] = useState<ApiToken | null>(null);
  const create = useMutation({
    mutationFn: () => tokens.create(name.trim(), days),
    onSuccess: (t) => {
      setFresh(t);
      setName('');
      qc.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  const revoke = useMutation({ mutationFn: (id: number) => tokens.revoke(id), onSuccess: () => qc.invalidateQueries({ queryKey: ['tokens'] }) });
  const uri = trackingUri();
  const items = list.data?.items ?? [];
  return (
    <div className="page">
      <div className="page-head">
        <h1>My account</h1>
      </div>
      <section className="card" aria-labelledby="me-title">
        <h2 id="me-title">Profile</h2>
        <div className="grid-3">
          <div className="stat">
            <span className="muted small">Username</span>
            <span className="stat-value">{user?.username}</span>
          </div>
          <div className="stat">
            <span className="muted small">Name</span>
            <span className="stat-value">{user?.display_name || '—'}</span>
          </div>
          <div className="stat">
            <span className="muted small">Email</span>
            <span className="stat-value">{user?.email || '—'}</span>
          </div>
        </div>
      </section>
      <section className="card" aria-labelledby="tokens-title">
        <div className="card-head">
          <h2 id="tokens-title">API tokens</h2>
          <span className="muted small">Use a token for scripts and notebooks instead of your password.</span>
        </div>
        <form
          className="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) create.mutate();
          }}
        >
          <label>
            Token name
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. laptop notebook" />
          </label>
          <label>
            Expires in
            <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
              <option value={7}>7 days</option>
              <option value={30}>30 days</option>
              <option value={90}>90 days</option>
              <option value={365}>1 year</option>
            </select>
          </label>
          <button type="submit" className="btn btn-primary" disabled={!name.trim() || create.isPending}>
            Create token
          </button>
        </form>
        <ErrorView error={create.error} compact />
        {fresh && <NewTokenSecret token={fresh} onDone={() => setFresh(null)} />}
        <ErrorView error={list.error} onRetry={() => list.refetch()} />
        <ErrorView error={revoke.error} compact />
        <table className="table table-compact" aria-label="Your API tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 && !list.isLoading && (
              <tr>
                <td colSpan={6} className="muted">
                  No tokens yet.
                </td>
              </tr>
            )}
            {items.map((t) => {
              const expired = new Date(t.expires_at).getTime() < Date.now();
              return (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{fmtTime(t.created_at)}</td>
                  <td>{fmtTime(t.expires_at)}</td>
                  <td>{t.last_used_at ? fmtTime(t.last_used_at) : <span className="muted">never</span>}</td>
                  <td>{t.revoked ? <span className="pill pill-deny">revoked</span> : expired ? <span className="pill">expired</span> : <span className="pill pill-ok">active</span>}</td>
                  <td className="actions">
                    {!t.revoked && !expired && (
                      <button type="button" className="btn btn-small btn-danger" aria-label={`Revoke token ${t.name}`} onClick={() => revoke.mutate(t.id)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <section className="card" aria-labelledby="snippet-title">
        <div className="card-head">
          <h2 id="snippet-title">Use ML Studio from a notebook</h2>
          <button type="button" className="btn btn-small" onClick={() => copy(notebookSnippet(uri, fresh?.token ?? '<your API token>'))}>
            Copy snippet
          </button>
        </div>
        <p className="muted">
          The MLflow client talks to ML Studio like to any tracking server. Set these two variables (the token from above) before importing mlflow:
        </p>
        <pre className="snippet" data-testid="snippet">{notebookSnippet(uri, fresh?.token ?? '<your API token>')}</pre>
        <p className="muted small">
          Or in a shell: <code className="mono">export MLFLOW_TRACKING_URI={uri} MLFLOW_TRACKING_TOKEN=&lt;your API token&gt;</code>
        </p>
      </section>
    </div>
  );
}
