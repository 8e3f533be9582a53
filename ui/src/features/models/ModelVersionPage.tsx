import { useMemo } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { artifactFiles, models, versions } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import { ErrorView } from '../../components/ErrorView';
import { fmtTime } from '../../components/format';
import { InlineEdit } from '../../components/InlineEdit';
import { JsonTree } from '../../components/JsonTree';
import { Breadcrumbs, PageHead } from '../../components/PageHead';
import { Section } from '../../components/Section';
import { TagEditor } from '../../components/Tags';
import { ReadOnlyBadge } from '../access/ReadOnlyBadge';
import { useMyAccessOn } from '../access/useMyAccess';
import { exampleTable, readMLmodel, type SchemaField } from './mlmodel';

function SchemaTable({ label, fields }: { label: string; fields: SchemaField[] }) {
  return (
    <div className="table-wrap">
      <table className="table schema-table" aria-label={label}>
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Required</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((f, i) => (
            <tr key={`${f.name}#${i}`}>
              <td>{f.name}</td>
              <td>{f.type}</td>
              <td>{f.required ? 'yes' : 'no'}</td>
              <td className="muted">{f.detail || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function InputExample({ text }: { text: string }) {
  const value = useMemo(() => {
    try {
      return { ok: true as const, v: JSON.parse(text) as unknown };
    } catch {
      return { ok: false as const };
    }
  }, [text]);
  if (!value.ok) return <pre className="value-block">{text.slice(0, 20_000)}</pre>;
  const table = exampleTable(value.v);
  if (!table) return <JsonTree value={value.v} label="Input example" />;
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Input example">
        <thead>
          <tr>
            {table.columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.slice(0, 100).map((r, i) => (
            <tr key={i}>
              {table.columns.map((c, j) => (
                <td key={c} className="mono small">
                  {cell(r[j])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A registered model version: where it came from, its signature and input example (from its MLmodel), description and tags. */
export default function ModelVersionPage() {
  const { name = '', version = '' } = useParams();
  const qc = useQueryClient();
  const mv = useQuery({ queryKey: queryKeys.modelVersion(name, version), queryFn: () => versions.get(name, version) });
  const model = useQuery({ queryKey: queryKeys.model(name), queryFn: () => models.get(name), retry: false });
  const uri = useQuery({ queryKey: queryKeys.downloadUri(name, version), queryFn: () => versions.downloadUri(name, version), retry: false, enabled: !!mv.data });
  const root = uri.data?.artifact_uri ?? '';
  // The model's files are read through the artifact proxy: they need read on the experiment they were logged in too.
  const mlmodel = useQuery({
    queryKey: queryKeys.modelFile(root, 'MLmodel'),
    queryFn: ({ signal }) => artifactFiles.text(root, 'MLmodel', signal),
    enabled: !!root,
    retry: false,
    staleTime: Infinity,
  });
  const info = useMemo(() => {
    if (!mlmodel.data) return null;
    try {
      return readMLmodel(mlmodel.data);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }, [mlmodel.data]);
  const examplePath = info && !(info instanceof Error) ? info.inputExample?.path : undefined;
  const example = useQuery({
    queryKey: queryKeys.modelFile(root, examplePath ?? ''),
    queryFn: ({ signal }) => artifactFiles.text(root, examplePath!, signal),
    enabled: !!root && !!examplePath,
    retry: false,
    staleTime: Infinity,
  });
  const mine = useMyAccessOn(`registered_model:${name}`);
  const refresh = () => {
    qc.invalidateQueries({ queryKey: queryKeys.modelVersions(name) });
    qc.invalidateQueries({ queryKey: queryKeys.model(name) });
  };
  const v = mv.data?.model_version;
  const aliases = (model.data?.registered_model.aliases ?? []).filter((a) => a.version === version).map((a) => a.alias);
  const sig = info && !(info instanceof Error) ? info.signature : null;

  return (
    <div className="page">
      <Breadcrumbs trail={[<Link to="/models">Models</Link>, <Link to={`/models/${encodeURIComponent(name)}`}>{name}</Link>, `Version ${version}`]} />
      <ErrorView error={mv.error} onRetry={() => mv.refetch()} />
      {v && (
        <>
          <PageHead title={`${v.name} · version ${v.version}`}>
            <span className={`stage-chip stage-${(v.current_stage ?? 'None').toLowerCase()}`}>{v.current_stage ?? 'None'}</span>
            {aliases.map((a) => (
              <span key={a} className="alias">
                @{a}
              </span>
            ))}
            <ReadOnlyBadge access={mine} />
          </PageHead>
          <div className="meta">
            <span>Created {fmtTime(v.creation_timestamp)}</span>
            <span>Updated {fmtTime(v.last_updated_timestamp)}</span>
            <span>Status {v.status?.toLowerCase() ?? '—'}</span>
            {v.run_id && (
              <span>
                Source run{' '}
                <Link to={`/runs/${v.run_id}`} className="mono">
                  {v.run_id.slice(0, 12)}
                </Link>
              </span>
            )}
            {v.model_id && (
              <span>
                Logged model <span className="mono">models:/{v.model_id}</span>
              </span>
            )}
          </div>
          <Section title="Description">
            <InlineEdit
              value={v.description ?? ''}
              label={`description of version ${v.version}`}
              multiline
              canEdit={mine.canEdit}
              onSave={async (d) => {
                await versions.update(name, version, d);
                refresh();
              }}
              render={(d) => (d ? <span style={{ whiteSpace: 'pre-wrap' }}>{d}</span> : <span className="muted">No description.</span>)}
            />
          </Section>
          <Section title="Signature">
            {!root && !uri.error && <p className="muted">Loading…</p>}
            <ErrorView error={uri.error ?? mlmodel.error} compact />
            {mlmodel.data === null && <p className="muted">This version's files are not stored where ML Studio can read them ({root}).</p>}
            {info instanceof Error && <p className="muted">Its MLmodel file could not be read: {info.message}</p>}
            {info && !(info instanceof Error) && !sig && <p className="muted">This model was logged without a signature.</p>}
            {sig && (
              <div className="grid-2">
                <div>
                  <h3>Inputs</h3>
                  {sig.inputs ? <SchemaTable label="Signature inputs" fields={sig.inputs} /> : <p className="muted">Not given.</p>}
                </div>
                <div>
                  <h3>Outputs</h3>
                  {sig.outputs ? <SchemaTable label="Signature outputs" fields={sig.outputs} /> : <p className="muted">Not given.</p>}
                  {sig.params && (
                    <>
                      <h3>Parameters</h3>
                      <SchemaTable label="Signature parameters" fields={sig.params} />
                    </>
                  )}
                </div>
              </div>
            )}
          </Section>
          {info && !(info instanceof Error) && (
            <Section title="Input example">
              {!examplePath && <p className="muted">This model was logged without an input example.</p>}
              <ErrorView error={example.error} compact />
              {typeof example.data === 'string' && <InputExample text={example.data} />}
            </Section>
          )}
          <Section title="Model files">
            <table className="kv" aria-label="Model files">
              <tbody>
                <tr>
                  <th scope="row">Source</th>
                  <td className="mono">{v.source ?? '—'}</td>
                </tr>
                <tr>
                  <th scope="row">Stored at</th>
                  <td className="mono">{root || (uri.error ? '—' : '…')}</td>
                </tr>
                {info && !(info instanceof Error) && (
                  <>
                    <tr>
                      <th scope="row">Flavors</th>
                      <td>{info.flavors.join(', ') || '—'}</td>
                    </tr>
                    <tr>
                      <th scope="row">Logged with MLflow</th>
                      <td>{info.mlflowVersion ?? '—'}</td>
                    </tr>
                  </>
                )}
              </tbody>
            </table>
          </Section>
          <Section title="Version tags">
            <TagEditor
              tags={v.tags ?? []}
              canEdit={mine.canEdit}
              label="Version tags"
              onSet={(k, val) => versions.setTag(name, version, k, val)}
              onDelete={(k) => versions.deleteTag(name, version, k)}
              onChanged={refresh}
            />
          </Section>
        </>
      )}
    </div>
  );
}
