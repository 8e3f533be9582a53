// Every TanStack Query key of the app, in one place: a page reads with
// `queryKeys.x(...)` and a change invalidates the same key or a prefix of
// it, so the two never drift apart. Keys are arrays whose first items are
// a prefix of the longer ones: invalidating `traces(id)` refetches every
// page and filter of that experiment's trace list.

export const queryKeys = {
  // ---- experiments, runs, artifacts -------------------------------------
  /** Every list of experiments. */
  experiments: () => ['experiments'] as const,
  /** One list: its view (active, deleted), sort and name search. */
  experimentList: (view: string, sort: string, search: string) => ['experiments', view, sort, search] as const,
  experiment: (id: string) => ['experiment', id] as const,
  /** Every list of one experiment's runs. */
  runs: (experimentId: string) => ['runs', experimentId] as const,
  runList: (experimentId: string, filter: string, orderBy: string, deleted: boolean) => ['runs', experimentId, filter, orderBy, deleted] as const,
  /** An experiment's runs for its sweep charts (under runs(id): a change to its runs refreshes them). */
  sweepRuns: (experimentId: string) => ['runs', experimentId, 'sweep'] as const,
  run: (runId: string) => ['run', runId] as const,
  metricHistory: (runId: string, key: string) => ['history', runId, key] as const,
  artifacts: (runId: string, path: string) => ['artifacts', runId, path] as const,
  /** The MLflow 3 logged models a run produced. */
  runLoggedModels: (runId: string) => ['run-logged-models', runId] as const,
  /** Its artifact directories holding an MLmodel (what can be registered from it). */
  runModelDirs: (runId: string) => ['run-model-dirs', runId] as const,
  /** The registered model versions made from a run: registering one changes it. */
  runVersions: (runId: string) => ['run-versions', runId] as const,

  // ---- traces ------------------------------------------------------------
  /** Every list of one experiment's traces. */
  traces: (experimentId: string) => ['traces', experimentId] as const,
  /** One list: its filter and order (usePagedList adds the page token). */
  traceList: (experimentId: string, filter: string, orderBy: string) => ['traces', experimentId, filter, orderBy] as const,
  /** A trace's info, assessments and tags. */
  trace: (traceId: string) => ['trace', traceId] as const,
  /** Its spans, which never change once logged. */
  traceSpans: (traceId: string) => ['trace-spans', traceId] as const,

  // ---- evaluation datasets -----------------------------------------------
  /** Every list of one experiment's evaluation datasets. */
  datasets: (experimentId: string) => ['datasets', experimentId] as const,
  /** One list: its name search and order (usePagedList adds the page token). */
  datasetList: (experimentId: string, search: string, orderBy: string) => ['datasets', experimentId, search, orderBy] as const,
  /** A dataset's name, tags, times and record count. */
  dataset: (datasetId: string) => ['dataset', datasetId] as const,
  /** The experiments it belongs to. */
  datasetExperiments: (datasetId: string) => ['dataset-experiments', datasetId] as const,
  /** Its records (usePagedList adds the page token). */
  datasetRecords: (datasetId: string) => ['dataset-records', datasetId] as const,

  // ---- model registry and prompts ----------------------------------------
  /** Every list of registered models. */
  models: () => ['models'] as const,
  modelList: (search: string) => ['models', search] as const,
  model: (name: string) => ['model', name] as const,
  modelVersions: (name: string) => ['versions', name] as const,
  downloadUri: (name: string, version: string) => ['download-uri', name, version] as const,
  /** One version (its page); under the model's versions key, so what refreshes those refreshes it. */
  modelVersion: (name: string, version: string) => ['versions', name, version] as const,
  /** A file under an artifact URI (a model's MLmodel, its input example): never changes once logged. */
  modelFile: (uri: string, file: string) => ['model-file', uri, file] as const,
  /** Every list of prompts. */
  prompts: () => ['prompts'] as const,
  promptList: (search: string) => ['prompts', search] as const,
  prompt: (name: string) => ['prompt', name] as const,
  promptVersions: (name: string) => ['prompt-versions', name] as const,

  // ---- people and access -------------------------------------------------
  access: (element: string) => ['access', element] as const,
  /** Every answer to "what may I do?": a grant or revoke changes them. */
  myAccessAll: () => ['my-access'] as const,
  /** What the caller may do on these elements (sorted, so one set is one key). */
  myAccess: (elementNames: readonly string[]) => ['my-access', ...[...elementNames].sort()] as const,
  users: () => ['users'] as const,
  /** Every user's effective grants: a grant or revoke changes them. */
  userGrantsAll: () => ['user-grants'] as const,
  /** One user's effective grants (admins, or the user themself). */
  userGrants: (username: string) => ['user-grants', username] as const,
  /** Registered elements of a kind (admins): the project list. */
  elements: (kind: string) => ['elements', kind] as const,
  groups: () => ['groups'] as const,
  members: (group: string) => ['members', group] as const,
  tokens: () => ['tokens'] as const,
  audit: (filter: object) => ['audit', filter] as const,
};
