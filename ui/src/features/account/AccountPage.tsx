import { useState, type ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { tokens } from '../../api/account';
import { queryKeys } from '../../api/queryKeys';
import type { ApiToken } from '../../api/types';
import { actionsColumn, DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { SelectField, TextField } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { InlineForm } from '../../components/InlineForm';
import { PageHead } from '../../components/PageHead';
import { Section } from '../../components/Section';
import { useUser } from '../auth/AuthContext';
import { ChangePassword } from './ChangePassword';

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

const EXPIRIES = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
];

const expired = (t: ApiToken) => new Date(t.expires_at).getTime() < Date.now();

function Stat({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="stat">
      <span className="muted small">{label}</span>
      <span className="stat-value">{value}</span>
    </div>
  );
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
  const list = useQuery({ queryKey: queryKeys.tokens(), queryFn: tokens.list });
  const [name, setName] = useState('');
  const [days, setDays] = useState(90);
  const [fresh, setFresh] = useState<ApiToken | null>(null);
  const create = useMutation({
    mutationFn: () => tokens.create(name.trim(), days),
    onSuccess: (t) => {
      setFresh(t);
      setName('');
      qc.invalidateQueries({ queryKey: queryKeys.tokens() });
    },
  });
  const revoke = useMutation({ mutationFn: (id: number) => tokens.revoke(id), onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.tokens() }) });
  const uri = trackingUri();
  const snippet = notebookSnippet(uri, fresh?.token ?? '<your API token>');
  return (
    <div className="page">
      <PageHead title="My account" />
      <Section title="Profile">
        <div className="grid-3">
          <Stat label="Username" value={user?.username} />
          <Stat label="Name" value={user?.display_name || '—'} />
          <Stat label="Email" value={user?.email || '—'} />
        </div>
      </Section>
      {user && <ChangePassword username={user.username} liveTokens={(list.data?.items ?? []).filter((t) => !t.revoked && !expired(t))} />}
      <Section title="API tokens" aside={<span className="muted small">Use a token for scripts and notebooks instead of your password.</span>}>
        <InlineForm submitLabel="Create token" canSubmit={!!name.trim()} busy={create.isPending} error={create.error} onSubmit={() => create.mutate()}>
          <TextField label="Token name" value={name} onChange={setName} placeholder="e.g. laptop notebook" />
          <SelectField label="Expires in" value={String(days)} onChange={(v) => setDays(Number(v))} options={EXPIRIES} />
        </InlineForm>
        {fresh && <NewTokenSecret token={fresh} onDone={() => setFresh(null)} />}
        <ErrorView error={revoke.error} compact />
        <DataTable
          compact
          label="Your API tokens"
          query={list}
          rows={list.data?.items ?? []}
          rowKey={(t) => String(t.id)}
          empty="No tokens yet."
          columns={[
            { key: 'name', header: 'Name', cell: (t) => t.name, sortValue: (t) => t.name },
            { key: 'created', header: 'Created', cell: (t) => fmtTime(t.created_at), sortValue: (t) => t.created_at },
            { key: 'expires', header: 'Expires', cell: (t) => fmtTime(t.expires_at), sortValue: (t) => t.expires_at },
            { key: 'used', header: 'Last used', cell: (t) => (t.last_used_at ? fmtTime(t.last_used_at) : <span className="muted">never</span>), sortValue: (t) => t.last_used_at },
            {
              key: 'status',
              header: 'Status',
              cell: (t) => (t.revoked ? <span className="pill pill-deny">revoked</span> : expired(t) ? <span className="pill">expired</span> : <span className="pill pill-ok">active</span>),
            },
            actionsColumn((t: ApiToken) =>
              t.revoked || expired(t) ? null : (
                <button type="button" className="btn btn-small btn-danger" aria-label={`Revoke token ${t.name}`} onClick={() => revoke.mutate(t.id)}>
                  Revoke
                </button>
              ),
            ),
          ]}
        />
      </Section>
      <Section
        title="Use ML Studio from a notebook"
        aside={
          <button type="button" className="btn btn-small" onClick={() => copy(snippet)}>
            Copy snippet
          </button>
        }
      >
        <p className="muted">
          The MLflow client talks to ML Studio like to any tracking server. Set these two variables (the token from above) before importing mlflow:
        </p>
        <pre className="snippet" data-testid="snippet">{snippet}</pre>
        <p className="muted small">
          Or in a shell: <code className="mono">export MLFLOW_TRACKING_URI={uri} MLFLOW_TRACKING_TOKEN=&lt;your API token&gt;</code>
        </p>
      </Section>
    </div>
  );
}
