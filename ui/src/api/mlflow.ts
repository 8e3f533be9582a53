import { request } from './client';
import type { Experiment, FileInfo, LoggedModel, Metric, ModelVersion, RegisteredModel, Run, Tag } from './types';

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

// ---- experiments ----------------------------------------------------------
export interface ExperimentSearch {
  filter?: string;
  order_by?: string[];
  view_type?: ViewType;
  max_results?: number;
  page_token?: string;
}
export const experiments = {
  search: (p: ExperimentSearch) =>
    request<{ experiments?: Experiment[]; next_page_token?: string }>('/api/experiments/search', { method: 'POST', body: p }),
  get: (id: string) => request<{ experiment: Experiment }>('/api/experiments/get', { query: { experiment_id: id } }),
  create: (name: string, project: string) =>
    request<{ experiment_id: string }>('/api/experiments/create', { method: 'POST', body: { name, project } }),
  rename: (id: string, newName: string) =>
    request('/api/experiments/update', { method: 'POST', body: { experiment_id: id, new_name: newName } }),
  remove: (id: string) => request('/api/experiments/delete', { method: 'POST', body: { experiment_id: id } }),
  restore: (id: string) => request('/api/experiments/restore', { method: 'POST', body: { experiment_id: id } }),
  setTag: (id: string, key: string, value: string) =>
    request('/api/experiments/set-tag', { method: 'POST', body: { experiment_id: id, key, value } }),
  deleteTag: (id: string, key: string) =>
    request('/api/experiments/delete-tag', { method: 'POST', body: { experiment_id: id, key } }),
};

// ---- runs -----------------------------------------------------------------
export interface RunSearch {
  experiment_ids: string[];
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
  run_view_type?: ViewType;
}
export const runs = {
  search: (p: RunSearch, signal?: AbortSignal) =>
    request<{ runs?: Run[]; next_page_token?: string }>('/api/runs/search', { method: 'POST', body: p, signal }),
  get: (id: string) => request<{ run: Run }>('/api/runs/get', { query: { run_id: id } }),
  create: (experimentId: string, runName: string) =>
    request<{ run: Run }>('/api/runs/create', {
      method: 'POST',
      body: { experiment_id: experimentId, run_name: runName, start_time: Date.now() },
    }),
  rename: (id: string, runName: string) => request('/api/runs/update', { method: 'POST', body: { run_id: id, run_name: runName } }),
  remove: (id: string) => request('/api/runs/delete', { method: 'POST', body: { run_id: id } }),
  restore: (id: string) => request('/api/runs/restore', { method: 'POST', body: { run_id: id } }),
  setTag: (id: string, key: string, value: string) => request('/api/runs/set-tag', { method: 'POST', body: { run_id: id, key, value } }),
  deleteTag: (id: string, key: string) => request('/api/runs/delete-tag', { method: 'POST', body: { run_id: id, key } }),
  logBatch: (id: string, body: { metrics?: Metric[]; params?: Tag[]; tags?: Tag[] }) =>
    request('/api/runs/log-batch', { method: 'POST', body: { run_id: id, ...body } }),
};

/** A metric's whole history, following page tokens. */
export async function metricHistory(runId: string, key: string, signal?: AbortSignal): Promise<Metric[]> {
  const out: Metric[] = [];
  let token: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await request<{ metrics?: Metric[]; next_page_token?: string }>('/api/metrics/get-history', {
      query: { run_id: runId, metric_key: key, max_results: 25000, page_token: token },
      signal,
    });
    out.push(...(page.metrics ?? []));
    token = page.next_page_token;
    if (!token) break;
  }
  return out;
}

// ---- artifacts ------------------------------------------------------------
export const artifacts = {
  list: (runId: string, path?: string, pageToken?: string) =>
    request<{ root_uri?: string; files?: FileInfo[]; next_page_token?: string }>('/api/artifacts/list', {
      query: { run_id: runId, path, page_token: pageToken },
    }),
  downloadUrl: (runId: string, path: string) =>
    `/api/artifacts/download?run_id=${encodeURIComponent(runId)}&path=${encodeURIComponent(path)}`,
  download: (runId: string, path: string, signal?: AbortSignal) =>
    request<Response>('/api/artifacts/download', { query: { run_id: runId, path }, raw: true, signal }),
  upload: (runId: string, path: string, body: BodyInit) =>
    request('/api/artifacts/upload', { method: 'PUT', query: { run_id: runId, path }, rawBody: body }),
};

// ---- model registry -------------------------------------------------------
export const models = {
  search: (p: { filter?: string; order_by?: string[]; max_results?: number; page_token?: string }) =>
    request<{ registered_models?: RegisteredModel[]; next_page_token?: string }>('/api/models/search', { query: p }),
  get: (name: string) => request<{ registered_model: RegisteredModel }>('/api/models/get', { query: { name } }),
  create: (name: string, project: string, description?: string) =>
    request<{ registered_model: RegisteredModel }>('/api/models/create', { method: 'POST', body: { name, project, description } }),
  rename: (name: string, newName: string) => request('/api/models/rename', { method: 'POST', body: { name, new_name: newName } }),
  update: (name: string, description: string) => request('/api/models/update', { method: 'PATCH', body: { name, description } }),
  remove: (name: string) => request('/api/models/delete', { method: 'DELETE', body: { name } }),
  setTag: (name: string, key: string, value: string) => request('/api/models/set-tag', { method: 'POST', body: { name, key, value } }),
  deleteTag: (name: string, key: string) => request('/api/models/delete-tag', { method: 'DELETE', body: { name, key } }),
  setAlias: (name: string, alias: string, version: string) =>
    request('/api/models/alias', { method: 'POST', body: { name, alias, version } }),
  deleteAlias: (name: string, alias: string) => request('/api/models/alias', { method: 'DELETE', body: { name, alias } }),
};

/** A string inside MLflow's single-quoted filter values. */
export const quoteFilter = (v: string) => `'${v.replace(/'/g, "\\'")}'`;

export const versions = {
  search: (name: string, pageToken?: string) =>
    request<{ model_versions?: ModelVersion[]; next_page_token?: string }>('/api/models/versions/search', {
      query: { filter: `name = ${quoteFilter(name)}`, max_results: 200, page_token: pageToken },
    }),
  /** The versions registered from a run (of the models the caller may read). */
  ofRun: (runId: string) =>
    request<{ model_versions?: ModelVersion[]; next_page_token?: string }>('/api/models/versions/search', {
      query: { filter: `run_id = ${quoteFilter(runId)}`, max_results: 200 },
    }),
  get: (name: string, version: string) =>
    request<{ model_version: ModelVersion }>('/api/models/versions/get', { query: { name, version } }),
  /** `modelId` for an MLflow 3 logged model (source `models:/<model_id>`). */
  create: (name: string, source: string, runId: string, description?: string, modelId?: string) =>
    request<{ model_version: ModelVersion }>('/api/models/versions/create', {
      method: 'POST',
      body: { name, source, run_id: runId, description, model_id: modelId },
    }),
  update: (name: string, version: string, description: string) =>
    request('/api/models/versions/update', { method: 'PATCH', body: { name, version, description } }),
  transition: (name: string, version: string, stage: string, archiveExisting: boolean) =>
    request('/api/models/versions/transition', {
      method: 'POST',
      body: { name, version, stage, archive_existing_versions: archiveExisting },
    }),
  downloadUri: (name: string, version: string) =>
    request<{ artifact_uri: string }>('/api/models/versions/download-uri', { query: { name, version } }),
  remove: (name: string, version: string) => request('/api/models/versions/delete', { method: 'DELETE', body: { name, version } }),
  setTag: (name: string, version: string, key: string, value: string) =>
    request('/api/models/versions/set-tag', { method: 'POST', body: { name, version, key, value } }),
  deleteTag: (name: string, version: string, key: string) =>
    request('/api/models/versions/delete-tag', { method: 'DELETE', body: { name, version, key } }),
};

// ---- MLflow 3 logged models -------------------------------------------------
export const loggedModels = {
  /** The logged models a run produced, from its experiment. */
  ofRun: (experimentId: string, runId: string) =>
    request<{ models?: LoggedModel[]; next_page_token?: string }>('/api/2.0/mlflow/logged-models/search', {
      method: 'POST',
      body: { experiment_ids: [experimentId], filter: `source_run_id = ${quoteFilter(runId)}`, max_results: 100 },
    }),
};

// ---- files under an artifact URI (a logged model's, a model version's) -------
/**
 * The path the artifact proxy serves for a `mlflow-artifacts:` URI (ml_studio
 * checks read on the experiment it starts with), or null for a URI it does
 * not serve (s3:, file:, ... when MLflow does not proxy artifacts).
 */
export function proxyPath(uri: string): string | null {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+(.+?)\/*$/.exec(uri.trim());
  if (!m || m[1].split('/').some((s) => s === '..' || s === '.')) return null;
  return m[1];
}

export const artifactFiles = {
  /** A file's text under an artifact URI; null when the URI is not served through ML Studio. */
  text: async (uri: string, file: string, signal?: AbortSignal): Promise<string | null> => {
    const base = proxyPath(uri);
    if (base === null) return null;
    // The file name comes from the model's own MLmodel: it must stay under the URI.
    if (file.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) throw new Error(`“${file}” is not a file under the model's directory.`);
    const path = `${base}/${file}`.split('/').map(encodeURIComponent).join('/');
    const res = await request<Response>(`/api/2.0/mlflow-artifacts/artifacts/${path}`, { raw: true, signal });
    return res.text();
  },
  list: async (uri: string, signal?: AbortSignal): Promise<FileInfo[] | null> => {
    const base = proxyPath(uri);
    if (base === null) return null;
    const r = await request<{ files?: FileInfo[] }>('/api/2.0/mlflow-artifacts/artifacts', { query: { path: base }, signal });
    return r.files ?? [];
  },
};
