// What a data scientist reads about runs and models beyond the basics, on
// the real stack: the runs list's state and time filters (sent to MLflow),
// group-by and dataset column; a run's source, commit, description, system
// metrics, datasets, logged and registered models; registering one of the
// run's logged models or model directories; stages in the models list and a
// version's page with its signature and input example. Dana does; Erin only
// reads and is offered none of the actions. The data is logged by the stock
// MLflow client (e2e/seed_depth.py) through ml_studio.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { launch, shot } from './browser';
// @ts-expect-error plain ES module without types
import { ADMIN_PASSWORD, startStack } from './stack.mjs';

interface Stack {
  ui: string;
  api: string;
  stop: () => Promise<void>;
  skipped?: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.ML_STUDIO_TEST_MLFLOW_PYTHON || resolve(HERE, '..', '..', '.venv', 'mlflow', 'bin', 'python');
const PW = 'depth-password-e2e-1';
const suffix = Date.now().toString(36);
const dana = `dana${suffix}`;
const erin = `erin${suffix}`;
const expName = `churn-depth-${suffix}`;
const modelName = `churn-depth-model-${suffix}`;
const COMMIT = '3f2c9a1b7d4e5f60718293a4b5c6d7e8f9012345';

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const skip = { reason: '' };
const seed: { expId?: string; ids?: Record<string, string> } = {};

async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(stack.api + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

async function login(user: string, password: string): Promise<string> {
  const r = await fetch(stack.api + '/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password }) });
  if (!r.ok) throw new Error(`login ${user}: ${r.status}`);
  return ((await r.json()) as { token: string }).token;
}

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  // A busy 2-core CI machine can take longer than 20 s to load a page of the real stack.
  page.setDefaultTimeout(40_000);
  page.on('response', async (r) => {
    if (r.url().includes('/api/') && r.status() >= 400) {
      console.log(`[browser] ${r.status()} ${r.request().method()} ${r.url().replace(stack.ui, '')} ${(await r.text().catch(() => '')).slice(0, 300)}`);
    }
  });
  return page;
}

async function signIn(page: Page, user: string, path: string) {
  await page.goto(stack.ui + path);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(PW);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('current-user').waitFor();
}

/** The filter of every runs search the page sends from now on. */
function runFilters(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r: Request) => {
    if (r.url().endsWith('/api/runs/search') && r.method() === 'POST') seen.push((JSON.parse(r.postData() ?? '{}') as { filter?: string }).filter ?? '');
  });
  return seen;
}

beforeAll(async () => {
  if (!existsSync(PYTHON)) {
    const msg = `the pinned MLflow's Python is not at ${PYTHON} (make test-servers installs it)`;
    if (process.env.CI === 'true') throw new Error(msg);
    skip.reason = msg;
    return;
  }
  const t0 = Date.now();
  stack = await startStack({ log: console.log });
  if (stack.skipped) {
    skip.reason = stack.skipped;
    return;
  }
  browser = await launch();
  // Dana may create in the default project; Erin only reads what Dana shares.
  const admin = await login('admin', ADMIN_PASSWORD);
  for (const u of [dana, erin]) await api(admin, 'POST', '/api/users', { username: u, password: PW, display_name: u.startsWith('dana') ? 'Dana Ortiz' : 'Erin Park' });
  await api(admin, 'POST', '/api/grants', { user: dana, element: 'project:default', operation: 'create', effect: 'allow' });
  const token = await login(dana, PW);
  const { experiment_id: expId } = await api<{ experiment_id: string }>(token, 'POST', '/api/experiments/create', { name: expName, project: 'default' });
  seed.expId = expId;
  await api(token, 'POST', '/api/grants', { user: erin, element: `experiment:${expId}`, operation: 'read', effect: 'allow' });
  const { stdout } = await promisify(execFile)(PYTHON, [join(HERE, 'seed_depth.py')], {
    env: { ...process.env, MLFLOW_TRACKING_URI: stack.api, MLFLOW_TRACKING_TOKEN: token, SEED_EXPERIMENT_ID: expId, PYTHONWARNINGS: 'ignore', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2' },
    timeout: 240_000,
    maxBuffer: 4 << 20,
  }).catch((e: Error & { stderr?: string }) => {
    throw new Error(`seed_depth.py failed: ${e.message}\n${(e.stderr ?? '').slice(-3000)}`);
  });
  seed.ids = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, string>;
  console.log(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s (stack and MLflow client)`);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await stack?.stop?.();
});

describe('runs and models in depth, against the real stack', () => {
  it('the runs list filters by state and start time in MLflow, groups by a param, and shows datasets', async ({ skip: s }) => {
    if (skip.reason) s();
    const page = await newPage();
    const filters = runFilters(page);
    await signIn(page, dana, `/experiments/${seed.expId}`);
    const grid = page.getByRole('table', { name: 'Runs' });
    const shown = async () => (await grid.getByRole('link').allTextContents()).sort();
    for (const n of ['train', 'sweep-a', 'sweep-b', 'sweep-c']) await grid.getByRole('link', { name: n, exact: true }).waitFor();
    // The Datasets column: name@digest (context) of each input.
    const train = grid.getByRole('row').filter({ has: page.getByRole('link', { name: 'train', exact: true }) });
    await expect.poll(() => train.textContent()).toMatch(/churn-q3@[0-9a-f]+ \(training\), churn-holdout@[0-9a-f]+ \(eval\)/);
    await shot(page, '50-depth-runs-datasets-column');

    // Failed or killed: MLflow filters (status only compares with = and !=, so "none of the others").
    await page.getByLabel('failed', { exact: true }).check();
    await page.getByLabel('killed', { exact: true }).check();
    await expect.poll(shown).toEqual(['sweep-a', 'sweep-b']);
    expect(filters.at(-1)).toBe("attributes.status != 'RUNNING' and attributes.status != 'SCHEDULED' and attributes.status != 'FINISHED'");
    await shot(page, '50b-depth-runs-state-filter');
    await page.getByLabel('failed', { exact: true }).uncheck();
    await page.getByLabel('killed', { exact: true }).uncheck();

    // Started in the last day: sweep-c, three days old, is left out by MLflow.
    await page.getByLabel('Started', { exact: true }).selectOption('day');
    await expect.poll(shown).toEqual(['sweep-a', 'sweep-b', 'train']);
    const since = Number(/^attributes\.start_time >= (\d+)$/.exec(filters.at(-1) ?? '')?.[1]);
    expect(Math.abs(Date.now() - 86_400_000 - since)).toBeLessThan(120_000);
    await shot(page, '50c-depth-runs-time-filter');
    await page.getByLabel('Started', { exact: true }).selectOption('any');
    await grid.getByRole('link', { name: 'sweep-c' }).waitFor();

    // Grouped by optimizer: a heading per value with its count; a group folds.
    await page.getByLabel('Group by').selectOption('param:optimizer');
    const groups = page.getByTestId('run-group');
    await expect.poll(() => groups.allTextContents()).toEqual(['▾optimizer = adam2 runs', '▾optimizer = sgd2 runs']);
    await page.getByRole('button', { name: 'Fold group optimizer = sgd' }).click();
    await expect.poll(shown).toEqual(['sweep-c', 'train']);
    await shot(page, '50d-depth-runs-group-by');
  });

  it('a run’s page shows its source, commit, description, system metrics, datasets and logged models; Erin may not edit it', async ({ skip: s }) => {
    if (skip.reason) s();
    const runId = seed.ids!.train;
    const page = await newPage();
    await signIn(page, dana, `/runs/${runId}`);
    const source = page.getByRole('group', { name: 'Source' });
    await source.waitFor();
    expect(await source.textContent()).toBe('Source train.py (MLflow project)Git commit 3f2c9a1b7d on mainEntry point train');
    expect(await source.getByRole('link', { name: '3f2c9a1b7d' }).getAttribute('href')).toBe(`https://github.com/acme/churn/commit/${COMMIT}`);
    // System metrics apart from the model's.
    const system = page.getByRole('table', { name: 'System metrics' });
    await system.getByText('cpu_utilization_percentage').waitFor();
    expect(await page.getByRole('table', { name: 'Metrics', exact: true }).getByText(/system|cpu/).count()).toBe(0);
    const datasets = page.getByRole('table', { name: 'Datasets used' });
    await datasets.getByText('churn-q3').waitFor();
    expect(await datasets.getByRole('row').filter({ hasText: 'churn-q3' }).textContent()).toMatch(/trainingcode3tenure_months: double/);
    await page.getByRole('table', { name: 'Logged models' }).getByText(`models:/${seed.ids!.model_id}`).waitFor();
    // The description: edited, and kept.
    await page.getByText('Baseline churn model on the Q3 snapshot.').waitFor();
    await page.getByRole('button', { name: 'Edit run description' }).click();
    await page.getByLabel('run description', { exact: true }).fill('Baseline churn model, Q3 snapshot; beats the rules.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Baseline churn model, Q3 snapshot; beats the rules.').waitFor();
    await page.reload();
    await page.getByText('Baseline churn model, Q3 snapshot; beats the rules.').waitFor();
    await shot(page, '51-depth-run-details');

    const ro = await newPage();
    await signIn(ro, erin, `/runs/${runId}`);
    await ro.getByText('Read only').waitFor();
    await ro.getByText('Baseline churn model, Q3 snapshot; beats the rules.').waitFor();
    await ro.getByRole('table', { name: 'Logged models' }).getByText(`models:/${seed.ids!.model_id}`).waitFor();
    expect(await ro.getByRole('button', { name: 'Edit run description' }).count()).toBe(0);
    expect(await ro.getByRole('button', { name: 'Register model' }).count()).toBe(0);
    await shot(ro, '51b-depth-run-details-read-only');
  });

  it('Dana registers the run’s logged model and its model directory; the list shows stages and a version shows its signature and input example', async ({ skip: s }) => {
    if (skip.reason) s();
    const runId = seed.ids!.train;
    const page = await newPage();
    page.on('dialog', (d) => d.accept());
    await signIn(page, dana, `/runs/${runId}`);
    const register = async (choice: RegExp) => {
      await page.getByRole('button', { name: 'Register model' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByRole('radio', { name: choice }).check();
      await dlg.getByLabel(/^Model name/).fill(modelName);
      return dlg;
    };
    const dlg = await register(new RegExp(`churn models:/${seed.ids!.model_id}`));
    await dlg.getByRole('radio', { name: /legacy\/model artifact directory/ }).waitFor();
    await shot(page, '52-depth-register-from-run');
    await dlg.getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(/\/models\//);
    await page.getByRole('link', { name: 'Version 1' }).waitFor();
    await page.goto(`${stack.ui}/runs/${runId}`);
    await (await register(/legacy\/model artifact directory/)).getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(/\/models\//);
    await page.getByRole('link', { name: 'Version 2' }).waitFor();
    const token = await login(dana, PW);
    const v = await api<{ model_versions: { version: string; source: string }[] }>(token, 'GET', `/api/models/versions/search?filter=${encodeURIComponent(`name = '${modelName}'`)}`);
    expect(v.model_versions.map((x) => [x.version, x.source]).sort()).toEqual([
      ['1', `models:/${seed.ids!.model_id}`],
      ['2', `mlflow-artifacts:/${seed.expId}/${runId}/artifacts/legacy/model`],
    ]);
    await page.getByLabel('Stage of version 1').selectOption('Production');
    await page.getByLabel('Stage of version 2').selectOption('Staging');
    await expect.poll(() => page.getByLabel('Stage of version 2').inputValue()).toBe('Staging');
    await api(token, 'POST', '/api/grants', { user: erin, element: `registered_model:${modelName}`, operation: 'read', effect: 'allow' });

    // The list: the newest version in each stage.
    await page.goto(`${stack.ui}/models`);
    await page.getByLabel('Search models by name').fill(modelName);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: modelName, exact: true }) });
    await expect.poll(() => row.locator('a.stage-chip').allTextContents()).toEqual(['Production v1', 'Staging v2']);
    await shot(page, '53-depth-models-stages');

    // Version 1's page: signature and input example from its MLmodel, and its source run.
    await row.getByRole('link', { name: 'Production v1' }).click();
    await page.waitForURL(/\/versions\/1$/);
    const inputs = page.getByRole('table', { name: 'Signature inputs' });
    await expect.poll(() => inputs.getByRole('row').allTextContents()).toEqual(['NameTypeRequiredDetails', 'tenure_monthsdoubleyes—', 'monthly_feedoubleyes—', 'planstringyes—']);
    const example = page.getByRole('table', { name: 'Input example' });
    await expect.poll(() => example.getByRole('row').allTextContents()).toEqual(['tenure_monthsmonthly_feeplan', '329.9basic', '2449.9pro']);
    expect(await page.getByRole('link', { name: runId.slice(0, 12) }).getAttribute('href')).toBe(`/runs/${runId}`);
    await page.getByRole('button', { name: 'Edit description of version 1' }).waitFor();
    await shot(page, '54-depth-model-version');
    // Version 2, from the run's directory: its signature, and no input example.
    await page.goto(`${stack.ui}/models/${modelName}/versions/2`);
    await page.getByRole('table', { name: 'Signature inputs' }).getByText('tenure_months').waitFor();
    await page.getByText('This model was logged without an input example.').waitFor();

    // The run lists what was registered from it.
    await page.goto(`${stack.ui}/runs/${runId}`);
    const registered = page.getByRole('table', { name: 'Registered model versions' });
    await expect.poll(async () => (await registered.getByRole('link', { name: /^Version/ }).allTextContents()).sort()).toEqual(['Version 1', 'Version 2']);
    await shot(page, '51c-depth-run-registered-versions');

    // Erin reads version 1 but is offered no edit.
    const ro = await newPage();
    await signIn(ro, erin, `/models/${modelName}/versions/1`);
    await ro.getByRole('table', { name: 'Signature inputs' }).getByText('monthly_fee').waitFor();
    await ro.getByText('Read only').waitFor();
    expect(await ro.getByRole('button', { name: 'Edit description of version 1' }).count()).toBe(0);
    expect(await ro.getByLabel('Tag key').count()).toBe(0);
    await shot(ro, '54b-depth-model-version-read-only');
  });
});
