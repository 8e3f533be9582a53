// MLflow's JSON as ml_studio passes it through, and cerberus's account shapes.

import type { Operation } from './catalogue';

export interface Tag {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: 'active' | 'deleted';
  creation_time?: number;
  last_update_time?: number;
  tags?: Tag[];
}

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step?: number;
}

export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status?: string;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: 'active' | 'deleted';
}

/** A dataset as a run's input names it (mlflow.log_input): schema, profile and source are JSON strings. */
export interface DatasetSummary {
  name: string;
  digest: string;
  source_type?: string;
  source?: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  /** `mlflow.data.context` says what the run used it for (training, eval…). */
  tags?: Tag[];
  dataset: DatasetSummary;
}

export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: Tag[]; tags?: Tag[] };
  inputs?: { dataset_inputs?: DatasetInput[]; model_inputs?: { model_id: string }[] };
  /** MLflow 3: the logged models the run produced. */
  outputs?: { model_outputs?: { model_id: string; step?: number }[] };
}

/** An MLflow 3 logged model (`models:/<model_id>`). */
export interface LoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    artifact_uri?: string;
    status?: string;
    source_run_id?: string;
    creation_timestamp_ms?: number;
    last_updated_timestamp_ms?: number;
    model_type?: string;
    tags?: Tag[];
  };
  data?: { params?: Tag[]; metrics?: Metric[] };
}

export interface FileInfo {
  path: string;
  is_dir?: boolean;
  file_size?: number;
}

export interface ModelAlias {
  alias: string;
  version: string;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  run_link?: string;
  status?: string;
  tags?: Tag[];
  aliases?: string[];
  /** MLflow 3: the logged model the version was registered from. */
  model_id?: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: Tag[];
  aliases?: ModelAlias[];
}

// ---- MLflow 3 traces (TraceInfoV3 as its proto JSON: times are RFC 3339 strings, durations "1.5s") ----

export type TraceState = 'STATE_UNSPECIFIED' | 'OK' | 'ERROR' | 'IN_PROGRESS';

export interface TraceLocation {
  type?: string;
  mlflow_experiment?: { experiment_id: string };
}

export interface AssessmentSource {
  source_type?: 'SOURCE_TYPE_UNSPECIFIED' | 'HUMAN' | 'LLM_JUDGE' | 'CODE';
  source_id?: string;
}

export interface AssessmentError {
  error_code?: string;
  error_message?: string;
}

export interface Assessment {
  assessment_id?: string;
  assessment_name: string;
  trace_id?: string;
  span_id?: string;
  source?: AssessmentSource;
  create_time?: string;
  last_update_time?: string;
  feedback?: { value?: unknown; error?: AssessmentError };
  expectation?: { value?: unknown; serialized_value?: { serialization_format?: string; value?: string } };
  rationale?: string;
  metadata?: Record<string, string>;
  /** False once a later assessment overrides this one. */
  valid?: boolean;
  overrides?: string;
}

export interface TraceInfo {
  trace_id: string;
  client_request_id?: string;
  trace_location?: TraceLocation;
  request_preview?: string;
  response_preview?: string;
  /** RFC 3339, e.g. "2026-12-03T08:00:00.123Z". */
  request_time?: string;
  /** A protobuf Duration, e.g. "0.250s". */
  execution_duration?: string;
  state?: TraceState;
  trace_metadata?: Record<string, string>;
  tags?: Record<string, string>;
  assessments?: Assessment[];
}

export interface User {
  id: number;
  username: string;
  display_name: string;
  email: string;
  is_active: boolean;
  is_admin: boolean;
  created_at?: string;
}

/** A directory entry: what any signed-in user may see of another. */
export interface Person {
  username: string;
  display_name: string;
}

/** How people may sign in: passwords, and single sign-on when configured. */
export interface SignInMethods {
  password: boolean;
  sso: { name: string; login_url: string } | null;
}

export interface LoginAnswer {
  token: string;
  expires_at: string;
  user: User;
}

export interface ApiToken {
  id: number;
  name: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked: boolean;
  token?: string;
}

export interface Group {
  id: number;
  name: string;
  description: string;
  created_at: string;
}

export type { Operation } from './catalogue';

export interface Grant {
  subject: string;
  element: string;
  operation?: Operation;
  effect: 'allow' | 'deny';
  inherited: boolean;
  granted_at: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  result: string;
  detail: string;
  request_id: string;
  client_ip: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

// ---- MLflow 3 evaluation datasets (their proto JSON: tags, schema and profile are JSON strings; api/datasets.ts decodes them) ----

export interface DatasetJson {
  dataset_id: string;
  name?: string;
  /** JSON of a string → string object. */
  tags?: string;
  /** JSON: the fields the records hold. */
  schema?: string;
  /** JSON: `{"num_records": n}` once records were added. */
  profile?: string;
  digest?: string;
  created_time?: number | string;
  last_update_time?: number | string;
  created_by?: string;
  last_updated_by?: string;
  experiment_ids?: string[];
}
