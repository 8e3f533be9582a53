import { isApiError, request } from './client';
import type { Assessment, TraceInfo } from './types';

// MLflow 3's trace API as ml_studio's gateway serves it (same origin, the
// user's token): every call is authorized through the trace's experiment.

const V3 = '/api/3.0/mlflow/traces';

export interface TraceSearch {
  experimentId: string;
  /** MLflow's trace filter, e.g. `trace.status = 'OK'` or `tags.reviewed = 'yes'`. */
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
}

export interface NewFeedback {
  name: string;
  value: boolean | number | string;
  rationale?: string;
  /** The signed-in user's name: MLflow records who gave the feedback. */
  sourceId: string;
}

const id = (traceId: string) => encodeURIComponent(traceId);

export const traces = {
  search: (p: TraceSearch, signal?: AbortSignal) =>
    request<{ traces?: TraceInfo[]; next_page_token?: string }>(`${V3}/search`, {
      method: 'POST',
      body: {
        locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: p.experimentId } }],
        filter: p.filter || undefined,
        order_by: p.order_by,
        max_results: p.max_results,
        page_token: p.page_token,
      },
      signal,
    }),
  get: (traceId: string, signal?: AbortSignal) => request<{ trace: { trace_info: TraceInfo } }>(`${V3}/${id(traceId)}`, { signal }),
  setTag: (traceId: string, key: string, value: string) => request(`${V3}/${id(traceId)}/tags`, { method: 'PATCH', body: { key, value } }),
  deleteTag: (traceId: string, key: string) => request(`${V3}/${id(traceId)}/tags`, { method: 'DELETE', body: { key } }),
  logFeedback: (traceId: string, f: NewFeedback) =>
    request<{ assessment: Assessment }>(`${V3}/${id(traceId)}/assessments`, {
      method: 'POST',
      body: {
        assessment: {
          assessment_name: f.name,
          trace_id: traceId,
          source: { source_type: 'HUMAN', source_id: f.sourceId },
          feedback: { value: f.value },
          rationale: f.rationale || undefined,
        },
      },
    }),
};

export const SPANS_LOCATION_TAG = 'mlflow.trace.spansLocation';
export const ARTIFACT_LOCATION_TAG = 'mlflow.artifactLocation';

/**
 * The path under ml_studio's artifact proxy of an `mlflow-artifacts:` URI
 * ("mlflow-artifacts:/3/traces/tr-1/artifacts" → "3/traces/tr-1/artifacts",
 * a host in it is dropped), or null for any other scheme: such artifacts do
 * not go through ML Studio.
 */
export function artifactProxyPath(uri: string | undefined): string | null {
  if (!uri || !uri.startsWith('mlflow-artifacts:')) return null;
  let rest = uri.slice('mlflow-artifacts:'.length);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  const path = rest.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!path || path.split('/').some((s) => s === '..' || s === '.')) return null;
  return path;
}

/** Where a trace's spans are read: MLflow's database (`traces/get`) or the trace's artifacts (`traces.json`). */
export function spansSource(info: TraceInfo): { kind: 'store' } | { kind: 'artifact'; path: string } | { kind: 'elsewhere'; location: string } {
  const tags = info.tags ?? {};
  if (tags[SPANS_LOCATION_TAG] === 'TRACKING_STORE') return { kind: 'store' };
  const location = tags[ARTIFACT_LOCATION_TAG];
  if (!location) return { kind: 'store' };
  const path = artifactProxyPath(location);
  return path ? { kind: 'artifact', path } : { kind: 'elsewhere', location };
}

const fromStore = async (traceId: string, signal?: AbortSignal) =>
  (await request<{ trace?: { spans?: unknown[] } }>(`${V3}/get`, { query: { trace_id: traceId }, signal })).trace?.spans ?? [];

/**
 * A trace's spans as MLflow stored them (the raw JSON; `parseSpans` reads
 * both shapes). Spans logged by the stock client live in the trace's
 * artifacts, read through the artifact proxy; a missing file falls back to
 * MLflow's database.
 */
export async function traceSpans(info: TraceInfo, signal?: AbortSignal): Promise<unknown[]> {
  const src = spansSource(info);
  if (src.kind === 'store') return fromStore(info.trace_id, signal);
  if (src.kind === 'elsewhere') throw new Error(`This trace's spans are stored at ${src.location}, outside ML Studio's artifact proxy.`);
  const file = `/api/2.0/mlflow-artifacts/artifacts/${src.path.split('/').map(encodeURIComponent).join('/')}/traces.json`;
  try {
    return (await request<{ spans?: unknown[] }>(file, { signal })).spans ?? [];
  } catch (e) {
    if (!isApiError(e) || e.kind !== 'notfound') throw e;
  }
  try {
    return await fromStore(info.trace_id, signal);
  } catch (e) {
    // Neither place has spans: a trace whose spans were never exported.
    if (isApiError(e) && e.kind === 'notfound') return [];
    throw e;
  }
}
