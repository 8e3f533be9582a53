// The charts in the browser, on the real stack: the metric charts' log
// scale, smoothing and relative time (remembered across a reload), and an
// experiment's sweep views (parallel coordinates with brushing, scatter, a
// bar per run) and the compare page's. A sweep of 12 runs is logged through
// ml_studio's MLflow API first, as a tuner would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { fmtTick } from '../src/components/chart/ticks';
import { launch, shot } from './browser';
// @ts-expect-error plain ES module without types
import { ADMIN_PASSWORD, startStack } from './stack.mjs';

interface Stack {
  ui: string;
  api: string;
  stop: () => Promise<void>;
  skipped?: string;
}

const suffix = Date.now().toString(36);
const expName = `sweep-charts-${suffix}`;
const N = 12;
const STEPS = 40;
const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'];

let stack: Stack;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const skip = { reason: '' };
const seeded: { expId: string; runs: { id: string; name: string; lr: number; valLoss: number }[] } = { expId: '', runs: [] };

async function api<T>(token: string, path: string, body: unknown): Promise<T> {
  const r = await fetch(stack.api + path, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** Trial i: lr over three decades; loss falls from 1 toward 10⁻³ (a log y axis straightens it); runs start an hour apart. */
function trial(i: number) {
  const lr = Number((10 ** (-4 + (3 * i) / (N - 1))).toPrecision(3));
  const rate = 0.05 + 0.12 * (1 - Math.abs(Math.log10(lr) + 2.5) / 1.5);
  const valLoss = Number((0.08 + Math.abs(Math.log10(lr) + 2.5) * 0.2 + (i % 3) * 0.03).toFixed(4));
  return { lr, rate, valLoss, optimizer: OPTIMIZERS[i % 3], batch: [32, 64, 128][Math.floor(i / 4)] };
}

async function seed() {
  const r = await fetch(stack.api + '/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
  const { token } = (await r.json()) as { token: string };
  const { experiment_id } = await api<{ experiment_id: string }>(token, '/api/2.0/mlflow/experiments/create', { name: expName });
  seeded.expId = experiment_id;
  const t0 = Date.now() - (N + 2) * 3_600_000;
  // The runs are logged side by side (each its create, batch and end in order), kept in trial order.
  const one = async (i: number) => {
    const t = trial(i);
    const start = t0 + i * 3_600_000;
    const name = `trial-${String(i + 1).padStart(2, '0')}`;
    const { run } = await api<{ run: { info: { run_id: string } } }>(token, '/api/2.0/mlflow/runs/create', { experiment_id, run_name: name, start_time: start });
    const id = run.info.run_id;
    const metrics = [];
    for (let step = 0; step < STEPS; step++) {
      // A value every 1.5 s, with noise that smoothing irons out.
      const ts = start + step * 1500;
      const noise = 1 + 0.35 * Math.sin(step * 2.3 + i);
      metrics.push({ key: 'loss', value: Math.max(1e-3, Math.exp(-t.rate * step * 1.5)) * noise, timestamp: ts, step });
      metrics.push({ key: 'accuracy', value: 1 - 0.5 * Math.exp(-t.rate * step), timestamp: ts, step });
    }
    metrics.push({ key: 'val_loss', value: t.valLoss, timestamp: start + STEPS * 1500, step: STEPS });
    await api(token, '/api/2.0/mlflow/runs/log-batch', {
      run_id: id,
      metrics,
      params: [
        { key: 'lr', value: String(t.lr) },
        { key: 'optimizer', value: t.optimizer },
        { key: 'batch_size', value: String(t.batch) },
        { key: 'seed', value: '42' },
      ],
    });
    await api(token, '/api/2.0/mlflow/runs/update', { run_id: id, status: 'FINISHED', end_time: start + STEPS * 1500 });
    return { id, name, lr: t.lr, valLoss: t.valLoss };
  };
  seeded.runs = await Promise.all(Array.from({ length: N }, (_, i) => one(i)));
}

beforeAll(async () => {
  const t0 = Date.now();
  stack = await startStack({ log: console.log });
  if (stack.skipped) {
    skip.reason = stack.skipped;
    console.warn(`SKIPPING chart browser tests: ${stack.skipped}`);
    return;
  }
  const t1 = Date.now();
  await seed();
  console.log(`stack started in ${((t1 - t0) / 1000).toFixed(1)} s, sweep of ${N} runs logged in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  browser = await launch();
  ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.on('response', async (r) => {
    if (r.url().includes('/api/') && r.status() >= 400) console.log(`[browser] ${r.status()} ${r.request().method()} ${r.url().replace(stack.ui, '')} ${(await r.text().catch(() => '')).slice(0, 300)}`);
  });
  await page.goto(stack.ui + '/signin');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('current-user').waitFor();
});

afterAll(async () => {
  await ctx?.close().catch(() => {});
  await browser?.close();
  await stack?.stop?.();
});

/** A full-page screenshot from the top (scrolled, the sticky top bar would sit in the middle of it). */
async function shotTop(name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, name);
}

const settings = () => page.getByRole('group', { name: 'Chart settings' });
const chart = (name: string) => page.getByRole('figure', { name: `Chart of ${name}` });

/** The legend's x value with the cursor over the middle of a chart's plot. */
async function xAtMiddle(name: string): Promise<string> {
  const over = chart(name).locator('.u-over');
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  return (await chart(name).locator('.u-legend .u-series').first().locator('.u-value').textContent()) ?? '';
}

describe('charts in the browser, against the real stack', () => {
  it('metric charts: log scale, smoothing and relative time, remembered for the person', async ({ skip: s }) => {
    if (skip.reason) s();
    const first = seeded.runs[0];
    await page.goto(`${stack.ui}/runs/${first.id}`);
    await page.getByRole('tab', { name: /^Charts/ }).click();
    await chart('loss').locator('canvas').first().waitFor();
    expect(await chart('loss').getAttribute('data-y-scale')).toBe('linear');

    // Log scale: the exponential fall of the loss becomes a straight line.
    await settings().getByRole('checkbox', { name: 'Log Y' }).check();
    await expect.poll(() => chart('loss').getAttribute('data-y-scale')).toBe('log');
    await chart('loss').locator('canvas').first().waitFor();
    await shotTop('60-chart-log-scale');

    // Smoothing: one slider for every chart; the raw line stays faint under the average, one legend entry per run.
    await settings().getByRole('slider', { name: /Smoothing/ }).fill('85');
    await expect.poll(() => chart('loss').getAttribute('data-smoothing')).toBe('85');
    expect(await chart('loss').locator('.u-legend .u-series:visible').count()).toBe(2);
    expect(await chart('loss').locator('.u-legend .u-series').count()).toBe(3);
    await shotTop('61-chart-smoothing');

    // Relative time across runs started hours apart: with wall-clock time their curves sit hours away from
    // each other; relative to each run's first value they overlap within its minute of logging.
    const three = seeded.runs.slice(0, 3).map((r) => r.id);
    await page.goto(`${stack.ui}/compare?runs=${three.join(',')}`);
    await chart('loss').locator('canvas').first().waitFor();
    await settings().getByRole('button', { name: 'Time', exact: true }).click();
    await expect.poll(() => chart('loss').getAttribute('data-x')).toBe('time');
    await expect.poll(() => xAtMiddle('loss')).toMatch(/\d{1,2}:\d{2}/);
    await settings().getByRole('button', { name: 'Relative', exact: true }).click();
    await expect.poll(() => chart('loss').getAttribute('data-x')).toBe('relative');
    // 40 values 1.5 s apart: the middle of the axis is about half a minute in.
    await expect.poll(() => xAtMiddle('loss')).toMatch(/^(2\d|3\d)(\.\d+)?s$/);
    await shotTop('62-chart-relative-time');

    // Remembered: a reload (and the run page) draws the same way.
    await page.reload();
    await chart('loss').locator('canvas').first().waitFor();
    expect(await chart('loss').getAttribute('data-x')).toBe('relative');
    expect(await chart('loss').getAttribute('data-y-scale')).toBe('log');
    expect(await chart('loss').getAttribute('data-smoothing')).toBe('85');
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem('mlstudio.charts.admin'))) ?? '{}')).toEqual({ x: 'relative', yLog: true, xLog: false, smoothing: 85 });
    // Put them back for the rest.
    await settings().getByRole('checkbox', { name: 'Log Y' }).uncheck();
    await settings().getByRole('slider', { name: /Smoothing/ }).fill('0');
    await settings().getByRole('button', { name: 'Step', exact: true }).click();
  });

  it('an experiment’s sweep: parallel coordinates with brushing, scatter, a bar per run', async ({ skip: s }) => {
    if (skip.reason) s();
    await page.goto(`${stack.ui}/experiments/${seeded.expId}`);
    await page.getByRole('tab', { name: 'Charts' }).click();
    await page.waitForURL(/tab=charts/);
    const lines = page.getByTestId('parcoords-lines');
    await expect.poll(() => lines.getAttribute('data-lines')).toBe(String(N));
    const pc = page.getByRole('figure', { name: 'Parallel coordinates' });
    // The params that vary (not seed), then the metrics; lr spans three decades: log.
    expect(await pc.locator('.pc-title').allTextContents()).toEqual(['batch_size', 'lr (log)', 'optimizer', 'accuracy', 'loss', 'val_loss']);
    expect(await pc.getByRole('combobox', { name: 'Colour by' }).inputValue()).toBe('metric:accuracy');
    await pc.getByRole('combobox', { name: 'Colour by' }).selectOption('metric:val_loss');

    await pc.scrollIntoViewIfNeeded();
    // Brush the lower half of val_loss: only the runs with val_loss in that half stay drawn, in every view.
    const hit = (await pc.getByLabel('Brush val_loss').boundingBox())!;
    await page.mouse.move(hit.x + hit.width / 2, hit.y + hit.height / 2);
    await page.mouse.down();
    await page.mouse.move(hit.x + hit.width / 2, hit.y + hit.height * 0.75, { steps: 4 });
    await page.mouse.move(hit.x + hit.width / 2, hit.y + hit.height - 2, { steps: 4 });
    await page.mouse.up();
    const vals = seeded.runs.map((r) => r.valLoss);
    const [lo, hi] = [Math.min(...vals), Math.max(...vals)];
    const mid = lo + (hi - lo) / 2;
    // The brush's top edge sits at the middle of the axis, within a pixel or two of drawing.
    const sure = seeded.runs.filter((r) => r.valLoss < mid - (hi - lo) * 0.02).length;
    const maybe = seeded.runs.filter((r) => r.valLoss <= mid + (hi - lo) * 0.02).length;
    const kept = Number(await lines.getAttribute('data-lines'));
    expect(kept).toBeGreaterThanOrEqual(sure);
    expect(kept).toBeLessThanOrEqual(maybe);
    expect(kept).toBeLessThan(N);
    expect(await page.getByTestId('sweep-status').textContent()).toContain(`${kept} of ${N} runs within val_loss`);
    await page.getByTestId('brush-metric:val_loss').waitFor();
    await shotTop('63-sweep-parallel-coordinates');

    // Scatter of a param against a metric, both chosen: lr (on its log scale) against val_loss. The brush dims the others.
    const sc = page.getByRole('figure', { name: 'Scatter' });
    await sc.getByRole('combobox', { name: 'X axis' }).selectOption('param:lr');
    await sc.getByRole('combobox', { name: 'Y axis' }).selectOption('metric:val_loss');
    const plot = sc.getByRole('img', { name: 'val_loss against lr' });
    expect(await plot.getAttribute('data-points')).toBe(String(N));
    expect(await plot.getAttribute('data-kept')).toBe(String(kept));
    expect(await sc.getByRole('checkbox', { name: 'Log X' }).isChecked()).toBe(true);
    await shotTop('64-sweep-scatter');

    // A bar per run for val_loss, lowest first: the brushed runs in order of their value.
    const bars = page.getByRole('figure', { name: 'Bar per run' });
    await bars.getByRole('combobox', { name: 'Value' }).selectOption('metric:val_loss');
    await bars.getByRole('button', { name: 'Lowest first' }).click();
    const list = bars.getByRole('list', { name: 'val_loss per run' });
    const shown = await list.locator('.value-bar-value').allTextContents();
    const want = [...vals].sort((a, b) => a - b).slice(0, kept).map(String);
    expect(shown).toEqual(want);
    await shotTop('65-sweep-bars');

    // Clearing the brush brings every run back; a point in the scatter opens its run.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => lines.getAttribute('data-lines')).toBe(String(N));
    expect(await list.locator('li').count()).toBe(N);

    // The same from the keyboard: on val_loss's axis, a first ↑ brushes its middle fifth and End takes it to the bottom.
    const axis = pc.getByRole('slider', { name: 'Brush val_loss' });
    await axis.focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('End');
    const lowest = seeded.runs.filter((r) => (r.valLoss - lo) / (hi - lo) <= 0.2 + 1e-9).length;
    await expect.poll(() => lines.getAttribute('data-lines')).toBe(String(lowest));
    expect(await axis.getAttribute('aria-valuetext')).toBe(`${fmtTick(lo)} to ${fmtTick(lo + (hi - lo) * 0.2)}`);
    await page.keyboard.press('Escape');
    await expect.poll(() => lines.getAttribute('data-lines')).toBe(String(N));
    const best = seeded.runs.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
    await plot.locator(`circle[data-run="${best.name}"]`).click();
    await page.waitForURL(new RegExp(`/runs/${best.id}$`));
  });

  it('the compare page charts the compared runs as a sweep too', async ({ skip: s }) => {
    if (skip.reason) s();
    const four = seeded.runs.slice(0, 4).map((r) => r.id);
    await page.goto(`${stack.ui}/compare?runs=${four.join(',')}`);
    const lines = page.getByTestId('parcoords-lines');
    await expect.poll(() => lines.getAttribute('data-lines')).toBe('4');
    await shotTop('66-compare-sweep');
  });
});
