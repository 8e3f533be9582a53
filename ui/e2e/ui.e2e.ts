import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch, shot } from './browser';
// @ts-expect-error plain ES module without types
import { ADMIN_PASSWORD, startStack } from './stack.mjs';

interface Stack {
  ui: string;
  api: string;
  stop: () => Promise<void>;
  skipped?: string;
}

const PW = 'correct-horse-battery';
const suffix = Date.now().toString(36);
const alice = `alice${suffix}`;
const bob = `bob${suffix}`;
const carol = `carol${suffix}`;
const expName = `churn-e2e-${suffix}`;
const modelName = `churn-model-${suffix}`;
const promptName = `churn-answer-${suffix}`;
const datasetName = `churn-questions-${suffix}`;

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function newPage(opts: { width?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 860 }, colorScheme: opts.colorScheme ?? 'light' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  // API refusals in the log make a failing run readable.
  page.on('response', async (r) => {
    if (r.url().includes('/api/') && r.status() >= 400) {
      const body = await r.text().catch(() => '');
      console.log(`[browser] ${r.status()} ${r.request().method()} ${r.url().replace(stack.ui, '')} ${body.slice(0, 300)}`);
    }
  });
  return page;
}

async function signIn(page: Page, user: string, password: string, path = '/experiments') {
  await page.goto(stack.ui + path);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('current-user').waitFor();
}

async function api<T>(token: string, method: string, path: string, body?: unknown, raw?: Buffer | string): Promise<T> {
  const r = await fetch(stack.api + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    // fetch takes bytes as a plain Uint8Array, not a Buffer.
    body: typeof raw === 'string' ? raw : raw ? new Uint8Array(raw) : body ? JSON.stringify(body) : undefined,
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

/** Base64 of a hex id, as traces.json holds span and trace ids. */
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

/**
 * Logs a trace the way the stock client's exporter does, through ml_studio
 * as `token`'s user: start it in the experiment (MLflow answers with the
 * trace's artifact location), then upload its spans as traces.json through
 * the artifact proxy. Three spans: a root with two children, one of which
 * has a child of its own.
 */
async function logTrace(token: string, expId: string, question: string): Promise<string> {
  const hex = randomBytes(16).toString('hex');
  const traceId = `tr-${hex}`;
  const t0 = Date.now() - 60_000;
  const { trace } = await api<{ trace: { trace_info: { tags?: Record<string, string> } } }>(token, 'POST', '/api/3.0/mlflow/traces', {
    trace: {
      trace_info: {
        trace_id: traceId,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: expId } },
        request_time: new Date(t0).toISOString(),
        execution_duration: '1.200s',
        state: 'OK',
        request_preview: JSON.stringify({ question }),
        response_preview: JSON.stringify('Mostly price changes.'),
        trace_metadata: { 'mlflow.trace_schema.version': '3' },
        tags: { 'mlflow.traceName': 'answer_question', topic: 'churn' },
      },
    },
  });
  const location = trace.trace_info.tags?.['mlflow.artifactLocation'] ?? '';
  expect(location).toMatch(/^mlflow-artifacts:/);
  const ns = (ms: number) => (t0 + ms) * 1_000_000;
  const ids = { root: randomBytes(8).toString('hex'), retrieve: randomBytes(8).toString('hex'), llm: randomBytes(8).toString('hex'), tokenize: randomBytes(8).toString('hex') };
  const span = (id: string, parent: string | null, name: string, type: string, from: number, to: number, inputs: unknown, outputs: unknown) => ({
    trace_id: b64(hex),
    span_id: b64(id),
    parent_span_id: parent ? b64(parent) : null,
    name,
    kind: 'SPAN_KIND_INTERNAL',
    start_time_unix_nano: ns(from),
    end_time_unix_nano: ns(to),
    events: [],
    status: { code: 'STATUS_CODE_OK', message: '' },
    attributes: {
      'mlflow.traceRequestId': JSON.stringify(traceId),
      'mlflow.spanType': JSON.stringify(type),
      'mlflow.spanFunctionName': JSON.stringify(name),
      'mlflow.spanInputs': JSON.stringify(inputs),
      'mlflow.spanOutputs': JSON.stringify(outputs),
    },
    links: [],
  });
  const spans = [
    span(ids.root, null, 'answer_question', 'CHAIN', 0, 1200, { question }, 'Mostly price changes.'),
    span(ids.retrieve, ids.root, 'retrieve_docs', 'RETRIEVER', 50, 350, { query: question, k: 3 }, ['pricing-faq', 'churn-report-q3']),
    span(ids.llm, ids.root, 'call_llm', 'LLM', 400, 1150, { prompt: `Context: pricing-faq\nQuestion: ${question}` }, 'Mostly price changes.'),
    span(ids.tokenize, ids.llm, 'tokenize', 'PARSER', 410, 430, { text: question }, 14),
  ];
  const path = location.replace(/^mlflow-artifacts:\/+/, '');
  await api(token, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${path}/traces.json`, undefined, JSON.stringify({ spans }));
  return traceId;
}

/** Registers a prompt with two versions through MLflow's registry API, as mlflow.genai.register_prompt does. */
async function registerPrompt(token: string, name: string, templates: [string, string][]) {
  const isPrompt = { key: 'mlflow.prompt.is_prompt', value: 'true' };
  await api(token, 'POST', '/api/2.0/mlflow/registered-models/create', { name, description: 'Answers customer questions about churn', tags: [isPrompt, { key: 'team', value: 'support' }] });
  for (const [text, message] of templates) {
    await api(token, 'POST', '/api/2.0/mlflow/model-versions/create', {
      name,
      source: 'dummy-source',
      description: message,
      tags: [isPrompt, { key: 'mlflow.prompt.text', value: text }, { key: '_mlflow_prompt_type', value: 'text' }],
    });
  }
  await api(token, 'POST', '/api/2.0/mlflow/registered-models/alias', { name, alias: 'production', version: '1' });
}

/** An HTML artifact that tries what a hostile report would: mark itself, then reach the app's session and page. */
const REPORT_HTML = `<!doctype html><html><body><h1>Churn report</h1><p id="reach">not tried</p>
<script>
document.body.dataset.ran = 'yes';
let reach = 'blocked';
try { if (parent.sessionStorage.getItem('mlstudio.token') || sessionStorage.getItem('mlstudio.token')) reach = 'READ THE TOKEN'; } catch (e) {}
try { parent.document.title = 'pwned'; reach = 'TOUCHED THE APP'; } catch (e) {}
document.getElementById('reach').textContent = reach;
</script></body></html>`;

const state: { expId?: string; runs: string[] } = { runs: [] };
const skip = { reason: '' };

beforeAll(async () => {
  stack = await startStack({ log: console.log });
  if (stack.skipped) {
    skip.reason = stack.skipped;
    console.warn(`SKIPPING browser tests: ${stack.skipped}`);
    return;
  }
  browser = await launch();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await stack?.stop?.();
});

describe('ML Studio in the browser, against the real stack', () => {
  it('sends an expired session to sign-in and back', async ({ skip: s }) => {
    if (skip.reason) s();
    const page = await newPage();
    await page.goto(stack.ui + '/signin');
    await page.evaluate(() => {
      sessionStorage.setItem('mlstudio.token', 'mls_expired');
      sessionStorage.setItem('mlstudio.user', JSON.stringify({ id: 1, username: 'admin', display_name: '', email: '', is_active: true, is_admin: true }));
    });
    await page.goto(stack.ui + '/models?x=1');
    await page.waitForURL(/\/signin\?next=/);
    expect(decodeURIComponent(new URL(page.url()).searchParams.get('next') ?? '')).toBe('/models?x=1');
    await shot(page, '01-signin');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/models\?x=1$/);
    await page.getByRole('heading', { name: 'Models' }).waitFor();
  });

  it('admin creates users', async ({ skip: s }) => {
    if (skip.reason) s();
    const page = await newPage();
    await signIn(page, 'admin', ADMIN_PASSWORD, '/admin');
    for (const u of [alice, bob]) {
      await page.getByRole('button', { name: 'New user' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByLabel('Username').fill(u);
      await dlg.getByLabel('Display name').fill(u.startsWith('alice') ? 'Alice Martin' : 'Bob Chen');
      await dlg.getByLabel('Initial password').fill(PW);
      await dlg.getByRole('button', { name: 'Create user' }).click();
      await dlg.waitFor({ state: 'detached' });
      await page.getByRole('cell', { name: u, exact: true }).waitFor();
    }
    await shot(page, '08-admin-users');
    // A team with bob in it.
    await page.getByRole('tab', { name: 'Groups' }).click();
    await page.getByLabel('Group name').fill(`ds-${suffix}`);
    await page.getByLabel('Description').fill('Data science');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('cell', { name: `ds-${suffix}` }).waitFor();
    await page.getByRole('row', { name: new RegExp(`ds-${suffix}`) }).getByRole('button', { name: 'Members' }).click();
    await page.getByRole('heading', { name: `Members of ds-${suffix}` }).waitFor();
    // Part of the username, then a click on the suggestion.
    const member = page.getByRole('combobox', { name: 'Username' });
    await member.fill(bob.slice(0, 5));
    await page.getByRole('option', { name: new RegExp(`Bob Chen.*${bob}`) }).click();
    expect(await member.inputValue()).toBe(bob);
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('button', { name: `Remove ${bob} from ds-${suffix}` }).waitFor();
    await shot(page, '08c-admin-groups');
    // Let alice create experiments and models in the default project.
    await page.getByRole('tab', { name: 'Project access' }).click();
    const form = page.getByRole('form', { name: 'Grant access' });
    await form.getByLabel('Username').fill(alice);
    await form.getByLabel('Operation').selectOption('create');
    await form.getByRole('button', { name: 'Grant' }).click();
    await page.getByRole('button', { name: `Revoke create from user:${alice}` }).waitFor();
    await shot(page, '08b-admin-project-access');
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByRole('table', { name: 'Audit entries' }).getByText('user.create').first().waitFor();
    await shot(page, '09-admin-audit');
  });

  it('admin edits a user, resets a password, reads a user’s access, picks a project and follows an audit link; the last admin is never offered Disable', async ({ skip: s }) => {
    if (skip.reason) s();
    const token = await login('admin', ADMIN_PASSWORD);
    await api(token, 'POST', '/api/users', { username: carol, password: PW, display_name: 'Carol' });
    // carol signed in elsewhere: the reset signs her out.
    const c = await newPage();
    await signIn(c, carol, PW, '/models');
    const carolToken = await login(carol, PW);

    const page = await newPage();
    page.on('dialog', (d) => d.accept());
    await signIn(page, 'admin', ADMIN_PASSWORD, '/admin');
    const users = page.getByRole('table', { name: 'Users' });
    await users.getByRole('cell', { name: carol, exact: true }).waitFor();
    // The only admin is the one signed in: no Disable, no Reset password (that is My account), no demotion.
    expect(await page.getByRole('button', { name: 'Disable admin', exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Edit admin', exact: true }).click();
    expect(await page.getByRole('dialog').getByLabel('Administrator').count()).toBe(0);
    expect(await page.getByTestId('admin-kept').textContent()).toMatch(/your own account/);
    await shot(page, '08d-admin-last-admin');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    // Edit carol: name, email, admin role.
    await page.getByRole('button', { name: `Edit ${carol}` }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('Display name').fill('Carol Díaz');
    await dlg.getByLabel('Email').fill(`${carol}@example.com`);
    await dlg.getByLabel('Administrator').check();
    await shot(page, '08e-admin-edit-user');
    await dlg.getByRole('button', { name: 'Save' }).click();
    await dlg.waitFor({ state: 'detached' });
    const row = users.getByRole('row').filter({ has: page.getByRole('cell', { name: carol, exact: true }) });
    await row.getByText('Carol Díaz').waitFor();
    await row.getByText(`${carol}@example.com`).waitFor();
    await row.getByText('admin', { exact: true }).waitFor();
    // Two active admins now: carol may be disabled, the signed-in admin still not.
    await page.getByRole('button', { name: `Disable ${carol}` }).waitFor();
    expect(await page.getByRole('button', { name: 'Disable admin', exact: true }).count()).toBe(0);
    // And back to a member.
    await page.getByRole('button', { name: `Edit ${carol}` }).click();
    await page.getByRole('dialog').getByLabel('Administrator').uncheck();
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await row.getByText('member', { exact: true }).waitFor();

    // Reset carol's password: her session and her token stop working at once.
    await page.getByRole('button', { name: `Reset password of ${carol}` }).click();
    const reset = page.getByRole('dialog');
    await reset.getByLabel(/^New password/).fill('carol-reset-password-1');
    await reset.getByLabel(/^Repeat the new password/).fill('carol-reset-password-1');
    await reset.getByRole('button', { name: 'Reset password' }).click();
    await reset.getByText(/Every session and API token .* was revoked/).waitFor();
    await shot(page, '08f-admin-password-reset');
    await reset.getByRole('button', { name: 'Done' }).click();
    await c.getByRole('link', { name: 'Experiments' }).click();
    await c.waitForURL(/\/signin\?next=/);
    const me = await fetch(stack.api + '/api/auth/me', { headers: { Authorization: `Bearer ${carolToken}` } });
    expect(me.status).toBe(401);
    await login(carol, 'carol-reset-password-1');

    // What alice may do, from her row.
    await page.getByRole('button', { name: `Access of ${alice}` }).click();
    await page.waitForURL(new RegExp(`[?&]user=${alice}`));
    const grants = page.getByRole('table', { name: `Grants of ${alice}` });
    await grants.getByRole('link', { name: 'project:default' }).waitFor();
    await grants.getByText('create', { exact: true }).waitFor();
    await shot(page, '08g-admin-user-access');
    // The element links to its project's access, picked from the list.
    await grants.getByRole('link', { name: 'project:default' }).click();
    await page.waitForURL(/tab=access&project=default/);
    const project = page.getByRole('combobox', { name: /^Project/ });
    expect(await project.inputValue()).toBe('default');
    expect(await project.locator('option').allTextContents()).toEqual(expect.arrayContaining(['default', 'Everything (*)']));
    await page.getByRole('button', { name: `Revoke create from user:${alice}` }).waitFor();
    await shot(page, '08h-admin-project-list');

    // An audit entry's target leads to what it names.
    await page.getByRole('tab', { name: 'Audit log' }).click();
    const entries = page.getByRole('table', { name: 'Audit entries' });
    await entries.getByRole('link', { name: `user:${carol}` }).first().click();
    await page.waitForURL(new RegExp(`tab=users&user=${carol}`));
    await page.getByRole('heading', { name: `What ${carol} may do` }).waitFor();
    await shot(page, '09b-admin-audit-link');
  });

  it('carol changes her password: her other sessions end, this one and her API tokens go on', async ({ skip: s }) => {
    if (skip.reason) s();
    const pw = 'carol-reset-password-1';
    const other = await newPage();
    await signIn(other, carol, pw, '/models');
    const tok = await api<{ token: string }>(await login(carol, pw), 'POST', '/api/tokens', { name: 'nb', expires_in_days: 7 });
    const page = await newPage();
    await signIn(page, carol, pw, '/account');
    const form = page.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not-my-password');
    await form.getByLabel(/^New password/).fill('carol-own-password-2');
    await form.getByLabel(/^Repeat the new password/).fill('carol-own-password-2');
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('Your current password is not right.');
    await form.getByLabel('Current password').fill(pw);
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toMatch(/other sessions were signed out.*API tokens keep working/);
    await shot(page, '13b-account-password');
    // This session goes on; the other one is back at sign-in; the token still works.
    await page.getByRole('link', { name: 'Experiments' }).click();
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    await other.getByRole('link', { name: 'Experiments' }).click();
    await other.waitForURL(/\/signin\?next=/);
    expect((await api<{ username: string }>(tok.token, 'GET', '/api/auth/me')).username).toBe(carol);
    await login(carol, 'carol-own-password-2');
  });

  it('alice creates an experiment, logs runs, and sees charts and artifacts', async ({ skip: s }) => {
    if (skip.reason) s();
    const page = await newPage();
    await signIn(page, alice, PW);
    await page.getByRole('button', { name: 'New experiment' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('Name').fill(expName);
    expect(await dlg.getByLabel('Project').inputValue()).toBe('default');
    await dlg.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/experiments\/\d+$/);
    const expId = page.url().split('/').pop()!;
    state.expId = expId;

    // Runs through the API, as a training script would log them.
    const token = await login(alice, PW);
    const png = await page.screenshot({ clip: { x: 0, y: 0, width: 320, height: 200 } });
    const t0 = Date.now() - 3_600_000;
    for (const [i, lr] of [
      [0, '0.01'],
      [1, '0.003'],
    ] as const) {
      const { run } = await api<{ run: { info: { run_id: string } } }>(token, 'POST', '/api/runs/create', { experiment_id: expId, run_name: `trial-${i + 1}`, start_time: t0 });
      const id = run.info.run_id;
      state.runs.push(id);
      const metrics = [];
      for (let step = 0; step < 200; step++) {
        const ts = t0 + step * 1000;
        metrics.push({ key: 'loss', value: Math.exp(-step / (40 + i * 30)) + 0.05 * Math.sin(step / 5), timestamp: ts, step });
        metrics.push({ key: 'accuracy', value: 1 - 0.6 * Math.exp(-step / (50 + i * 20)), timestamp: ts, step });
        metrics.push({ key: 'learning_rate', value: Number(lr) * Math.pow(0.99, step), timestamp: ts, step });
      }
      await api(token, 'POST', '/api/runs/log-batch', {
        run_id: id,
        metrics,
        params: [
          { key: 'lr', value: lr },
          { key: 'max_depth', value: '6' },
          { key: 'optimizer', value: i ? 'sgd' : 'adam' },
        ],
        tags: [{ key: 'team', value: 'growth' }],
      });
      const q = (p: string) => `/api/artifacts/upload?run_id=${id}&path=${encodeURIComponent(p)}`;
      await api(token, 'PUT', q('plots/confusion.png'), undefined, png);
      await api(token, 'PUT', q('eval/predictions.csv'), undefined, 'customer,churned,score\nc-001,no,0.12\nc-002,yes,0.91\nc-003,no,0.33\n');
      await api(token, 'PUT', q('eval/metrics.json'), undefined, JSON.stringify({ auc: 0.91, f1: 0.84, thresholds: [0.3, 0.5, 0.7] }));
      // An HTML report whose script would mark the page and reach for the app's session, and a table as mlflow.log_table writes it.
      await api(token, 'PUT', q('eval/report.html'), undefined, REPORT_HTML);
      await api(token, 'PUT', q('eval/eval_results_table.json'), undefined, JSON.stringify({ columns: ['question', 'answer', 'score'], data: [['Why churn?', 'Price changes.', 0.91], ['How to cancel?', 'Settings, Billing.', 0.62]] }));
      await api(token, 'PUT', q('model/MLmodel'), undefined, 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    python_version: 3.11.4\n  sklearn:\n    pickled_model: model.pkl\n    sklearn_version: 1.4.2\nmlflow_version: 2.14.1\nrun_id: ' + id + '\n');
      await api(token, 'POST', '/api/runs/update', { run_id: id, status: 'FINISHED', end_time: t0 + 200_000 });
    }

    await page.reload();
    const grid = page.getByRole('table', { name: 'Runs' });
    await grid.getByRole('link', { name: 'trial-1' }).waitFor();
    await grid.getByRole('link', { name: 'trial-2' }).waitFor();
    await shot(page, '02-experiment-runs');

    // An invalid filter shows MLflow's message plainly.
    await page.getByLabel('Filter runs (MLflow search syntax)').fill('metrics.loss >>> 1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('#filter-error').textContent()).toContain("This filter isn't valid");
    await page.getByLabel('Filter runs (MLflow search syntax)').fill("params.optimizer = 'sgd'");
    await page.getByRole('button', { name: 'Apply' }).click();
    await grid.getByRole('link', { name: 'trial-2' }).waitFor();
    await expect.poll(() => grid.getByRole('link', { name: 'trial-1' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Clear' }).click();

    await grid.getByRole('link', { name: 'trial-1' }).click();
    await page.getByRole('heading', { name: /trial-1/ }).waitFor();
    await shot(page, '03-run-overview');
    await page.getByRole('tab', { name: /Charts/ }).click();
    await expect.poll(() => page.locator('[data-testid=charts] canvas').count()).toBe(3);
    await shot(page, '04-run-charts');
    // Drag across the first chart to zoom; Reset zoom brings it back.
    const over = page.locator('[data-testid=charts] .u-over').first();
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const reset = page.getByRole('button', { name: 'Reset zoom' }).first();
    await expect.poll(() => reset.isEnabled()).toBe(true);
    await reset.click();
    await expect.poll(() => reset.isEnabled()).toBe(false);
    // Time on the x axis.
    await page.getByRole('button', { name: 'Time', exact: true }).click();
    await expect.poll(() => page.locator('[data-testid=charts] canvas').count()).toBe(3);
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByRole('button', { name: 'plots', exact: true }).click();
    await page.getByRole('button', { name: /confusion\.png/ }).click();
    const img = page.getByRole('img', { name: 'Artifact plots/confusion.png' });
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await shot(page, '05-run-artifact-image');
    await page.getByRole('button', { name: 'eval', exact: true }).click();
    await page.getByRole('button', { name: /predictions\.csv/ }).click();
    await page.getByRole('table', { name: 'CSV preview' }).getByText('c-002').waitFor();
    // log_table's JSON reads as a table.
    await page.getByRole('button', { name: /eval_results_table\.json/ }).click();
    const logged = page.getByRole('table', { name: 'Table preview' });
    await logged.getByRole('cell', { name: 'How to cancel?' }).waitFor();
    expect(await logged.locator('th').allTextContents()).toEqual(['question', 'answer', 'score']);
    await shot(page, '05c-run-artifact-log-table');
    // HTML is rendered in a sandboxed frame, its script kept off, never in the app's origin.
    await page.getByRole('button', { name: /report\.html/ }).click();
    const frameEl = page.locator('iframe[title="Artifact eval/report.html"]');
    await frameEl.waitFor();
    expect(await frameEl.getAttribute('sandbox')).toBe('');
    const frame = page.frameLocator('iframe[title="Artifact eval/report.html"]');
    await frame.getByRole('heading', { name: 'Churn report' }).waitFor();
    expect(await page.getByText('<h1>Churn report</h1>').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(await frame.locator('body').getAttribute('data-ran')).toBeNull();
    await shot(page, '05d-run-artifact-html');
    // Its scripts on request: they run, but in an opaque origin that cannot read the session or touch the app.
    await page.getByRole('button', { name: 'Run its scripts' }).click();
    expect(await frameEl.getAttribute('sandbox')).toBe('allow-scripts');
    await expect.poll(() => frame.locator('body').getAttribute('data-ran')).toBe('yes');
    expect(await frame.locator('#reach').textContent()).toBe('blocked');
    expect(await page.title()).toBe('ML Studio');
    await page.getByRole('button', { name: 'model', exact: true }).click();
    await page.getByRole('button', { name: /MLmodel/ }).click();
    await page.getByText('Flavors').waitFor();
    await shot(page, '05b-run-artifact-mlmodel');
  });

  it('alice compares two runs, registers a model and sets an alias', async ({ skip: s }) => {
    if (skip.reason) s();
    const page = await newPage();
    await signIn(page, alice, PW, `/experiments/${state.expId}`);
    await page.getByLabel('Select run trial-1').check();
    await page.getByLabel('Select run trial-2').check();
    await page.getByRole('button', { name: 'Compare (2)' }).click();
    await page.waitForURL(/\/compare\?runs=/);
    await expect.poll(() => page.locator('[data-testid=charts] canvas').count()).toBe(3);
    const diff = page.getByRole('table', { name: 'Differences between runs' });
    await diff.getByText('optimizer').waitFor();
    expect(await diff.locator('tr[data-differs=true]').count()).toBeGreaterThanOrEqual(2);
    expect(await diff.getByText('max_depth').locator('xpath=ancestor::tr').getAttribute('data-differs')).toBe('false');
    // The breadcrumb names the experiment.
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: expName }).waitFor();
    await shot(page, '06-compare');

    await page.goto(`${stack.ui}/runs/${state.runs[0]}`);
    await page.getByRole('button', { name: 'Register model' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('Model name').fill(modelName);
    await dlg.getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(/\/models\//);
    await page.getByRole('button', { name: 'Details of version 1' }).waitFor();
    await page.getByLabel('Alias', { exact: true }).fill('champion');
    await page.getByLabel('Version for alias').selectOption('1');
    await page.getByRole('button', { name: 'Set alias' }).click();
    await page.getByText('@champion → version 1').waitFor();
    await page.getByLabel('Stage of version 1').selectOption('Staging').catch(() => {});
    await shot(page, '07-model');
    await page.getByRole('button', { name: 'Details of version 1' }).click();
    const vd = page.getByRole('dialog');
    await vd.getByLabel('Tag key').fill('validated');
    await vd.getByLabel('Tag value').fill('yes');
    await vd.getByRole('button', { name: 'Add tag' }).click();
    await vd.getByRole('button', { name: 'Remove tag validated' }).waitFor();
    await expect.poll(() => vd.getByText(/^mlflow-artifacts:|^s3:|^file:|\//).count()).toBeGreaterThan(0);
    await shot(page, '07c-model-version');
    await vd.getByRole('button', { name: 'Close' }).click();
    // Prompts are not models: the registry's list leaves them out.
    await page.goto(stack.ui + '/models');
    await page.getByRole('link', { name: modelName }).waitFor();
    await shot(page, '07b-models');
  });

  it('alice logs a sweep: child runs nest under their parent, with sub-second durations and start times to the second', async ({ skip: s }) => {
    if (skip.reason) s();
    const token = await login(alice, PW);
    const t0 = Date.now() - 120_000;
    const make = async (name: string, start: number, ms: number, parent?: string) => {
      const { run } = await api<{ run: { info: { run_id: string } } }>(token, 'POST', '/api/runs/create', { experiment_id: state.expId, run_name: name, start_time: start });
      const id = run.info.run_id;
      await api(token, 'POST', '/api/runs/log-batch', {
        run_id: id,
        metrics: [{ key: 'val_loss', value: 0.3 + ms / 10_000, timestamp: start, step: 0 }],
        tags: parent ? [{ key: 'mlflow.parentRunId', value: parent }] : [],
      });
      await api(token, 'POST', '/api/runs/update', { run_id: id, status: 'FINISHED', end_time: start + ms });
      return id;
    };
    const sweep = await make('sweep', t0, 2_400);
    const kids = [await make('sweep-lr-0.1', t0 + 1_000, 420, sweep), await make('sweep-lr-0.01', t0 + 2_000, 380, sweep)];

    const page = await newPage();
    await signIn(page, alice, PW, `/experiments/${state.expId}`);
    const grid = page.getByRole('table', { name: 'Runs' });
    await grid.getByRole('link', { name: 'sweep-lr-0.01' }).waitFor();
    const rows = await grid.getByRole('row').evaluateAll((els) =>
      els.slice(1).map((r) => `${r.getAttribute('data-depth')}:${r.querySelector('a')?.textContent}:${r.querySelectorAll('[role=cell]')[4]?.textContent}`),
    );
    const at = rows.findIndex((r) => r.startsWith('0:sweep:'));
    expect(rows.slice(at, at + 3)).toEqual(['0:sweep:2.4 s', '1:sweep-lr-0.01:380 ms', '1:sweep-lr-0.1:420 ms']);
    // Start times to the second tell the children apart.
    const starts = await grid.getByRole('row').evaluateAll((els) => els.slice(1).map((r) => r.querySelectorAll('[role=cell]')[3]?.textContent ?? ''));
    expect(new Set(starts.slice(at, at + 3)).size).toBe(3);
    await shot(page, '02b-nested-runs');
    await grid.getByRole('button', { name: 'Hide the 2 child runs of sweep' }).click();
    await expect.poll(() => grid.getByRole('link', { name: 'sweep-lr-0.1' }).count()).toBe(0);
    await grid.getByRole('button', { name: 'Show the 2 child runs of sweep' }).click();

    // A child links to its parent; the parent lists its children.
    await grid.getByRole('link', { name: 'sweep-lr-0.1' }).click();
    await page.waitForURL(new RegExp(`/runs/${kids[0]}$`));
    await page.getByText('Duration 420 ms').waitFor();
    await page.getByRole('link', { name: 'sweep', exact: true }).click();
    await page.waitForURL(new RegExp(`/runs/${sweep}$`));
    const children = page.getByRole('table', { name: 'Child runs' });
    await children.getByRole('link', { name: 'sweep-lr-0.01' }).waitFor();
    expect(await children.getByRole('link').allTextContents()).toEqual(['sweep-lr-0.1', 'sweep-lr-0.01']);
    await page.getByRole('heading', { name: 'Child runs (2)' }).waitFor();
    await shot(page, '03b-run-children');

    // val_loss was logged once per run: compared, it reads as a value and a bar per run, not a dot on an axis.
    await page.goto(`${stack.ui}/compare?runs=${kids.join(',')}`);
    const values = page.getByRole('list', { name: 'Values of val_loss' });
    await values.waitFor();
    expect(await values.locator('.value-bar-value').allTextContents()).toEqual(['0.342', '0.338']);
    expect(await page.getByRole('figure', { name: 'Chart of val_loss' }).locator('canvas').count()).toBe(0);
    await shot(page, '06b-compare-single-values');
  });

  it('at 768 px no page is wider than the window; dark mode follows the system and a remembered toggle', async ({ skip: s }) => {
    if (skip.reason) s();
    const overflow = (p: Page) => p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    const pages: [string, () => Promise<unknown>][] = [];
    const page = await newPage({ width: 768 });
    await signIn(page, alice, PW);
    pages.push(
      ['/experiments', () => page.getByRole('link', { name: expName }).waitFor()],
      [`/experiments/${state.expId}`, () => page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'trial-1' }).waitFor()],
      [`/runs/${state.runs[0]}`, () => page.getByRole('heading', { name: /trial-1/ }).waitFor()],
      [`/compare?runs=${state.runs.join(',')}`, () => page.getByRole('table', { name: 'Differences between runs' }).getByText('optimizer').waitFor()],
      ['/models', () => page.getByRole('heading', { name: 'Models' }).waitFor()],
      ['/prompts', () => page.getByRole('heading', { name: 'Prompts' }).waitFor()],
      ['/account', () => page.getByRole('form', { name: 'Change password' }).waitFor()],
    );
    for (const [path, ready] of pages) {
      await page.goto(stack.ui + path);
      await ready();
      await page.waitForLoadState('networkidle');
      const { scroll, inner } = await overflow(page);
      expect(scroll, `${path} at 768 px`).toBeLessThanOrEqual(inner);
    }
    await page.goto(`${stack.ui}/experiments/${state.expId}`);
    await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'trial-1' }).waitFor();
    await shot(page, '22-narrow-experiment');
    // The admin console's widest tables scroll inside their box.
    const admin = await newPage({ width: 768 });
    await signIn(admin, 'admin', ADMIN_PASSWORD, '/admin?tab=audit');
    await admin.getByRole('table', { name: 'Audit entries' }).getByText('user.create').first().waitFor();
    expect((await overflow(admin)).scroll).toBeLessThanOrEqual(768);
    await shot(admin, '22b-narrow-admin-audit');

    // A dark system: dark without asking; the toggle's choice outlives a reload and wins over the system.
    const dark = await newPage({ colorScheme: 'dark' });
    await signIn(dark, alice, PW, `/runs/${state.runs[0]}`);
    await dark.getByRole('heading', { name: /trial-1/ }).waitFor();
    const look = () => dark.evaluate(() => ({ theme: document.documentElement.dataset.theme, bg: getComputedStyle(document.body).backgroundColor }));
    expect(await look()).toEqual({ theme: 'dark', bg: 'rgb(15, 20, 27)' });
    await dark.getByRole('tab', { name: /Charts/ }).click();
    await expect.poll(() => dark.locator('[data-testid=charts] canvas').count()).toBe(3);
    await shot(dark, '23-dark-run-charts');
    const toggle = dark.getByRole('combobox', { name: 'Theme' });
    expect(await toggle.inputValue()).toBe('system');
    await toggle.selectOption('light');
    expect(await look()).toEqual({ theme: 'light', bg: 'rgb(245, 246, 248)' });
    await dark.reload();
    await dark.getByRole('heading', { name: /trial-1/ }).waitFor();
    expect((await look()).theme).toBe('light');
    expect(await dark.evaluate(() => localStorage.getItem('mlstudio.theme'))).toBe('light');
    await dark.getByRole('combobox', { name: 'Theme' }).selectOption('dark');
    await dark.goto(`${stack.ui}/experiments/${state.expId}`);
    await dark.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'trial-1' }).waitFor();
    expect((await look()).theme).toBe('dark');
    await shot(dark, '23b-dark-experiment');
  });

  it('alice grants bob read; bob sees it read-only; after revoking he no longer sees it', async ({ skip: s }) => {
    if (skip.reason) s();
    const a = await newPage();
    await signIn(a, alice, PW, `/experiments/${state.expId}`);
    const form = a.getByRole('form', { name: 'Grant access' });
    // alice is no admin: she finds bob in the directory by part of his display name and picks him with the keyboard.
    const who = form.getByRole('combobox', { name: 'Username' });
    await who.pressSequentially('chen', { delay: 30 });
    await form.getByRole('option', { name: new RegExp(`Bob Chen.*${bob}`) }).waitFor();
    expect(await who.getAttribute('aria-expanded')).toBe('true');
    await shot(a, '10a-people-picker');
    await who.press('ArrowDown');
    expect(await who.getAttribute('aria-activedescendant')).toBeTruthy();
    await who.press('Enter');
    expect(await who.inputValue()).toBe(bob);
    expect(await who.getAttribute('aria-expanded')).toBe('false');
    await form.getByLabel('Operation').selectOption('read');
    await form.getByRole('button', { name: 'Grant' }).click();
    await a.getByRole('button', { name: `Revoke read from user:${bob}` }).waitFor();
    await shot(a, '10-access-panel');

    // The list offers alice, who manages her experiment, Rename and Delete, and New experiment (create on default).
    const al = await newPage();
    await signIn(al, alice, PW);
    await al.getByRole('button', { name: `Rename ${expName}` }).waitFor();
    await al.getByRole('button', { name: `Delete ${expName}` }).waitFor();
    await al.getByRole('button', { name: 'New experiment' }).waitFor();
    await shot(al, '11c-alice-experiments-actions');

    // bob, reading only, is offered none of it once cerberus has answered.
    const b = await newPage();
    const answered = b.waitForResponse((r) => r.url().includes('/api/authorize/batch') && r.ok());
    await signIn(b, bob, PW);
    await b.getByRole('link', { name: expName }).waitFor();
    const ops = ((await (await answered).json()) as { operations: Record<string, string[]> }).operations;
    expect(ops[`experiment:${state.expId}`]).toEqual([]);
    await b.waitForTimeout(200);
    expect(await b.getByRole('button', { name: `Rename ${expName}` }).count()).toBe(0);
    expect(await b.getByRole('button', { name: `Delete ${expName}` }).count()).toBe(0);
    expect(await b.getByRole('button', { name: 'New experiment' }).count()).toBe(0);
    await shot(b, '11b-bob-experiments-read-only');
    await b.getByRole('link', { name: expName }).click();
    await b.getByText('Read only').waitFor();
    await b.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'trial-1' }).waitFor();
    expect(await b.getByRole('button', { name: 'Edit experiment name' }).count()).toBe(0);
    expect(await b.getByRole('button', { name: 'Add tag' }).count()).toBe(0);
    expect(await b.getByRole('form', { name: 'Grant access' }).count()).toBe(0);
    await shot(b, '11-bob-read-only');
    // An edit sent anyway is refused with a clear message.
    const refused = await b.evaluate(async (id) => {
      const r = await fetch('/api/experiments/update', {
        method: 'POST',
        headers: { Authorization: `Bearer ${sessionStorage.getItem('mlstudio.token')}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ experiment_id: id, new_name: 'hijacked' }),
      });
      return { status: r.status, body: await r.text() };
    }, state.expId);
    expect(refused.status).toBe(403);
    await b.getByRole('link', { name: 'trial-1' }).click();
    await b.getByRole('heading', { name: /trial-1/ }).waitFor();
    await b.getByText('Read only').waitFor();
    expect(await b.getByRole('button', { name: 'Delete run' }).count()).toBe(0);
    expect(await b.getByRole('button', { name: 'Register model' }).count()).toBe(0);
    expect(await b.getByRole('button', { name: 'Edit run name' }).count()).toBe(0);
    await shot(b, '11d-bob-run-read-only');
    // No New model where he may not create one.
    const asked = b.waitForResponse((r) => r.url().includes('/api/authorize/batch') && r.ok());
    await b.goto(`${stack.ui}/models`);
    await b.getByRole('heading', { name: 'Models' }).waitFor();
    await asked;
    await b.waitForTimeout(200);
    expect(await b.getByRole('button', { name: 'New model' }).count()).toBe(0);

    await a.getByRole('button', { name: `Revoke read from user:${bob}` }).click();
    await expect.poll(() => a.getByRole('button', { name: `Revoke read from user:${bob}` }).count()).toBe(0);

    await b.goto(`${stack.ui}/experiments/${state.expId}`);
    await expect.poll(() => b.getByRole('alert').first().textContent()).toMatch(/You don't have read access to (this )?experiment.*Ask someone who manages it/);
    await shot(b, '12-bob-no-access');
    await b.goto(`${stack.ui}/experiments`);
    await b.getByRole('heading', { name: 'Experiments' }).waitFor();
    await b.waitForLoadState('networkidle');
    expect(await b.getByRole('link', { name: expName }).count()).toBe(0);
  });

  it('alice reviews a trace: span tree, inputs, feedback; bob, reading only, gets no feedback form', async ({ skip: s }) => {
    if (skip.reason) s();
    const token = await login(alice, PW);
    const question = 'Why do customers churn?';
    const traceId = await logTrace(token, state.expId!, question);

    const page = await newPage();
    await signIn(page, alice, PW, `/experiments/${state.expId}`);
    await page.getByRole('tab', { name: 'Traces' }).click();
    await page.waitForURL(/\?tab=traces$/);
    const table = page.getByRole('table', { name: 'Traces' });
    const link = table.getByRole('link', { name: `Trace ${traceId}` });
    await link.waitFor();
    const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: `Trace ${traceId}` }) });
    await row.getByText(question).waitFor();
    expect(await row.getByText('1.2 s').count()).toBe(1);
    await shot(page, '14-experiment-traces');

    await link.click();
    await page.waitForURL(new RegExp(`/traces/${traceId}$`));
    const tree = page.getByRole('tree', { name: 'Span tree' });
    await tree.getByRole('treeitem').first().waitFor();
    expect(await tree.getByRole('treeitem').evaluateAll((els) => els.map((e) => `${e.getAttribute('aria-level')}:${e.querySelector('.span-name .truncate')?.textContent}`))).toEqual([
      '1:answer_question',
      '2:retrieve_docs',
      '2:call_llm',
      '3:tokenize',
    ]);
    await page.getByRole('heading', { name: 'Span: answer_question' }).waitFor();
    await tree.getByRole('button', { name: /^retrieve_docs, 300 ms/ }).click();
    await page.getByRole('heading', { name: 'Span: retrieve_docs' }).waitFor();
    expect(await page.getByLabel('Span inputs').textContent()).toContain(`"query": "${question}"`);
    expect(await page.getByLabel('Span outputs').textContent()).toContain('churn-report-q3');
    await tree.getByRole('button', { name: /^call_llm/ }).click();
    expect(await page.getByLabel('Span inputs').textContent()).toContain('Context: pricing-faq');

    const form = page.getByRole('form', { name: 'Add feedback' });
    await form.getByLabel('Feedback name').fill('correctness');
    await form.getByLabel('Value').selectOption('no');
    await form.getByLabel('Rationale').fill('cites the wrong document');
    await form.getByRole('button', { name: 'Add feedback' }).click();
    const assessments = page.getByRole('table', { name: 'Assessments' });
    await assessments.getByRole('cell', { name: 'cites the wrong document' }).waitFor();
    const fb = assessments.getByRole('row').filter({ hasText: 'correctness' });
    expect(await fb.getByRole('cell').allTextContents()).toEqual(expect.arrayContaining(['false', 'feedback', expect.stringContaining(alice)]));
    // A trace tag from the page.
    await page.getByLabel('Tag key').fill('reviewed');
    await page.getByLabel('Tag value').fill('yes');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.getByRole('button', { name: 'Remove tag reviewed' }).waitFor();
    await shot(page, '15-trace-detail');

    // The list shows the new assessment and tag.
    await page.getByRole('link', { name: expName }).click();
    await page.waitForURL(/\?tab=traces$/);
    const listed = page.getByRole('table', { name: 'Traces' }).getByRole('row').filter({ has: page.getByRole('link', { name: `Trace ${traceId}` }) });
    await listed.getByText('correctness').waitFor();
    await listed.getByText('reviewed').waitFor();

    // bob may read the experiment: he sees the trace and its feedback, but no form, and a feedback sent anyway is refused.
    const grant = { element: `experiment:${state.expId}`, operation: 'read', effect: 'allow', user: bob };
    await api(token, 'POST', '/api/grants', grant);
    try {
      const b = await newPage();
      await signIn(b, bob, PW, `/traces/${traceId}`);
      await b.getByRole('tree', { name: 'Span tree' }).getByRole('treeitem').first().waitFor();
      await b.getByText('Read only').waitFor();
      await b.getByRole('table', { name: 'Assessments' }).getByRole('cell', { name: 'correctness' }).waitFor();
      expect(await b.getByRole('form', { name: 'Add feedback' }).count()).toBe(0);
      expect(await b.getByRole('button', { name: 'Add tag' }).count()).toBe(0);
      await shot(b, '16-trace-read-only');
      const refused = await b.evaluate(async (id) => {
        const r = await fetch(`/api/3.0/mlflow/traces/${id}/assessments`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${sessionStorage.getItem('mlstudio.token')}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ assessment: { assessment_name: 'sneaky', trace_id: id, source: { source_type: 'HUMAN', source_id: 'bob' }, feedback: { value: true } } }),
        });
        return r.status;
      }, traceId);
      expect(refused).toBe(403);
    } finally {
      await api(token, 'POST', '/api/grants/revoke', grant);
    }
  });

  it('alice opens an experiment’s Datasets tab and a dataset’s records; bob, without access, is told so', async ({ skip: s }) => {
    if (skip.reason) s();
    // Created as mlflow.genai.datasets.create_dataset and merge_records do, through ml_studio as alice.
    const token = await login(alice, PW);
    const { dataset } = await api<{ dataset: { dataset_id: string } }>(token, 'POST', '/api/3.0/mlflow/datasets/create', {
      name: datasetName,
      experiment_ids: [state.expId],
      tags: JSON.stringify({ 'mlflow.user': alice, purpose: 'regression' }),
    });
    const datasetId = dataset.dataset_id;
    const records = [
      { inputs: { question: 'Why do customers churn?' }, expectations: { expected_facts: ['price increases', 'slow support'] }, source: { source_type: 'HUMAN', source_data: { annotator: alice } } },
      { inputs: { question: 'How do I cancel?' }, expectations: { expected_response: 'Settings → Billing → Cancel.' }, outputs: 'Go to Settings.', source: { source_type: 'CODE', source_data: { generator: 'faq-import' } } },
      { inputs: { question: 'Is there a student discount?', context: { plan: 'basic', country: 'DE' } }, tags: { split: 'holdout' } },
    ];
    const added = await api<{ inserted_count?: number }>(token, 'POST', `/api/3.0/mlflow/datasets/${datasetId}/records`, { records: JSON.stringify(records) });
    expect(added.inserted_count).toBe(3);

    const page = await newPage();
    await signIn(page, alice, PW, `/experiments/${state.expId}`);
    await page.getByRole('tab', { name: 'Datasets' }).click();
    await page.waitForURL(/\?tab=datasets$/);
    const list = page.getByRole('table', { name: 'Evaluation datasets' });
    const link = list.getByRole('link', { name: datasetName });
    await link.waitFor();
    const row = list.getByRole('row').filter({ has: page.getByRole('link', { name: datasetName }) });
    expect(await row.getByRole('cell').allTextContents()).toEqual(expect.arrayContaining(['3', alice, expect.stringContaining('purpose')]));
    await shot(page, '19-experiment-datasets');

    await link.click();
    await page.waitForURL(new RegExp(`/datasets/${datasetId}\\?experiment=${state.expId}$`));
    await page.getByRole('heading', { name: `Dataset ${datasetName}` }).waitFor();
    await page.getByRole('list', { name: 'Dataset experiments' }).getByRole('link', { name: expName }).waitFor();
    expect(await page.getByRole('list', { name: 'Dataset tags' }).textContent()).toContain('regression');
    const table = page.getByRole('table', { name: 'Dataset records' });
    await table.getByText('question: Why do customers churn?').waitFor();
    expect(await table.getByRole('row').count()).toBe(4);
    await table.getByText('Go to Settings.').waitFor();
    await table.getByText('code', { exact: true }).waitFor();
    // A value opens into its JSON.
    await table.getByText('expected_facts: ["price increases","slow support"]').click();
    const facts = table.getByRole('list', { name: /^Expectations of dr-/ });
    await facts.waitFor();
    expect(await facts.textContent()).toContain('"slow support"');
    await table.getByText(/^question: Is there a student discount\?, context:/).click();
    expect(await table.getByRole('list', { name: /^Inputs of dr-/ }).textContent()).toContain('"country"');
    await shot(page, '20-dataset-records');

    // bob may not read the experiment: the dataset is refused in plain words.
    const b = await newPage();
    await signIn(b, bob, PW, `/datasets/${datasetId}`);
    await expect.poll(() => b.getByRole('alert').first().textContent()).toMatch(/You don't have read access to this dataset\. Ask someone who manages it/);
    expect(await b.getByRole('table', { name: 'Dataset records' }).count()).toBe(0);
    await shot(b, '21-dataset-no-access');
  });

  it('alice opens Prompts: versions, template and the diff between two versions', async ({ skip: s }) => {
    if (skip.reason) s();
    const token = await login(alice, PW);
    await registerPrompt(token, promptName, [
      ['You are a support agent.\nAnswer the question: {{question}}\nBe brief.', 'first cut'],
      ['You are a careful support agent.\nUse this context: {{context}}\nAnswer the question: {{question}}\nBe brief.', 'ground answers in context'],
    ]);
    const page = await newPage();
    await signIn(page, alice, PW);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Prompts' }).click();
    await page.getByRole('heading', { name: 'Prompts' }).waitFor();
    await page.getByLabel('Search prompts by name').fill(promptName);
    const link = page.getByRole('table', { name: 'Prompts' }).getByRole('link', { name: promptName });
    await link.waitFor();
    expect(await page.getByRole('table', { name: 'Prompts' }).getByText('@production → v1').count()).toBe(1);
    await shot(page, '17-prompts');
    await link.click();
    await page.waitForURL(new RegExp(`/prompts/${promptName}$`));
    const versions = page.getByRole('table', { name: 'Prompt versions' });
    await versions.getByText('ground answers in context').waitFor();
    expect(await versions.getByRole('row').evaluateAll((rows) => rows.slice(1).map((r) => r.querySelector('td')?.textContent))).toEqual(['v2', 'v1']);
    expect(await page.getByLabel('Template of version 2').textContent()).toContain('Use this context: {{context}}');
    await page.getByRole('button', { name: 'Show version 1' }).click();
    expect(await page.getByLabel('Template of version 1').textContent()).toBe('You are a support agent.\nAnswer the question: {{question}}\nBe brief.');
    const diff = page.getByRole('table', { name: 'Template changes from version 1 to 2' });
    await diff.waitFor();
    expect(await diff.locator('tr').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-kind')}:${r.querySelector('.diff-text')?.textContent}`))).toEqual([
      'del:You are a support agent.',
      'add:You are a careful support agent.',
      'add:Use this context: {{context}}',
      'same:Answer the question: {{question}}',
      'same:Be brief.',
    ]);
    expect(await page.getByTestId('diff-stats').textContent()).toBe('+2 −1 lines');
    // Move the alias to version 2.
    await page.getByLabel('Alias', { exact: true }).fill('production');
    await page.getByLabel('Version for alias').selectOption('2');
    await page.getByRole('button', { name: 'Set alias' }).click();
    await page.getByText('@production → version 2').waitFor();
    await shot(page, '18-prompt-diff');
    // Prompts are not models: the registry's list leaves them out.
    await page.goto(stack.ui + '/models');
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByRole('link', { name: promptName }).count()).toBe(0);
  });

  it('alice creates an API token shown once, with a notebook snippet', async ({ skip: s }) => {
    if (skip.reason) s();
    const page = await newPage();
    await signIn(page, alice, PW, '/account');
    await page.getByLabel('Token name').fill('laptop notebook');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
    expect(secret).toMatch(/^mlt_/);
    expect(await page.getByTestId('snippet').textContent()).toContain(secret);
    // The new token works against the API.
    const me = await api<{ username: string }>(secret, 'GET', '/api/auth/me');
    expect(me.username).toBe(alice);
    await shot(page, '13-account-token');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('token-secret').count()).toBe(0);
    // Experiments list: a throwaway experiment tagged, renamed, deleted and restored.
    page.on('dialog', (d) => d.accept());
    const tmp = `scratch-${suffix}`;
    await page.goto(stack.ui + '/experiments');
    await page.getByRole('button', { name: 'New experiment' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill(tmp);
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/experiments\/\d+$/);
    await page.getByLabel('Tag key').fill('stage');
    await page.getByLabel('Tag value').fill('draft');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.getByRole('button', { name: 'Remove tag stage' }).waitFor();
    await page.getByRole('link', { name: 'Experiments' }).first().click();
    await page.getByLabel('Search experiments by name').fill(`scratch-${suffix}`);
    await page.getByRole('button', { name: `Rename ${tmp}` }).click();
    await page.getByRole('dialog').getByLabel('New name').fill(`${tmp}-v2`);
    await page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('button', { name: `Delete ${tmp}-v2` }).click();
    await expect.poll(() => page.getByRole('link', { name: `${tmp}-v2` }).count()).toBe(0);
    await page.getByRole('button', { name: 'Deleted', exact: true }).click();
    await page.getByRole('button', { name: `Restore ${tmp}-v2` }).click();
    await page.getByRole('button', { name: 'Active', exact: true }).click();
    await page.getByRole('link', { name: `${tmp}-v2` }).waitFor();
    await page.getByLabel('Search experiments by name').fill('');
    await page.getByRole('link', { name: expName }).waitFor();
    await shot(page, '00-experiments');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin/);
  });

  it('disabling a user ends their session: back to sign-in', async ({ skip: s }) => {
    if (skip.reason) s();
    const b = await newPage();
    await signIn(b, bob, PW, '/models');
    const a = await newPage();
    a.on('dialog', (d) => d.accept());
    await signIn(a, 'admin', ADMIN_PASSWORD, '/admin');
    await a.getByRole('button', { name: `Disable ${bob}` }).click();
    await a.getByRole('button', { name: `Enable ${bob}` }).waitFor();
    await b.getByRole('link', { name: 'Experiments' }).click();
    await b.waitForURL(/\/signin\?next=%2Fexperiments/);
    await b.getByLabel('Username').fill(bob);
    await b.getByLabel('Password').fill(PW);
    await b.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => b.getByRole('alert').textContent()).toBe('Wrong username or password.');
  });
});
