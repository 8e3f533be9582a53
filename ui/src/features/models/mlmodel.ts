// Reading a model's MLmodel file: its signature (MLflow keeps each part as
// a JSON string inside the YAML, which PyYAML wraps across lines) and where
// its input example was saved.

import { parse } from 'yaml';

/** One field of a signature part: a column, a tensor or a param. */
export interface SchemaField {
  name: string;
  type: string;
  /** Shape of a tensor, default of a param, element type of an array/object… */
  detail: string;
  required: boolean;
}

export interface Signature {
  inputs: SchemaField[] | null;
  outputs: SchemaField[] | null;
  params: SchemaField[] | null;
}

export interface ModelFile {
  flavors: string[];
  signature: Signature | null;
  /** Where the input example is, relative to the model's directory. */
  inputExample: { path: string; type?: string; orient?: string } | null;
  mlflowVersion?: string;
  modelId?: string;
  runId?: string;
  created?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeText(t: Json | undefined): string {
  if (typeof t === 'string') return t;
  if (isObj(t)) {
    if (t.type === 'array') return `array<${typeText(t.items)}>`;
    if (t.type === 'object' && Array.isArray(t.properties) === false && isObj(t.properties)) return `object{${Object.keys(t.properties).join(', ')}}`;
    if (t.type === 'map') return `map<string, ${typeText(t.values)}>`;
    if (typeof t.type === 'string') return t.type;
  }
  return JSON.stringify(t ?? null);
}

/** A signature part (MLflow's JSON: colspec, tensor spec or param spec list); null when absent or unreadable. */
export function parseSchema(json: unknown): SchemaField[] | null {
  if (json === null || json === undefined || json === '') return null;
  let v: unknown = json;
  if (typeof json === 'string') {
    try {
      v = JSON.parse(json);
    } catch {
      return null;
    }
  }
  if (!Array.isArray(v)) return null;
  return v.filter(isObj).map((f, i) => {
    const spec = f['tensor-spec'];
    if (f.type === 'tensor' && isObj(spec)) {
      return { name: typeof f.name === 'string' ? f.name : `#${i}`, type: `tensor<${String(spec.dtype)}>`, detail: `shape ${JSON.stringify(spec.shape ?? null)}`, required: f.required !== false };
    }
    const detail: string[] = [];
    if ('default' in f) detail.push(`default ${JSON.stringify(f.default)}`);
    if (f.shape !== undefined && f.shape !== null) detail.push(`shape ${JSON.stringify(f.shape)}`);
    return { name: typeof f.name === 'string' ? f.name : `#${i}`, type: typeText(f.type), detail: detail.join(', '), required: f.required !== false };
  });
}

/** An MLmodel file's text → what the version page shows; throws on text that is not YAML. */
export function readMLmodel(text: string): ModelFile {
  const y = parse(text) as unknown;
  if (!isObj(y)) throw new Error('MLmodel is not a YAML mapping');
  const sig = y.signature;
  const ex = y.saved_input_example_info;
  const str = (v: Json | undefined) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  return {
    flavors: isObj(y.flavors) ? Object.keys(y.flavors) : [],
    signature: isObj(sig) ? { inputs: parseSchema(sig.inputs), outputs: parseSchema(sig.outputs), params: parseSchema(sig.params) } : null,
    inputExample: isObj(ex) && typeof ex.artifact_path === 'string' ? { path: ex.artifact_path, type: str(ex.type), orient: str(ex.pandas_orient) } : null,
    mlflowVersion: str(y.mlflow_version),
    modelId: str(y.model_id),
    runId: str(y.run_id),
    created: str(y.utc_time_created),
  };
}

/** An input example as a table (pandas split orient {columns, data}, or a list of records), or null to show it as JSON. */
export function exampleTable(v: unknown): { columns: string[]; rows: unknown[][] } | null {
  if (isObj(v) && Array.isArray(v.columns) && Array.isArray(v.data) && v.data.every(Array.isArray)) {
    return { columns: v.columns.map(String), rows: v.data as unknown[][] };
  }
  if (Array.isArray(v) && v.length > 0 && v.every(isObj)) {
    const columns = [...new Set(v.flatMap((r) => Object.keys(r)))];
    return { columns, rows: v.map((r) => columns.map((c) => (r as Record<string, unknown>)[c])) };
  }
  return null;
}
