import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { proxyPath } from '../../api/mlflow';
import { saveSession } from '../../api/session';
import { json, mockFetch, myAccessServer, renderWithProviders } from '../../test/utils';
import { exampleTable, parseSchema, readMLmodel } from './mlmodel';
import ModelVersionPage from './ModelVersionPage';
import { stagedVersions } from './ModelsPage';

afterEach(() => vi.unstubAllGlobals());

// As MLflow 3.18 writes it (PyYAML wraps the signature's JSON across lines).
const MLMODEL = `artifact_path: mlflow-artifacts:/7/models/m-abc/artifacts
flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_version: 3.11.7
mlflow_version: 3.18.0
model_id: m-abc
run_id: r1
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "tenure_months", "required": true}, {"type":
    "double", "name": "monthly_fee", "required": true}, {"type": "string", "name":
    "plan", "required": false}]'
  outputs: '[{"type": "long", "required": true}]'
  params: '[{"name": "threshold", "type": "double", "default": 0.5, "shape": null}]'
utc_time_created: '2026-12-03 16:37:34.091340'
`;

describe('MLmodel', () => {
  it('reads the signature, input example and facts', () => {
    const m = readMLmodel(MLMODEL);
    expect(m.flavors).toEqual(['python_function']);
    expect(m.signature?.inputs).toEqual([
      { name: 'tenure_months', type: 'double', detail: '', required: true },
      { name: 'monthly_fee', type: 'double', detail: '', required: true },
      { name: 'plan', type: 'string', detail: '', required: false },
    ]);
    expect(m.signature?.outputs).toEqual([{ name: '#0', type: 'long', detail: '', required: true }]);
    expect(m.signature?.params).toEqual([{ name: 'threshold', type: 'double', detail: 'default 0.5', required: true }]);
    expect(m.inputExample).toEqual({ path: 'input_example.json', type: 'dataframe', orient: 'split' });
    expect(m.mlflowVersion).toBe('3.18.0');
    expect(m.modelId).toBe('m-abc');
  });

  it('has no signature or example when the model was logged without', () => {
    const m = readMLmodel('flavors:\n  sklearn:\n    pickled_model: model.pkl\nsignature: null\n');
    expect(m.signature).toBeNull();
    expect(m.inputExample).toBeNull();
    expect(() => readMLmodel('- just\n- a list\n')).toThrow();
  });

  it.each<[unknown, ReturnType<typeof parseSchema>]>([
    [null, null],
    ['', null],
    ['not json', null],
    ['{"a": 1}', null],
    ['[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}}]', [{ name: '#0', type: 'tensor<float32>', detail: 'shape [-1,28,28]', required: true }]],
    ['[{"type": {"type": "array", "items": {"type": "string"}}, "name": "tags"}]', [{ name: 'tags', type: 'array<string>', detail: '', required: true }]],
    ['[{"type": {"type": "object", "properties": {"a": {"type": "long"}}}, "name": "o"}]', [{ name: 'o', type: 'object{a}', detail: '', required: true }]],
  ])('schema %j', (json, want) => {
    expect(parseSchema(json)).toEqual(want);
  });

  it.each<[unknown, ReturnType<typeof exampleTable>]>([
    [{ columns: ['a', 'b'], data: [[1, 'x']] }, { columns: ['a', 'b'], rows: [[1, 'x']] }],
    [[{ a: 1 }, { b: 2 }], { columns: ['a', 'b'], rows: [[1, undefined], [undefined, 2]] }],
    [{ inputs: [1, 2] }, null],
    ['text', null],
    [[], null],
  ])('example %j', (v, want) => {
    expect(exampleTable(v)).toEqual(want);
  });

  it.each<[string, string | null]>([
    ['mlflow-artifacts:/7/models/m-abc/artifacts', '7/models/m-abc/artifacts'],
    ['mlflow-artifacts:/7/r1/artifacts/legacy/model/', '7/r1/artifacts/legacy/model'],
    ['mlflow-artifacts://host:5000/7/x', '7/x'],
    ['mlflow-artifacts:/7/../8/x', null],
    ['s3://bucket/7/x', null],
    ['runs:/r1/model', null],
  ])('proxy path of %s', (uri, want) => {
    expect(proxyPath(uri)).toBe(want);
  });
});

describe('stages in the models list', () => {
  it('keeps the newest version per stage but None, Production first', () => {
    expect(
      stagedVersions([
        { name: 'm', version: '1', current_stage: 'Archived' },
        { name: 'm', version: '4', current_stage: 'None' },
        { name: 'm', version: '3', current_stage: 'Staging' },
        { name: 'm', version: '2', current_stage: 'Production' },
        { name: 'm', version: '10', current_stage: 'Production' },
      ]),
    ).toEqual([
      { stage: 'Production', version: '10' },
      { stage: 'Staging', version: '3' },
      { stage: 'Archived', version: '1' },
    ]);
    expect(stagedVersions([])).toEqual([]);
  });
});

describe('model version page', () => {
  const bob = { id: 3, username: 'bob', display_name: 'Bob', email: '', is_active: true, is_admin: false };
  const server = (files: Record<string, string | number>) =>
    mockFetch(myAccessServer({ 'registered_model:churn': ['read'] }), (url) => {
      switch (url.pathname) {
        case '/api/models/versions/get':
          return json({ model_version: { name: 'churn', version: '2', current_stage: 'Production', status: 'READY', run_id: 'r1', source: 'models:/m-abc', description: 'first one', tags: [{ key: 'validated', value: 'yes' }] } });
        case '/api/models/get':
          return json({ registered_model: { name: 'churn', aliases: [{ alias: 'champion', version: '2' }] } });
        case '/api/models/versions/download-uri':
          return json({ artifact_uri: 'mlflow-artifacts:/7/models/m-abc/artifacts' });
      }
      const f = url.pathname.replace('/api/2.0/mlflow-artifacts/artifacts/7/models/m-abc/artifacts/', '');
      if (f in files) {
        const v = files[f];
        return typeof v === 'number' ? json({ error_code: 'PERMISSION_DENIED', message: 'you do not have read access to experiment:7' }, v) : new Response(v);
      }
      return undefined;
    });

  const renderPage = () => {
    saveSession({ token: 't', user: bob });
    return renderWithProviders(
      <Routes>
        <Route path="/models/:name/versions/:version" element={<ModelVersionPage />} />
      </Routes>,
      '/models/churn/versions/2',
    );
  };

  it('shows the signature, the input example as a table and the source run, read-only for a reader', async () => {
    const { calls } = server({ MLmodel: MLMODEL, 'input_example.json': JSON.stringify({ columns: ['tenure_months', 'monthly_fee', 'plan'], data: [[3, 29.9, 'basic']] }) });
    renderPage();
    const inputs = await screen.findByRole('table', { name: 'Signature inputs' });
    expect(within(inputs).getAllByRole('row').map((r) => r.textContent)).toEqual(['NameTypeRequiredDetails', 'tenure_monthsdoubleyes—', 'monthly_feedoubleyes—', 'planstringno—']);
    const example = await screen.findByRole('table', { name: 'Input example' });
    expect(within(example).getByText('basic')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'r1' }).getAttribute('href')).toBe('/runs/r1');
    expect(screen.getByText('@champion')).toBeTruthy();
    expect(screen.getByText('first one')).toBeTruthy();
    await screen.findByText('Read only');
    expect(screen.queryByRole('button', { name: /Edit/ })).toBeNull();
    expect(calls.some((c) => c.url.pathname === '/api/2.0/mlflow-artifacts/artifacts/7/models/m-abc/artifacts/MLmodel')).toBe(true);
  });

  it('says so when the model files may not be read', async () => {
    server({ MLmodel: 403 });
    renderPage();
    await screen.findByText(/read access to experiment “7”/);
    expect(screen.queryByRole('table', { name: 'Signature inputs' })).toBeNull();
  });
});

describe('files under an artifact URI', () => {
  it.each(['../../8/secret.json', 'a/../../x', '/etc/passwd', 'a//b', './x'])('refuses %s, which would leave the model’s directory', async (file) => {
    const { calls } = mockFetch(() => new Response('nope'));
    const { artifactFiles } = await import('../../api/mlflow');
    await expect(artifactFiles.text('mlflow-artifacts:/7/models/m-abc/artifacts', file)).rejects.toThrow(/not a file under/);
    expect(calls).toEqual([]);
  });

  it('reads a file through the artifact proxy, and nothing for a URI it does not serve', async () => {
    const { calls } = mockFetch(() => new Response('{"a": 1}'));
    const { artifactFiles } = await import('../../api/mlflow');
    expect(await artifactFiles.text('mlflow-artifacts:/7/models/m-abc/artifacts', 'sub dir/input_example.json')).toBe('{"a": 1}');
    expect(calls[0].url.pathname).toBe('/api/2.0/mlflow-artifacts/artifacts/7/models/m-abc/artifacts/sub%20dir/input_example.json');
    expect(await artifactFiles.text('s3://bucket/7/m', 'MLmodel')).toBeNull();
    expect(calls.length).toBe(1);
  });
});
