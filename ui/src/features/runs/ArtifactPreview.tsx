import { useEffect, useMemo, useState } from 'react';
import { artifacts } from '../../api/mlflow';
import { ErrorView } from '../../components/ErrorView';
import { JsonNode } from '../../components/JsonTree';
import { fmtBytes } from '../../components/format';
import { asLoggedTable, cellText, htmlSandbox, htmlSrcDoc, parseCsv, parseSimpleYaml, previewKind, type LoggedTable, type YamlValue } from './preview';

async function fetchBlob(runId: string, path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await artifacts.download(runId, path, signal);
  return res.blob();
}

export async function downloadArtifact(runId: string, path: string) {
  const blob = await fetchBlob(runId, path);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = path.split('/').pop() ?? 'artifact';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function YamlView({ value }: { value: YamlValue }) {
  if (typeof value === 'string') return <>{value || '—'}</>;
  if (Array.isArray(value)) return <>{value.map((v) => (typeof v === 'string' ? v : '…')).join(', ')}</>;
  return (
    <dl>
      {Object.entries(value).map(([k, v]) => (
        <FragmentKV key={k} k={k} v={v} />
      ))}
    </dl>
  );
}
function FragmentKV({ k, v }: { k: string; v: YamlValue }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>
        <YamlView value={v} />
      </dd>
    </>
  );
}

function MLmodelView({ text }: { text: string }) {
  const y = useMemo(() => parseSimpleYaml(text), [text]);
  const flavors = y.flavors && typeof y.flavors === 'object' && !Array.isArray(y.flavors) ? Object.keys(y.flavors) : [];
  const { flavors: _f, signature, ...rest } = y;
  void _f;
  return (
    <div className="mlmodel">
      <h3>MLflow model</h3>
      <dl>
        <dt>Flavors</dt>
        <dd>{flavors.join(', ') || '—'}</dd>
        {y.flavors !== undefined && typeof y.flavors === 'object' && !Array.isArray(y.flavors) &&
          Object.entries(y.flavors).map(([name, details]) => <FragmentKV key={name} k={name} v={details} />)}
        {Object.entries(rest).map(([k, v]) => (
          <FragmentKV key={k} k={k} v={v} />
        ))}
        {signature !== undefined && <FragmentKV k="signature" v={signature} />}
      </dl>
    </div>
  );
}

function CsvView({ text, sep }: { text: string; sep: string }) {
  const rows = useMemo(() => parseCsv(text, sep, 501), [text, sep]);
  if (rows.length === 0) return <p className="muted">Empty file.</p>;
  const [head, ...body] = rows;
  return (
    <div className="csv-wrap">
      <table className="table table-compact" aria-label="CSV preview">
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {body.slice(0, 500).map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {body.length > 500 && <p className="muted small">First 500 rows shown; download for the rest.</p>}
    </div>
  );
}

const MAX_TABLE_ROWS = 500;

/** A table logged with mlflow.log_table, as a table (its JSON a click away). */
function LoggedTableView({ table, json }: { table: LoggedTable; json: unknown }) {
  const [asJson, setAsJson] = useState(false);
  return (
    <>
      <div className="toolbar">
        <span className="muted small">
          Table logged with log_table: {table.rows.length} rows × {table.columns.length} columns
        </span>
        <button type="button" className="btn btn-small btn-link" aria-pressed={asJson} onClick={() => setAsJson((v) => !v)}>
          {asJson ? 'Show as table' : 'Show JSON'}
        </button>
      </div>
      {asJson ? (
        <ul className="json-tree">
          <JsonNode value={json} />
        </ul>
      ) : (
        <div className="csv-wrap">
          <table className="table table-compact" aria-label="Table preview">
            <thead>
              <tr>
                {table.columns.map((c, i) => (
                  <th key={i} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.slice(0, MAX_TABLE_ROWS).map((r, i) => (
                <tr key={i}>
                  {r.map((c, j) => (
                    <td key={j} className={typeof c === 'number' ? 'num' : undefined}>
                      {cellText(c)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {table.rows.length > MAX_TABLE_ROWS && <p className="muted small">First {MAX_TABLE_ROWS} rows shown; download for the rest.</p>}
        </div>
      )}
    </>
  );
}

/**
 * An HTML artifact rendered, never in the app's origin: a sandboxed frame
 * (no allow-same-origin) fed by srcdoc. Its scripts stay off until the reader
 * turns them on for a file they trust (plots made with plotly need them).
 */
function HtmlView({ path, html }: { path: string; html: string }) {
  const [scripts, setScripts] = useState(false);
  return (
    <>
      <div className="toolbar">
        <span className="muted small">{scripts ? 'Scripts run inside the frame, cut off from ML Studio.' : 'Shown without its scripts.'}</span>
        <button type="button" className="btn btn-small btn-link" aria-pressed={scripts} onClick={() => setScripts((v) => !v)}>
          {scripts ? 'Stop its scripts' : 'Run its scripts'}
        </button>
      </div>
      <iframe key={String(scripts)} className="html-frame" title={`Artifact ${path}`} sandbox={htmlSandbox(scripts)} srcDoc={htmlSrcDoc(html, scripts)} referrerPolicy="no-referrer" />
    </>
  );
}

/** Shows one artifact the way its kind reads best. */
export function ArtifactPreview({ runId, path, size }: { runId: string; path: string; size?: number }) {
  const kind = previewKind(path, size);
  const [state, setState] = useState<{ url?: string; text?: string; error?: unknown; loading: boolean }>({ loading: kind !== 'none' });
  const [dlError, setDlError] = useState<unknown>(null);
  useEffect(() => {
    if (kind === 'none') {
      setState({ loading: false });
      return;
    }
    const ctl = new AbortController();
    let url: string | undefined;
    setState({ loading: true });
    fetchBlob(runId, path, ctl.signal)
      .then(async (b) => {
        if (kind === 'image') {
          url = URL.createObjectURL(b.type ? b : new Blob([b], { type: path.endsWith('.svg') ? 'image/svg+xml' : 'image/png' }));
          setState({ url, loading: false });
        } else {
          const t = await b.text();
          setState({ text: t.length > 400_000 ? t.slice(0, 400_000) : t, loading: false });
        }
      })
      .catch((error) => {
        if ((error as Error)?.name !== 'AbortError') setState({ error, loading: false });
      });
    return () => {
      ctl.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [runId, path, kind]);

  let json: unknown = undefined;
  let jsonError = false;
  if (kind === 'json' && state.text !== undefined) {
    try {
      json = JSON.parse(state.text);
    } catch {
      jsonError = true;
    }
  }
  const table = kind === 'json' && !jsonError ? asLoggedTable(json) : null;
  return (
    <div className="preview" data-testid="artifact-preview" data-kind={kind}>
      <div className="preview-head">
        <span className="mono truncate" title={path}>
          {path}
        </span>
        {size !== undefined && <span className="muted small">{fmtBytes(size)}</span>}
        <button
          type="button"
          className="btn btn-small"
          onClick={() => downloadArtifact(runId, path).catch(setDlError)}
        >
          Download
        </button>
      </div>
      <ErrorView error={dlError} compact />
      <ErrorView error={state.error} compact />
      {state.loading && <p className="muted">Loading preview…</p>}
      {kind === 'none' && <p className="muted">No preview for this kind of file. Download it to open it.</p>}
      {kind === 'image' && state.url && <img src={state.url} alt={`Artifact ${path}`} />}
      {kind === 'text' && state.text !== undefined && <pre>{state.text}</pre>}
      {kind === 'json' && state.text !== undefined && (jsonError ? <pre>{state.text}</pre> : table ? <LoggedTableView table={table} json={json} /> : <ul className="json-tree"><JsonNode value={json} /></ul>)}
      {kind === 'html' && state.text !== undefined && <HtmlView path={path} html={state.text} />}
      {kind === 'csv' && state.text !== undefined && <CsvView text={state.text} sep={path.endsWith('.tsv') ? '\t' : ','} />}
      {kind === 'mlmodel' && state.text !== undefined && <MLmodelView text={state.text} />}
    </div>
  );
}
