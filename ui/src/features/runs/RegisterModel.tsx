import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { isApiError } from '../../api/client';
import { artifacts, models, versions } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { FileInfo, Run } from '../../api/types';
import { TextField } from '../../components/Field';
import { FormDialog } from '../../components/Modal';
import { ErrorView } from '../../components/ErrorView';
import { loggedModelUri, useRunLoggedModels } from './RunDetails';

/** What can be registered from a run: one of its logged models, or an artifact directory holding an MLmodel. */
export interface ModelChoice {
  id: string;
  label: string;
  detail: string;
  source: string;
  modelId?: string;
}

/**
 * The artifact directories of a run that hold an MLmodel file (a model
 * saved the MLflow 2 way), breadth first, not looking inside a model
 * directory, at most `maxDepth` levels down and `maxLists` listings.
 */
export async function findModelDirs(list: (path: string) => Promise<FileInfo[]>, maxDepth = 4, maxLists = 60): Promise<string[]> {
  const found: string[] = [];
  let level = [''];
  let lists = 0;
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (lists++ >= maxLists) return found;
      const files = await list(dir);
      if (files.some((f) => !f.is_dir && f.path.split('/').pop() === 'MLmodel')) found.push(dir);
      else next.push(...files.filter((f) => f.is_dir).map((f) => f.path));
    }
    level = next;
  }
  return found;
}

async function listAll(runId: string, path: string): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  let token: string | undefined;
  for (let i = 0; i < 20; i++) {
    const r = await artifacts.list(runId, path || undefined, token);
    out.push(...(r.files ?? []));
    token = r.next_page_token;
    if (!token) break;
  }
  return out;
}

/** Registers one of the run's models as a new version of a model (created if it does not exist). */
export function RegisterModel({ run, onClose }: { run: Run; onClose: () => void }) {
  const runId = run.info.run_id;
  const root = (run.info.artifact_uri ?? '').replace(/\/+$/, '');
  const logged = useRunLoggedModels(run);
  const dirs = useQuery({ queryKey: queryKeys.runModelDirs(runId), queryFn: () => findModelDirs((p) => listAll(runId, p)), retry: false });
  const choices: ModelChoice[] = [
    ...(logged.data ?? []).map((m) => ({ id: `logged:${m.info.model_id}`, label: m.info.name || m.info.model_id, detail: loggedModelUri(m), source: loggedModelUri(m), modelId: m.info.model_id })),
    ...(dirs.data ?? []).map((d) => ({ id: `dir:${d}`, label: d || '(the artifact root)', detail: 'artifact directory with an MLmodel', source: d ? `${root}/${d}` : root })),
  ];
  const loading = logged.isLoading || dirs.isLoading;
  const [picked, setPicked] = useState('');
  useEffect(() => {
    if (!picked && choices.length > 0) setPicked(choices[0].id);
  }, [picked, choices]);
  const choice = choices.find((c) => c.id === picked);
  const [name, setName] = useState('');
  const [project, setProject] = useState('default');
  const navigate = useNavigate();
  const qc = useQueryClient();
  const register = useMutation({
    mutationFn: async () => {
      const n = name.trim();
      if (!choice) throw new Error('Choose a model of this run.');
      // ml_studio answers 403 alike for a model that does not exist and one
      // you may not read, so try to create it and report the first refusal.
      try {
        await models.get(n);
      } catch (e) {
        if (!isApiError(e) || (e.kind !== 'notfound' && e.kind !== 'forbidden')) throw e;
        try {
          await models.create(n, project.trim() || 'default');
        } catch (c) {
          throw isApiError(c) && c.kind === 'invalid' ? e : c;
        }
      }
      return versions.create(n, choice.source, runId, undefined, choice.modelId);
    },
    onSuccess: () => {
      const n = name.trim();
      qc.invalidateQueries({ queryKey: queryKeys.runVersions(runId) });
      qc.invalidateQueries({ queryKey: queryKeys.models() });
      qc.invalidateQueries({ queryKey: queryKeys.model(n) });
      qc.invalidateQueries({ queryKey: queryKeys.modelVersions(n) });
      navigate(`/models/${encodeURIComponent(n)}`);
    },
  });
  return (
    <FormDialog title="Register model" onClose={onClose} onSubmit={() => register.mutate()} submitLabel="Register" canSubmit={!!name.trim() && !!choice} busy={register.isPending} error={register.error}>
      <fieldset className="choices" aria-label="Model of this run">
        <legend>Model of this run</legend>
        {loading && <p className="muted">Looking for the run's models…</p>}
        {!loading && choices.length === 0 && !logged.error && !dirs.error && (
          <p className="muted">This run has no logged model and no artifact directory with an MLmodel file. Log one with mlflow.&lt;flavor&gt;.log_model.</p>
        )}
        <ErrorView error={logged.error ?? dirs.error} compact />
        {choices.map((c) => (
          <label key={c.id} className="check choice">
            <input type="radio" name="model-choice" value={c.id} checked={picked === c.id} onChange={() => setPicked(c.id)} />
            <span>
              <strong>{c.label}</strong> <span className="mono small muted">{c.detail}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <TextField label="Model name" value={name} onChange={setName} required hint="A new version is added to the model; the model is created if it does not exist yet." />
      <TextField label="Project (for a new model)" value={project} onChange={setProject} />
    </FormDialog>
  );
}
