import { ApiError, request } from './client';
import type { DatasetJson } from './types';
import { quote } from './prompts';

// MLflow 3's evaluation datasets as ml_studio's gateway serves them (same
// origin, the user's token). A dataset belongs to experiments: reading it
// needs read on one of them, and a search keeps the experiments the caller
// may read. MLflow sends a dataset's tags, schema and profile as JSON
// strings, and a page of records as one JSON string; everything is decoded
// here, so pages only see plain objects.

const V3 = '/api/3.0/mlflow/datasets';

/** An evaluation dataset, decoded. */
export interface EvalDataset {
  dataset_id: string;
  name: string;
  tags: Record<string, string>;
  created_time?: number;
  last_update_time?: number;
  /** MLflow's own field, else the `mlflow.user` tag the client sets. */
  created_by?: string;
  last_updated_by?: string;
  digest?: string;
  /** Filled by create and search; `get` leaves it out (see `datasets.experimentIds`). */
  experiment_ids: string[];
  /** How many records MLflow counted (its profile); undefined when it has not. */
  num_records?: number;
  /** The fields the records hold, as MLflow inferred them. */
  schema?: unknown;
}

export type RecordSourceType = 'UNSPECIFIED' | 'TRACE' | 'HUMAN' | 'DOCUMENT' | 'CODE';

/** One record of a dataset: what goes in, what is expected, what came out, where it came from. */
export interface DatasetRecord {
  dataset_record_id: string;
  dataset_id?: string;
  inputs: unknown;
  expectations?: unknown;
  outputs?: unknown;
  tags: Record<string, string>;
  source?: { source_type: string; source_data: Record<string, unknown> };
  /** A trace id for TRACE sources, else the source's own id. */
  source_id?: string;
  source_type?: string;
  created_time?: number;
  last_update_time?: number;
  created_by?: string;
  last_updated_by?: string;
}

export interface DatasetSearch {
  experimentIds: string[];
  /** Part of the name (case-insensitive); blank for all. */
  search?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
}

export const USER_TAG = 'mlflow.user';

const enc = (id: string) => encodeURIComponent(id);

function parseJson(s: string | undefined): unknown {
  if (s === undefined || s === '') return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Epoch milliseconds from a number or a string of digits (proto JSON may write int64 either way). */
function millis(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

/** Tags as MLflow stores them: a JSON string (datasets) or an object (records); values that are not strings become their JSON. */
export function readTags(raw: unknown): Record<string, string> {
  const v = typeof raw === 'string' ? parseJson(raw) : raw;
  if (!isObject(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : (JSON.stringify(x) ?? String(x));
  return out;
}

/** The record count in a dataset's profile (`{"num_records": 3}`); undefined when there is none (`null`, missing, unreadable). */
export function recordCount(profile: string | undefined): number | undefined {
  const p = parseJson(profile);
  if (!isObject(p)) return undefined;
  const n = p.num_records;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function readDataset(d: DatasetJson): EvalDataset {
  const tags = readTags(d.tags);
  return {
    dataset_id: d.dataset_id,
    name: d.name ?? '',
    tags,
    created_time: millis(d.created_time),
    last_update_time: millis(d.last_update_time),
    created_by: d.created_by || tags[USER_TAG] || undefined,
    last_updated_by: d.last_updated_by || undefined,
    digest: d.digest || undefined,
    experiment_ids: d.experiment_ids ?? [],
    num_records: recordCount(d.profile),
    schema: parseJson(d.schema),
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function readRecord(r: unknown, i: number): DatasetRecord {
  const o = isObject(r) ? r : {};
  const src = isObject(o.source) ? o.source : undefined;
  return {
    dataset_record_id: str(o.dataset_record_id) ?? `#${i + 1}`,
    dataset_id: str(o.dataset_id),
    inputs: o.inputs,
    expectations: o.expectations,
    outputs: o.outputs,
    tags: readTags(o.tags),
    source: src ? { source_type: str(src.source_type) ?? 'UNSPECIFIED', source_data: isObject(src.source_data) ? src.source_data : {} } : undefined,
    source_id: str(o.source_id),
    source_type: str(o.source_type) ?? (src ? str(src.source_type) : undefined),
    created_time: millis(o.created_time),
    last_update_time: millis(o.last_update_time),
    created_by: str(o.created_by),
    last_updated_by: str(o.last_updated_by),
  };
}

/**
 * A page of records as MLflow sends it: `records` is one JSON string of a
 * list (MLflow's client reads it with json.loads). Missing means none; a
 * string that is not a JSON list is an unreadable answer.
 */
export function readRecords(raw: string | undefined): DatasetRecord[] {
  if (raw === undefined || raw === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = undefined;
  }
  if (!Array.isArray(v)) throw new ApiError('server', 200, 'The server gave an unreadable answer (the dataset’s records are not a JSON list).');
  return v.map(readRecord);
}

/** The filter of the datasets whose name contains `search` (none when blank). */
export function datasetFilter(search = ''): string | undefined {
  const t = search.trim();
  return t ? `name ILIKE ${quote(`%${t}%`)}` : undefined;
}

export const datasets = {
  search: async (p: DatasetSearch, signal?: AbortSignal): Promise<{ datasets: EvalDataset[]; next_page_token?: string }> => {
    const r = await request<{ datasets?: DatasetJson[]; next_page_token?: string }>(`${V3}/search`, {
      method: 'POST',
      body: {
        experiment_ids: p.experimentIds,
        filter_string: datasetFilter(p.search),
        order_by: p.order_by,
        max_results: p.max_results,
        page_token: p.page_token || undefined,
      },
      signal,
    });
    return { datasets: (r.datasets ?? []).map(readDataset), next_page_token: r.next_page_token || undefined };
  },
  get: async (datasetId: string, signal?: AbortSignal): Promise<EvalDataset> => readDataset((await request<{ dataset: DatasetJson }>(`${V3}/${enc(datasetId)}`, { signal })).dataset),
  /** The experiments a dataset belongs to. */
  experimentIds: async (datasetId: string, signal?: AbortSignal): Promise<string[]> =>
    (await request<{ experiment_ids?: string[] }>(`${V3}/${enc(datasetId)}/experiment-ids`, { signal })).experiment_ids ?? [],
  records: async (datasetId: string, p: { max_results?: number; page_token?: string } = {}, signal?: AbortSignal): Promise<{ records: DatasetRecord[]; next_page_token?: string }> => {
    const r = await request<{ records?: string; next_page_token?: string }>(`${V3}/${enc(datasetId)}/records`, {
      query: { max_results: p.max_results, page_token: p.page_token },
      signal,
    });
    return { records: readRecords(r.records), next_page_token: r.next_page_token || undefined };
  },
};
