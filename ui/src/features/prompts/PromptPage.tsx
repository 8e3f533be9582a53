import { useMemo, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { models } from '../../api/mlflow';
import { prompts } from '../../api/prompts';
import { queryKeys } from '../../api/queryKeys';
import type { ModelVersion } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { Options } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { InlineForm } from '../../components/InlineForm';
import { Breadcrumbs, PageHead } from '../../components/PageHead';
import { Section } from '../../components/Section';
import { TagEditor } from '../../components/Tags';
import { AccessPanel } from '../access/AccessPanel';
import { ReadOnlyBadge } from '../access/ReadOnlyBadge';
import { useMyAccessOn } from '../access/useMyAccess';
import { newestFirst, ownTags, templateText, templateVariables } from './template';
import { TemplateDiff } from './TemplateDiff';

export default function PromptPage() {
  const { name = '' } = useParams();
  const qc = useQueryClient();
  const prompt = useQuery({ queryKey: queryKeys.prompt(name), queryFn: () => prompts.get(name) });
  const vers = useQuery({ queryKey: queryKeys.promptVersions(name), queryFn: () => prompts.versions(name) });
  const mine = useMyAccessOn(`registered_model:${name}`);
  const canEdit = mine.canEdit;
  const refresh = () => {
    qc.invalidateQueries({ queryKey: queryKeys.prompt(name) });
    qc.invalidateQueries({ queryKey: queryKeys.promptVersions(name) });
    qc.invalidateQueries({ queryKey: queryKeys.prompts() });
  };
  const vs = useMemo(() => newestFirst(vers.data ?? []), [vers.data]);
  const [shown, setShown] = useState<string | null>(null);
  const current = vs.find((v) => v.version === shown) ?? vs[0];
  const p = prompt.data?.registered_model;
  const aliasesOf = (v: ModelVersion) => (p?.aliases ?? []).filter((a) => a.version === v.version).map((a) => a.alias);

  return (
    <div className="page">
      <Breadcrumbs trail={[<Link to="/prompts">Prompts</Link>, name]} />
      <ErrorView error={prompt.error} onRetry={() => prompt.refetch()} />
      {p && (
        <>
          <PageHead title={p.name}>
            <ReadOnlyBadge access={mine} />
          </PageHead>
          <div className="meta">
            <span>Created {fmtTime(p.creation_timestamp)}</span>
            <span>Updated {fmtTime(p.last_updated_timestamp)}</span>
            <span>{vs.length === 1 ? '1 version' : `${vs.length} versions`}</span>
          </div>
          {p.description && <p style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{p.description}</p>}
          <TagEditor
            tags={ownTags(p.tags)}
            canEdit={canEdit}
            label="Prompt tags"
            onSet={(k, v) => models.setTag(name, k, v)}
            onDelete={(k) => models.deleteTag(name, k)}
            onChanged={refresh}
          />
          <Aliases name={name} aliases={p.aliases ?? []} versions={vs} canEdit={canEdit} onChanged={refresh} />
          <Section title="Versions">
            <DataTable
              compact
              label="Prompt versions"
              query={vers}
              rows={vs}
              rowKey={(v) => v.version}
              rowClassName={(v) => (v.version === current?.version ? 'selected' : undefined)}
              empty="No versions yet."
              columns={[
                {
                  key: 'version',
                  header: 'Version',
                  cell: (v) => (
                    <button type="button" className="btn btn-link" aria-label={`Show version ${v.version}`} aria-pressed={v.version === current?.version} onClick={() => setShown(v.version)}>
                      <strong>v{v.version}</strong>
                    </button>
                  ),
                },
                {
                  key: 'aliases',
                  header: 'Aliases',
                  cell: (v) =>
                    aliasesOf(v).map((a) => (
                      <span key={a} className="alias">
                        @{a}
                      </span>
                    )),
                },
                {
                  key: 'template',
                  header: 'Template',
                  cell: (v) => (
                    <span className="truncate mono" style={{ maxWidth: 420 }}>
                      {templateText(v).split('\n')[0] || '—'}
                    </span>
                  ),
                },
                { key: 'message', header: 'Commit message', cell: (v) => v.description || <span className="muted">—</span> },
                { key: 'created', header: 'Created', cell: (v) => fmtTime(v.creation_timestamp) },
              ]}
            />
          </Section>
          {current && <Template version={current} aliases={aliasesOf(current)} />}
          {vs.length >= 2 && <Compare versions={vs} />}
          <AccessPanel element={`registered_model:${name}`} />
        </>
      )}
    </div>
  );
}

function Template({ version: v, aliases }: { version: ModelVersion; aliases: string[] }) {
  const text = templateText(v);
  const vars = templateVariables(text);
  return (
    <Section title={`Template · version ${v.version}`} aside={aliases.length > 0 && <span>{aliases.map((a) => <span key={a} className="alias">@{a}</span>)}</span>}>
      <pre className="value-block" aria-label={`Template of version ${v.version}`}>
        {text || ' '}
      </pre>
      <div className="meta">
        <span>
          Variables{' '}
          {vars.length ? (
            vars.map((x) => (
              <span key={x} className="mono tag-small">
                {`{{${x}}}`}
              </span>
            ))
          ) : (
            <span className="muted">none</span>
          )}
        </span>
        {v.description && <span>“{v.description}”</span>}
      </div>
    </Section>
  );
}

function Compare({ versions: vs }: { versions: ModelVersion[] }) {
  const [from, setFrom] = useState(vs[1].version);
  const [to, setTo] = useState(vs[0].version);
  const a = vs.find((v) => v.version === from);
  const b = vs.find((v) => v.version === to);
  const options = vs.map((v) => ({ value: v.version, label: `Version ${v.version}` }));
  return (
    <Section title="Compare versions">
      <div className="toolbar">
        <label className="inline-label">
          From
          <select aria-label="Compare from version" value={from} onChange={(e) => setFrom(e.target.value)}>
            <Options options={options} />
          </select>
        </label>
        <label className="inline-label">
          to
          <select aria-label="Compare to version" value={to} onChange={(e) => setTo(e.target.value)}>
            <Options options={options} />
          </select>
        </label>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => {
            setFrom(to);
            setTo(from);
          }}
        >
          Swap
        </button>
      </div>
      {a && b && <TemplateDiff oldText={templateText(a)} newText={templateText(b)} label={`Template changes from version ${from} to ${to}`} />}
    </Section>
  );
}

function Aliases({
  name,
  aliases,
  versions: vs,
  canEdit,
  onChanged,
}: {
  name: string;
  aliases: { alias: string; version: string }[];
  versions: ModelVersion[];
  canEdit: boolean;
  onChanged: () => void;
}) {
  const [alias, setAlias] = useState('');
  const [version, setVersion] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      onChanged();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Aliases">
      <div className="tag-inline" aria-label="Aliases">
        {aliases.length === 0 && <span className="muted">No aliases.</span>}
        {aliases.map((a) => (
          <span key={a.alias} className="alias">
            @{a.alias} → version {a.version}
            {canEdit && (
              <button type="button" className="tag-remove" aria-label={`Remove alias ${a.alias}`} disabled={busy} onClick={() => act(() => prompts.deleteAlias(name, a.alias))}>
                ×
              </button>
            )}
          </span>
        ))}
      </div>
      {canEdit ? (
        <InlineForm
          className="tag-form"
          submitClassName="btn btn-small"
          submitLabel="Set alias"
          canSubmit={!!alias.trim() && !!version}
          busy={busy}
          error={error}
          onSubmit={async () => {
            if (await act(() => prompts.setAlias(name, alias.trim(), version))) setAlias('');
          }}
        >
          <input aria-label="Alias" placeholder="alias, e.g. production" value={alias} onChange={(e) => setAlias(e.target.value)} />
          <select aria-label="Version for alias" value={version} onChange={(e) => setVersion(e.target.value)}>
            <Options options={[{ value: '', label: 'version…' }, ...vs.map((v) => v.version)]} />
          </select>
        </InlineForm>
      ) : (
        <ErrorView error={error} compact />
      )}
    </Section>
  );
}
