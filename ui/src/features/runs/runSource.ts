// What a run's system tags say about where it came from (MLflow sets them
// from the script, notebook or project and its git checkout).

import type { Run } from '../../api/types';

export const SOURCE_TAGS = {
  name: 'mlflow.source.name',
  type: 'mlflow.source.type',
  commit: 'mlflow.source.git.commit',
  branch: 'mlflow.source.git.branch',
  repo: 'mlflow.source.git.repoURL',
  /** What MLflow projects set instead of repoURL. */
  projectRepo: 'mlflow.gitRepoURL',
  entryPoint: 'mlflow.project.entryPoint',
  note: 'mlflow.note.content',
} as const;

export interface RunSource {
  name?: string;
  type?: string;
  commit?: string;
  branch?: string;
  repo?: string;
  entryPoint?: string;
}

export function tagOf(run: Run, key: string): string | undefined {
  return run.data?.tags?.find((t) => t.key === key)?.value || undefined;
}

export function runSource(run: Run): RunSource {
  return {
    name: tagOf(run, SOURCE_TAGS.name),
    type: tagOf(run, SOURCE_TAGS.type),
    commit: tagOf(run, SOURCE_TAGS.commit),
    branch: tagOf(run, SOURCE_TAGS.branch),
    repo: tagOf(run, SOURCE_TAGS.repo) ?? tagOf(run, SOURCE_TAGS.projectRepo),
    entryPoint: tagOf(run, SOURCE_TAGS.entryPoint),
  };
}

/**
 * The web page of `commit` in the repository at `repo` (https, ssh or
 * scp-like git@host:owner/name), or null when either is not one: only an
 * http(s) link to a hex commit id is ever made from a tag anyone may set.
 */
export function commitUrl(repo: string | undefined, commit: string | undefined): string | null {
  if (!repo || !commit || !/^[0-9a-f]{7,64}$/i.test(commit)) return null;
  let host: string;
  let path: string;
  const scp = repo.includes('://') ? null : /^(?:[\w.-]+@)?([\w.-]+):(?!\/)(.+)$/.exec(repo.trim());
  if (scp) {
    [, host, path] = scp;
  } else {
    let u: URL;
    try {
      u = new URL(repo.trim());
    } catch {
      return null;
    }
    if (!['https:', 'http:', 'ssh:', 'git:', 'git+ssh:'].includes(u.protocol) || !u.hostname) return null;
    host = u.hostname;
    path = u.pathname;
  }
  path = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  if (!path || path.split('/').some((s) => !s || s === '..' || s === '.')) return null;
  const base = `https://${host}/${path.split('/').map(encodeURIComponent).join('/')}`;
  if (/(^|\.)gitlab\./.test(host)) return `${base}/-/commit/${commit}`;
  if (/(^|\.)bitbucket\.org$/.test(host)) return `${base}/commits/${commit}`;
  return `${base}/commit/${commit}`;
}

/** MLflow's source types in words. */
export const SOURCE_TYPES: Record<string, string> = {
  NOTEBOOK: 'Notebook',
  JOB: 'Job',
  PROJECT: 'MLflow project',
  LOCAL: 'Local script',
  UNKNOWN: 'Unknown',
};

/** A metric MLflow's system metrics monitor logs (CPU, memory, GPU, disk, network). */
export const isSystemMetric = (key: string) => key.startsWith('system/');
