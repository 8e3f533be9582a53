// MLflow's JSON as ml_studio passes it through, and cerberus's account shapes.

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

export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: Tag[]; tags?: Tag[] };
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

export type Operation = 'read' | 'edit' | 'manage' | 'create';

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
