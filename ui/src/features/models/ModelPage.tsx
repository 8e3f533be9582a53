import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { models, versions } from '../../api/mlflow';
import type { ModelVersion } from '../../api/types';
import { ErrorView } from '../../components/ErrorView';
import { fmtTime } from '../../components/format';
import { InlineEdit } from '../../components/InlineEdit';
import { Modal } from '../../components/Modal';
import { TagEditor } from '../../components/Tags';
import { AccessPanel } from '../access/AccessPanel';
import { useMyAccess } from '../access/useMyAccess';

const STAGES = ['None', 'Staging', 'Production', 'Archived'];

export default function ModelPage() {
  const { name = '' } = useParams();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const model = useQuery({ queryKey: ['model', name], queryFn: () => models.get(name) });
  const vers = useQuery({ queryKey: ['versions', name], queryFn: () => versions.search(name) });
  const mine = useMyAccess(`registered_model:${name}`);
  const canEdit = mine.canEdit || mine.loading;
  const canManage = mine.canManage || mine.loading;
  const refresh = () => {
    qc.invalidateQueries({ queryKey: ['model', name] });
    qc.invalidateQueries({ queryKey: ['versions', name] });
    qc.invalidateQueries({ queryKey: ['models'] });
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
      qc.invalidateQueries({ queryKey: ['models'] });
      navigate('/models');
    },
  });
  const m = model.data?.registered_model;
  const vs: ModelVersion[] = [...(vers.data?.model_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version));

  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/models">Models</Link> <span aria-hidden="true">/</span> <span>{name}</span>
      </nav>
      <ErrorView error={model.error} onRetry={() => model.refetch()} />
      {m && (
        <>
          <div className="page-head">
            <h1>
              <InlineEdit value={m.name} label="model name" canEdit={canManage} onSave={(v) => rename.mutateAsync(v.trim())} />
            </h1>
            {!mine.loading && !mine.canEdit && <span className="badge badge-ro">Read only</span>}
            {canManage && (
              <button
                type="button"
                className="btn btn-danger"
                onClick={() => window.confirm(`Delete model “${m.name}” and all its versions?`) && remove.mutate()}
              >
                Delete model
              </button>
            )}
          </div>
          <ErrorView error={remove.error} compact />
          <div className="meta">
            <span>Created {fmtTime(m.creation_timestamp)}</span>
            <span>Updated {fmtTime(m.last_updated_timestamp)}</span>
            <span>{vs.length === 1 ? '1 version' : `${vs.length} versions`}</span>
          </div>
          <section className="card" aria-labelledby="desc-title">
            <h2 id="desc-title">Description</h2>
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
              onSet={async (k, v) => {
                await models.setTag(name, k, v);
                refresh();
              }}
              onDelete={async (k) => {
                await models.deleteTag(name, k);
                refresh();
              }}
            />
          </section>
          <section className="card" aria-labelledby="alias-title">
            <h2 id="alias-title">Aliases</h2>
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
              <form
                className="tag-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (!alias.trim() || !aliasVersion) return;
                  act(async () => {
                    await models.setAlias(name, alias.trim(), aliasVersion);
                    setAlias('');
                  });
                }}
              >
                <input aria-label="Alias" placeholder="alias, e.g. champion" value={alias} onChange={(e) => setAlias(e.target.value)} />
                <select aria-label="Version for alias" value={aliasVersion} onChange={(e) => setAliasVersion(e.target.value)}>
                  <option value="">version…</option>
                  {vs.map((v) => (
                    <option key={v.version} value={v.version}>
                      {v.version}
                    </option>
                  ))}
                </select>
                <button type="submit" className="btn btn-small" disabled={!alias.trim() || !aliasVersion}>
                  Set alias
                </button>
              </form>
            )}
          </section>
          <ErrorView error={actionError} compact />
          <section className="card" aria-labelledby="versions-title">
            <h2 id="versions-title">Versions</h2>
            <ErrorView error={vers.error} onRetry={() => vers.refetch()} />
            <table className="table table-compact">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Stage</th>
                  <th scope="col">Aliases</th>
                  <th scope="col">Source run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Description</th>
                  {canEdit && (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {vs.length === 0 && (
                  <tr>
                    <td colSpan={8} className="muted">
                      No versions yet. Open a run and choose “Register model”.
                    </td>
                  </tr>
                )}
                {vs.map((v) => (
                  <tr key={v.version}>
                    <td>
                      <button type="button" className="btn btn-link" aria-label={`Details of version ${v.version}`} onClick={() => setDetail(v.version)}>
                        <strong>v{v.version}</strong>
                      </button>
                    </td>
                    <td>
                      {canEdit ? (
                        <select
                          aria-label={`Stage of version ${v.version}`}
                          value={v.current_stage ?? 'None'}
                          onChange={(e) => {
                            const stage = e.target.value;
                            const archive = stage === 'Production' || stage === 'Staging' ? window.confirm(`Archive other versions in ${stage}?`) : false;
                            act(() => versions.transition(name, v.version, stage, archive));
                          }}
                        >
                          {STAGES.map((s) => (
                            <option key={s}>{s}</option>
                          ))}
                        </select>
                      ) : (
                        v.current_stage ?? 'None'
                      )}
                    </td>
                    <td>
                      {(m.aliases ?? [])
                        .filter((a) => a.version === v.version)
                        .map((a) => (
                          <span key={a.alias} className="alias">
                            @{a.alias}
                          </span>
                        ))}
                    </td>
                    <td>{v.run_id ? <Link to={`/runs/${v.run_id}`} className="mono">{v.run_id.slice(0, 12)}</Link> : <span className="muted">—</span>}</td>
                    <td>{v.status?.toLowerCase()}</td>
                    <td>{fmtTime(v.creation_timestamp)}</td>
                    <td>
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
                    </td>
                    {canEdit && (
                      <td className="actions">
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          aria-label={`Delete version ${v.version}`}
                          onClick={() => window.confirm(`Delete version ${v.version}?`) && act(() => versions.remove(name, v.version))}
                        >
                          Delete
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
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
  const uri = useQuery({ queryKey: ['download-uri', v.name, v.version], queryFn: () => versions.downloadUri(v.name, v.version), retry: false });
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
        onSet={async (k, val) => {
          await versions.setTag(v.name, v.version, k, val);
          onChanged();
        }}
        onDelete={async (k) => {
          await versions.deleteTag(v.name, v.version, k);
          onChanged();
        }}
      />
    </Modal>
  );
}
