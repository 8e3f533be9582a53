// Reports the production bundle's initial JS (gzip) and the time until the
// runs table of an experiment with 10,000 runs first renders in headless
// Chromium (the API is answered in the page by a route handler that pages
// runs/search by 1,000 like the server), then the time to scroll through
// all of them (each page loaded as the end comes near), and the time until
// an experiment's Charts tab first draws a sweep of 1,000 runs in parallel
// coordinates (every line on the canvas).
//
//   node scripts/bench.mjs      (after `vite build`)
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { extname, join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const UI = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(UI, 'dist');
const GOAL_KB = 250;
const GOAL_MS = 1500;
const N = 10_000;
const SWEEP = 1_000;
const GOAL_SWEEP_MS = 1000;

if (!existsSync(join(DIST, 'index.html'))) {
  console.error('no production build: run `npm run build` first');
  process.exit(1);
}

// ---- initial JS: the entry script and what index.html preloads ----------
const html = readFileSync(join(DIST, 'index.html'), 'utf8');
const initial = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1]);
let gz = 0;
let rawSize = 0;
for (const f of initial) {
  const buf = readFileSync(join(DIST, f.replace(/^\//, '')));
  rawSize += buf.length;
  gz += gzipSync(buf, { level: 9 }).length;
}
const gzKB = gz / 1024;

// ---- a static server for dist/ with the SPA fallback ----------------------
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml' };
const server = createServer((req, res) => {
  const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = join(DIST, p);
  if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

function makeRuns() {
  const runs = [];
  for (let i = 0; i < N; i++) {
    runs.push({
      info: { run_id: `r${i.toString(16).padStart(8, '0')}`, run_name: `run-${i}`, experiment_id: '1', status: 'FINISHED', start_time: 1_700_000_000_000 + i * 1000, end_time: 1_700_000_060_000 + i * 1000, lifecycle_stage: 'active' },
      data: {
        metrics: ['loss', 'accuracy', 'f1', 'auc'].map((k, j) => ({ key: k, value: Math.abs(Math.sin(i + j)), timestamp: 0, step: 100 })),
        params: [{ key: 'lr', value: String(0.001 * (1 + (i % 10))) }, { key: 'depth', value: String(3 + (i % 5)) }],
        tags: [{ key: 'mlflow.runName', value: `run-${i}` }],
      },
    });
  }
  return runs;
}
const allRuns = makeRuns();

// A hyperparameter sweep: learning rate over four decades, a few other
// params, and metrics that depend on them (with noise), as a tuner logs them.
function makeSweep() {
  const runs = [];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const optimizers = ['adam', 'adamw', 'sgd', 'rmsprop'];
  for (let i = 0; i < SWEEP; i++) {
    const lr = 10 ** (-5 + 4 * rnd());
    const depth = 2 + Math.floor(rnd() * 10);
    const batch = [16, 32, 64, 128, 256][Math.floor(rnd() * 5)];
    const dropout = Math.round(rnd() * 50) / 100;
    const opt = optimizers[Math.floor(rnd() * 4)];
    const loss = Math.abs(Math.log10(lr) + 3) * 0.2 + dropout * 0.3 + 0.05 * rnd() + (opt === 'sgd' ? 0.1 : 0);
    const metrics = { loss, val_loss: loss * (1.05 + 0.1 * rnd()), accuracy: 1 - loss / 2, f1: 1 - loss / 1.8 };
    runs.push({
      info: { run_id: `s${i.toString(16).padStart(8, '0')}`, run_name: `trial-${i}`, experiment_id: '2', status: 'FINISHED', start_time: 1_700_000_000_000 + i * 1000, end_time: 1_700_000_060_000 + i * 1000, lifecycle_stage: 'active' },
      data: {
        metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 0, step: 20 })),
        params: [
          { key: 'lr', value: String(lr) },
          { key: 'depth', value: String(depth) },
          { key: 'batch_size', value: String(batch) },
          { key: 'dropout', value: String(dropout) },
          { key: 'optimizer', value: opt },
        ],
        tags: [{ key: 'mlflow.runName', value: `trial-${i}` }],
      },
    });
  }
  return runs;
}
const sweepRuns = makeSweep();
// runs/search as the server pages it: max_results per page, an opaque token.
function runsPage(body) {
  const req = JSON.parse(body || '{}');
  const runs = req.experiment_ids?.[0] === '2' ? sweepRuns : allRuns;
  const size = Math.min(Number(req.max_results) || 1000, 1000);
  const offset = Number(req.page_token || 0);
  const page = { runs: runs.slice(offset, offset + size) };
  if (offset + size < runs.length) page.next_page_token = String(offset + size);
  return JSON.stringify(page);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const results = [];
async function newContext() {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript(() => {
    sessionStorage.setItem('mlstudio.token', 'mls_bench');
    sessionStorage.setItem('mlstudio.user', JSON.stringify({ id: 1, username: 'bench', display_name: 'Bench', email: '', is_active: true, is_admin: true }));
  });
  await ctx.route('**/api/**', (route) => {
    const u = new URL(route.request().url());
    const json = (b) => route.fulfill({ status: 200, contentType: 'application/json', body: typeof b === 'string' ? b : JSON.stringify(b) });
    if (u.pathname === '/api/runs/search') return json(runsPage(route.request().postData()));
    if (u.pathname === '/api/experiments/get') {
      const id = u.searchParams.get('experiment_id') ?? '1';
      return json({ experiment: { experiment_id: id, name: id === '2' ? 'bench-sweep' : 'bench', lifecycle_stage: 'active', tags: [] } });
    }
    if (u.pathname === '/api/elements/access') return json({ element: 'experiment:1', grants: [] });
    return json({});
  });
  return ctx;
}

try {
  for (let round = 0; round < 3; round++) {
    const ctx = await newContext();
    const page = await ctx.newPage();
    const t0 = Date.now();
    await page.goto(`${base}/experiments/1`);
    await page.getByRole('link', { name: 'run-0', exact: true }).waitFor({ timeout: 30_000 });
    const firstRender = Date.now() - t0;
    const rows = await page.locator('[role=row][aria-rowindex]').count();
    // Scroll to the end, page after page, until the 10,000th run shows.
    const t1 = Date.now();
    const last = page.getByRole('link', { name: `run-${N - 1}`, exact: true });
    while (!(await last.count())) {
      await page.getByTestId('runs-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.waitForTimeout(30);
      if (Date.now() - t1 > 60_000) throw new Error('scrolling never reached the last run');
    }
    const scrollToEnd = Date.now() - t1;
    const count = await page.getByTestId('runs-count').textContent();
    if (!count?.startsWith('10,000')) throw new Error(`expected 10,000 runs loaded, the table says ${count}`);
    await ctx.close();
    // The sweep in a page of its own, as cold as the table's: Charts tab to every line drawn.
    const sctx = await newContext();
    const spage = await sctx.newPage();
    const s0 = Date.now();
    await spage.goto(`${base}/experiments/2?tab=charts`);
    await spage.locator(`[data-testid=parcoords-lines][data-lines="${SWEEP}"]`).waitFor({ timeout: 30_000 });
    const sweepRender = Date.now() - s0;
    const axes = await spage.locator('.pc-title').count();
    await sctx.close();
    results.push({ firstRender, rows, scrollToEnd, sweepRender, axes });
  }
} finally {
  await browser.close();
  server.close();
}

const best = results.reduce((a, b) => (b.firstRender < a.firstRender ? b : a));
const median = [...results].sort((a, b) => a.firstRender - b.firstRender)[1];
const okSize = gzKB <= GOAL_KB;
const okTime = median.firstRender <= GOAL_MS;
const sweepMedian = [...results].sort((a, b) => a.sweepRender - b.sweepRender)[1];
const sweepBest = Math.min(...results.map((r) => r.sweepRender));
const okSweep = sweepMedian.sweepRender <= GOAL_SWEEP_MS;
console.log('ML Studio UI bench');
console.log(`  initial JS        ${gzKB.toFixed(1)} KB gzip (${(rawSize / 1024).toFixed(0)} KB raw, ${initial.length} files)   goal ≤ ${GOAL_KB} KB   ${okSize ? 'OK' : 'OVER'}`);
console.log(`  runs table 10,000 first render ${median.firstRender} ms median of 3 (best ${best.firstRender} ms)   goal ≤ ${GOAL_MS} ms   ${okTime ? 'OK' : 'OVER'}`);
console.log(`                    rows in the DOM ${median.rows} of ${N}; scrolling through all ${N / 1000} pages to the last run ${median.scrollToEnd} ms`);
console.log(`  sweep of ${SWEEP.toLocaleString('en')} runs, parallel coordinates first render ${sweepMedian.sweepRender} ms median of 3 (best ${sweepBest} ms, ${sweepMedian.axes} axes)   goal ≤ ${GOAL_SWEEP_MS} ms   ${okSweep ? 'OK' : 'OVER'}`);
process.exit(okSize && okTime && okSweep ? 0 : 1);
