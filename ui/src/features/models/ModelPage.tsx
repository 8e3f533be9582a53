import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { models, versions } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { ModelVersion } from '../../api/types';
import { actionsColumn, DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { Options } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { InlineEdit } from '../../components/InlineEdit';
import { InlineForm } from '../../components/InlineForm';
import { Modal } from '../../components/Modal';
import { Breadcrumbs, PageHead } from '../../components/PageHead';
import { Section } from '../../components/Section';
import { TagEditor } from '../../components/Tags';
import { AccessPanel } from '../access/AccessPanel';
import { ReadOnlyBadge } from '../access/ReadOnlyBadge';
import { useMyAccessOn } from '../access/useMyAccess';

const STAGES = ['None', 'Staging', 'Production', 'Archived'];

export default function ModelPage() {
  const { name = '' } = useParams();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const model = useQuery({ queryKey: queryKeys.model(name), queryFn: () => models.get(name) });
  const vers = useQuery({ queryKey: queryKeys.modelVersions(name), queryFn: () => versions.search(name) });
  const mine = useMyAccessOn(`registered_model:${name}`);
  const canEdit = mine.canEdit;
  const canManage = mine.canManage;
  const refresh = () => {
    qc.invalidateQueries({ queryKey: queryKeys.model(name) });
    qc.invalidateQueries({ queryKey: queryKeys.modelVersions(name) });
    qc.invalidateQueries({ queryKey: queryKeys.models() });
  };
  const [alias, setAlias] = useState('');
  const [aliasVersion, setAliasVersion] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  const [detail, setDetail] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  const rename = useMutation({
    mutationFn: (n: string) => models.rename(name, n),
    onSuccess: (_r, n) => {
      refresh();
      navigate(`/models/${encodeURIComponent(n)}`, { replace: true });
    },
  });
  const remove = useMutation({
    mutationFn: () => models.remove(name),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: queryKeys.models() });
      navigate('/models');
    },
  });
  const m = model.data?.registered_model;
  const vs: ModelVersion[] = [...(vers.data?.model_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version));

  return (
    <div className="page">
      <Breadcrumbs trail={[<Link to="/models">Models</Link>, name]} />
      <ErrorView error={model.error} onRetry={() => model.refetch()} />
      {m && (
        <>
          <PageHead title={<InlineEdit value={m.name} label="model name" canEdit={canManage} onSave={(v) => rename.mutateAsync(v.trim())} />}>
            <ReadOnlyBadge access={mine} />
            {canManage && (
              <button
                type="button"
                className="btn btn-danger"
                onClick={() => window.confirm(`Delete model “${m.name}” and all its versions?`) && remove.mutate()}
              >
                Delete model
              </button>
            )}
          </PageHead>
          <ErrorView error={remove.error} compact />
          <div className="meta">
            <span>Created {fmtTime(m.creation_timestamp)}</span>
            <span>Updated {fmtTime(m.last_updated_timestamp)}</span>
            <span>{vs.length === 1 ? '1 version' : `${vs.length} versions`}</span>
          </div>
          <Section title="Description">
            <InlineEdit
              value={m.description ?? ''}
              label="description"
              multiline
              canEdit={canEdit}
              onSave={async (v) => {
                await models.update(name, v);
                refresh();
              }}
              render={(v) => (v ? <span style={{ whiteSpace: 'pre-wrap' }}>{v}</span> : <span className="muted">No description.</span>)}
            />
            <TagEditor
              tags={m.tags ?? []}
              canEdit={canEdit}
              label="Model tags"
              onSet={(k, v) => models.setTag(name, k, v)}
              onDelete={(k) => models.deleteTag(name, k)}
              onChanged={refresh}
            />
          </Section>
          <Section title="Aliases">
            <div className="tag-inline">
              {(m.aliases ?? []).length === 0 && <span className="muted">No aliases.</span>}
              {(m.aliases ?? []).map((a) => (
                <span key={a.alias} className="alias">
                  @{a.alias} → version {a.version}
                  {canEdit && (
                    <button type="button" className="tag-remove" aria-label={`Remove alias ${a.alias}`} onClick={() => act(() => models.deleteAlias(name, a.alias))}>
                      ×
                    </button>
                  )}
                </span>
              ))}
            </div>
            {canEdit && (
              <InlineForm
                className="tag-form"
                submitClassName="btn btn-small"
                submitLabel="Set alias"
                canSubmit={!!alias.trim() && !!aliasVersion}
                onSubmit={() =>
                  act(async () => {
                    await models.setAlias(name, alias.trim(), aliasVersion);
                    setAlias('');
                  })
                }
              >
                <input aria-label="Alias" placeholder="alias, e.g. champion" value={alias} onChange={(e) => setAlias(e.target.value)} />
                <select aria-label="Version for alias" value={aliasVersion} onChange={(e) => setAliasVersion(e.target.value)}>
                  <Options options={[{ value: '', label: 'version…' }, ...vs.map((v) => v.version)]} />
                </select>
              </InlineForm>
            )}
          </Section>
          <ErrorView error={actionError} compact />
          <Section title="Versions">
            <DataTable
              compact
              query={vers}
              rows={vs}
              rowKey={(v) => v.version}
              empty="No versions yet. Open a run and choose “Register model”."
              defaultSort={{ key: 'version', desc: true }}
              columns={[
                {
                  key: 'version',
                  header: 'Version',
                  sortValue: (v) => Number(v.version),
                  cell: (v) => (
                    <>
                      <Link to={`/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(v.version)}`} aria-label={`Version ${v.version}`}>
                        <strong>v{v.version}</strong>
                      </Link>{' '}
                      <button type="button" className="btn btn-link small" aria-label={`Details of version ${v.version}`} onClick={() => setDetail(v.version)}>
                        details
                      </button>
                    </>
                  ),
                },
                {
                  key: 'stage',
                  header: 'Stage',
                  sortValue: (v) => v.current_stage ?? 'None',
                  cell: (v) =>
                    canEdit ? (
                      <select
                        aria-label={`Stage of version ${v.version}`}
                        value={v.current_stage ?? 'None'}
                        onChange={(e) => {
                          const stage = e.target.value;
                          const archive = stage === 'Production' || stage === 'Staging' ? window.confirm(`Archive other versions in ${stage}?`) : false;
                          act(() => versions.transition(name, v.version, stage, archive));
                        }}
                      >
                        <Options options={STAGES} />
                      </select>
                    ) : (
                      v.current_stage ?? 'None'
                    ),
                },
                {
                  key: 'aliases',
                  header: 'Aliases',
                  cell: (v) =>
                    (m.aliases ?? [])
                      .filter((a) => a.version === v.version)
                      .map((a) => (
                        <span key={a.alias} className="alias">
                          @{a.alias}
                        </span>
                      )),
                },
                {
                  key: 'run',
                  header: 'Source run',
                  cell: (v) =>
                    v.run_id ? (
                      <Link to={`/runs/${v.run_id}`} className="mono">
                        {v.run_id.slice(0, 12)}
                      </Link>
                    ) : (
                      <span className="muted">—</span>
                    ),
                },
                { key: 'status', header: 'Status', cell: (v) => v.status?.toLowerCase() },
                { key: 'created', header: 'Created', cell: (v) => fmtTime(v.creation_timestamp), sortValue: (v) => v.creation_timestamp },
                {
                  key: 'description',
                  header: 'Description',
                  cell: (v) => (
                    <InlineEdit
                      value={v.description ?? ''}
                      label={`description of version ${v.version}`}
                      canEdit={canEdit}
                      onSave={async (d) => {
                        await versions.update(name, v.version, d);
                        refresh();
                      }}
                      render={(d) => (d ? <span className="truncate" style={{ maxWidth: 220 }}>{d}</span> : <span className="muted">—</span>)}
                    />
                  ),
                },
                canEdit && actionsColumn((v: ModelVersion) => (
                  <button
                    type="button"
                    className="btn btn-small btn-danger"
                    aria-label={`Delete version ${v.version}`}
                    onClick={() => window.confirm(`Delete version ${v.version}?`) && act(() => versions.remove(name, v.version))}
                  >
                    Delete
                  </button>
                )),
              ]}
            />
          </Section>
          <AccessPanel element={`registered_model:${name}`} />
          {detail && vs.find((v) => v.version === detail) && (
            <VersionDetail version={vs.find((v) => v.version === detail)!} canEdit={canEdit} onChanged={refresh} onClose={() => setDetail(null)} />
          )}
        </>
      )}
    </div>
  );
}

function VersionDetail({ version: v, canEdit, onChanged, onClose }: { version: ModelVersion; canEdit: boolean; onChanged: () => void; onClose: () => void }) {
  const uri = useQuery({ queryKey: queryKeys.downloadUri(v.name, v.version), queryFn: () => versions.downloadUri(v.name, v.version), retry: false });
  return (
    <Modal title={`${v.name} · version ${v.version}`} onClose={onClose} wide>
      <table className="kv">
        <tbody>
          <tr>
            <th scope="row">Stage</th>
            <td>{v.current_stage ?? 'None'}</td>
          </tr>
          <tr>
            <th scope="row">Status</th>
            <td>{v.status?.toLowerCase() ?? '—'}</td>
          </tr>
          <tr>
            <th scope="row">Source run</th>
            <td>{v.run_id ? <Link to={`/runs/${v.run_id}`} onClick={onClose}>{v.run_id}</Link> : '—'}</td>
          </tr>
          <tr>
            <th scope="row">Source</th>
            <td className="mono">{v.source ?? '—'}</td>
          </tr>
          <tr>
            <th scope="row">Download URI</th>
            <td className="mono">{uri.data?.artifact_uri ?? (uri.error ? '—' : '…')}</td>
          </tr>
          <tr>
            <th scope="row">Created</th>
            <td>{fmtTime(v.creation_timestamp)}</td>
          </tr>
        </tbody>
      </table>
      <h3>Version tags</h3>
      <TagEditor
        tags={v.tags ?? []}
        canEdit={canEdit}
        label="Version tags"
        onSet={(k, val) => versions.setTag(v.name, v.version, k, val)}
        onDelete={(k) => versions.deleteTag(v.name, v.version, k)}
        onChanged={onChanged}
      />
    </Modal>
  );
}
