import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { FileInfo, Run } from '../../api/types';
import { saveSession } from '../../api/session';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import { findModelDirs, RegisterModel } from './RegisterModel';
import { profileRows, RunDatasets, RunModels, RunSourceLine, schemaColumns } from './RunDetails';
import { commitUrl } from './runSource';

afterEach(() => vi.unstubAllGlobals());

const SHA = '3f2c9a1b7d4e5f60718293a4b5c6d7e8f9012345';

describe('commitUrl', () => {
  it.each<[string | undefined, string | undefined, string | null]>([
    ['https://github.com/acme/churn.git', SHA, `https://github.com/acme/churn/commit/${SHA}`],
    ['git@github.com:acme/churn.git', SHA, `https://github.com/acme/churn/commit/${SHA}`],
    ['ssh://git@gitlab.example.com/team/sub/churn.git', SHA, `https://gitlab.example.com/team/sub/churn/-/commit/${SHA}`],
    ['https://bitbucket.org/acme/churn', 'abcdef1', 'https://bitbucket.org/acme/churn/commits/abcdef1'],
    ['https://git.internal/acme/churn/', SHA, `https://git.internal/acme/churn/commit/${SHA}`],
    ['https://github.com/acme/churn', 'not-a-sha', null],
    ['javascript://alert(1)', SHA, null],
    ['file:///srv/repo', SHA, null],
    ['git@github.com:acme/../x', SHA, null],
    ['https://github.com/a/../x', SHA, `https://github.com/x/commit/${SHA}`],
    [undefined, SHA, null],
    ['https://github.com/acme/churn', undefined, null],
  ])('%s @ %s → %s', (repo, commit, want) => {
    expect(commitUrl(repo, commit)).toBe(want);
  });
});

const run = (tags: Record<string, string>, extra: Partial<Run> = {}): Run => ({
  info: { run_id: 'r1', experiment_id: '7', artifact_uri: 'mlflow-artifacts:/7/r1/artifacts' },
  data: { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) },
  ...extra,
});

describe('run details', () => {
  it('shows source, type, a linked commit, branch and entry point', () => {
    renderWithProviders(
      <RunSourceLine
        run={run({ 'mlflow.source.name': 'train.py', 'mlflow.source.type': 'PROJECT', 'mlflow.source.git.commit': SHA, 'mlflow.source.git.branch': 'main', 'mlflow.source.git.repoURL': 'git@github.com:acme/churn.git', 'mlflow.project.entryPoint': 'train' })}
      />,
    );
    const group = screen.getByRole('group', { name: 'Source' });
    expect(group.textContent).toBe('Source train.py (MLflow project)Git commit 3f2c9a1b7d on mainEntry point train');
    expect(within(group).getByRole('link', { name: '3f2c9a1b7d' }).getAttribute('href')).toBe(`https://github.com/acme/churn/commit/${SHA}`);
  });

  it('shows a commit unlinked without a repository, and nothing without any source tag', () => {
    const { unmount } = renderWithProviders(<RunSourceLine run={run({ 'mlflow.source.git.commit': SHA })} />);
    expect(screen.getByRole('group', { name: 'Source' }).textContent).toBe('Git commit 3f2c9a1b7d');
    expect(screen.queryByRole('link')).toBeNull();
    unmount();
    renderWithProviders(<RunSourceLine run={run({ team: 'x' })} />);
    expect(screen.queryByRole('group', { name: 'Source' })).toBeNull();
  });

  it('lists dataset inputs with context, rows and schema', () => {
    renderWithProviders(
      <RunDatasets
        inputs={[
          {
            tags: [{ key: 'mlflow.data.context', value: 'training' }],
            dataset: { name: 'churn-q3', digest: 'd086799f', source_type: 'code', schema: '{"mlflow_colspec": [{"type": "double", "name": "tenure"}, {"type": "string", "name": "plan"}]}', profile: '{"num_rows": 1200}' },
          },
        ]}
      />,
    );
    const row = within(screen.getByRole('table', { name: 'Datasets used' })).getAllByRole('row')[1];
    expect(row.textContent).toBe(`churn-q3d086799ftrainingcode${(1200).toLocaleString()}tenure: double, plan: string`);
    expect(schemaColumns('nope')).toEqual([]);
    expect(profileRows('{"num_rows": "x"}')).toBeUndefined();
  });

  it('lists the logged models and the versions registered from the run', async () => {
    const { calls } = mockFetch((url) => {
      if (url.pathname === '/api/2.0/mlflow/logged-models/search')
        return json({ models: [{ info: { model_id: 'm-abc', experiment_id: '7', name: 'churn', status: 'LOGGED_MODEL_READY', source_run_id: 'r1' } }] });
      if (url.pathname === '/api/models/versions/search') return json({ model_versions: [{ name: 'churn-prod', version: '3', current_stage: 'Staging', source: 'models:/m-abc', run_id: 'r1' }] });
      return undefined;
    });
    renderWithProviders(<RunModels run={run({}, { outputs: { model_outputs: [{ model_id: 'm-abc' }, { model_id: 'm-other' }] } })} />);
    const logged = await screen.findByRole('table', { name: 'Logged models' });
    await within(logged).findByText('models:/m-abc');
    expect(within(logged).getByText('models:/m-other')).toBeTruthy();
    expect(within(logged).getByText('ready')).toBeTruthy();
    const vers = await screen.findByRole('table', { name: 'Registered model versions' });
    expect(within(vers).getByRole('link', { name: 'Version 3' }).getAttribute('href')).toBe('/models/churn-prod/versions/3');
    const search = calls.find((c) => c.url.pathname === '/api/2.0/mlflow/logged-models/search')!;
    expect(JSON.parse(String(search.init.body))).toEqual({ experiment_ids: ['7'], filter: "source_run_id = 'r1'", max_results: 100 });
    expect(calls.find((c) => c.url.pathname === '/api/models/versions/search')!.url.searchParams.get('filter')).toBe("run_id = 'r1'");
  });
});

describe('register from a run', () => {
  it('finds the directories holding an MLmodel, not looking inside one', async () => {
    const tree: Record<string, FileInfo[]> = {
      '': [{ path: 'model', is_dir: true }, { path: 'plots', is_dir: true }, { path: 'deep', is_dir: true }, { path: 'x.txt' }],
      model: [{ path: 'model/MLmodel' }, { path: 'model/sub', is_dir: true }],
      plots: [{ path: 'plots/a.png' }],
      deep: [{ path: 'deep/er', is_dir: true }],
      'deep/er': [{ path: 'deep/er/MLmodel' }],
    };
    const seen: string[] = [];
    const dirs = await findModelDirs(async (p) => {
      seen.push(p);
      return tree[p] ?? [];
    });
    expect(dirs).toEqual(['model', 'deep/er']);
    expect(seen).not.toContain('model/sub');
    expect(await findModelDirs(async () => [{ path: 'MLmodel' }])).toEqual(['']);
    expect(await findModelDirs(async (p) => [{ path: `${p}/d`.replace(/^\//, ''), is_dir: true }], 10, 5)).toEqual([]);
  });

  it('offers the logged models and model directories, and registers the chosen one with its model id', async () => {
    saveSession({ token: 't', user: { id: 2, username: 'alice', display_name: 'Alice', email: '', is_active: true, is_admin: false } });
    const { calls } = mockFetch((url, init) => {
      switch (url.pathname) {
        case '/api/2.0/mlflow/logged-models/search':
          return json({ models: [{ info: { model_id: 'm-abc', experiment_id: '7', name: 'churn' } }] });
        case '/api/artifacts/list':
          return json(url.searchParams.get('path') === 'legacy' ? { files: [{ path: 'legacy/MLmodel' }] } : { files: [{ path: 'legacy', is_dir: true }] });
        case '/api/models/get':
          return json({ registered_model: { name: 'prod' } });
        case '/api/models/versions/create':
          return json({ model_version: { name: 'prod', version: '1', ...JSON.parse(String(init.body)) } });
      }
      return undefined;
    });
    renderWithProviders(<RegisterModel run={run({})} onClose={() => {}} />);
    const logged = await screen.findByRole('radio', { name: /churn models:\/m-abc/ });
    await waitFor(() => expect((logged as HTMLInputElement).checked).toBe(true));
    const dir = await screen.findByRole('radio', { name: /legacy artifact directory/ });
    fireEvent.change(screen.getByLabelText(/^Model name/), { target: { value: 'prod' } });
    fireEvent.click(screen.getByRole('button', { name: 'Register' }));
    await waitFor(() => expect(calls.some((c) => c.url.pathname === '/api/models/versions/create')).toBe(true));
    const first = calls.filter((c) => c.url.pathname === '/api/models/versions/create')[0];
    expect(JSON.parse(String(first.init.body))).toEqual({ name: 'prod', source: 'models:/m-abc', run_id: 'r1', model_id: 'm-abc' });

    fireEvent.click(dir);
    fireEvent.click(screen.getByRole('button', { name: 'Register' }));
    await waitFor(() => expect(calls.filter((c) => c.url.pathname === '/api/models/versions/create').length).toBe(2));
    const second = calls.filter((c) => c.url.pathname === '/api/models/versions/create')[1];
    expect(JSON.parse(String(second.init.body))).toEqual({ name: 'prod', source: 'mlflow-artifacts:/7/r1/artifacts/legacy', run_id: 'r1' });
  });
});
