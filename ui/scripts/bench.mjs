// Reports the production bundle's initial JS (gzip) and, in headless
// Chromium, the time until the runs table of an experiment with 10,000 runs
// first renders (its first page of 1,000 shown), the time to scroll through
// all of them (each page loaded as the end comes near), and the time until
// an experiment's Charts tab first draws a sweep of 1,000 runs in parallel
// coordinates (every line on the canvas). Gates on issue #18's goals.
//
// The API is answered by this script's own HTTP server (runs/search paged
// by 1,000 like ml_studio), beside dist/, so no request is intercepted by
// the driver. A first render is timed in the page, from navigation start
// to the frame after the rows (or lines) appeared, seen by a
// MutationObserver installed before the app's scripts; the driver's own
// wall time (goto to noticing it) is printed beside it. Each round also
// reports where the time went: the document, the entry's scripts, the
// route's lazy chunks, the runs request, the render after its answer, and
// the long tasks.
//
//   node scripts/bench.mjs      (after `vite build`; ROUNDS=n, default 5)
import { createServer } from 'node:http';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { extname, join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';

const UI = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(UI, 'dist');
// Issue #18's goals.
const GOAL_KB = 150;
const GOAL_MS = 500;
const GOAL_SWEEP_MS = 1000;
const N = 10_000;
const SWEEP = 1_000;
const ROUNDS = Math.max(3, Number(process.env.ROUNDS) || 5);

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
// The API the pages ask for. runs/search is paged as the server pages it
// (max_results per page, an opaque token); every page is serialized up
// front, so the server's own time stays out of the figures.
function makeApi() {
  const data = { 1: makeRuns(), 2: makeSweep() };
  const pages = new Map();
  const runsPage = (req) => {
    const exp = req.experiment_ids?.[0] === '2' ? '2' : '1';
    const runs = data[exp];
    const size = Math.min(Number(req.max_results) || 1000, 1000);
    const offset = Number(req.page_token || 0);
    const key = `${exp}/${size}/${offset}`;
    if (!pages.has(key)) {
      const page = { runs: runs.slice(offset, offset + size) };
      if (offset + size < runs.length) page.next_page_token = String(offset + size);
      pages.set(key, JSON.stringify(page));
    }
    return pages.get(key);
  };
  for (const [exp, n] of [['1', N], ['2', SWEEP]]) {
    for (let o = 0; o < n; o += 1000) runsPage({ experiment_ids: [exp], max_results: 1000, page_token: o ? String(o) : undefined });
  }
  return (path, query, body) => {
    if (path === '/api/runs/search') return runsPage(JSON.parse(body || '{}'));
    if (path === '/api/experiments/get') {
      const id = query.get('experiment_id') ?? '1';
      return JSON.stringify({ experiment: { experiment_id: id, name: id === '2' ? 'bench-sweep' : 'bench', lifecycle_stage: 'active', tags: [] } });
    }
    if (path === '/api/elements/access') return JSON.stringify({ element: query.get('element') ?? 'experiment:1', grants: [] });
    return '{}';
  };
}

// ---- one server for dist/ (with the SPA fallback) and the API -------------
// It runs in a worker thread of its own, every file read up front, so the
// driver's work on this event loop never delays an answer.
function serve() {
  const api = makeApi();
  const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml' };
  const files = new Map();
  for (const f of readdirSync(DIST, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) files.set('/' + join(f.parentPath, f.name).slice(DIST.length + 1), readFileSync(join(f.parentPath, f.name)));
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = decodeURIComponent(url.pathname);
    if (p.startsWith('/api/')) {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(api(p, url.searchParams, Buffer.concat(chunks).toString('utf8')));
      });
      return;
    }
    const file = files.has(p) ? p : '/index.html';
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(files.get(file));
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
}

if (!isMainThread) {
  serve();
} else {
  await main();
}

async function main() {
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

  const worker = new Worker(fileURLToPath(import.meta.url));
  const port = await new Promise((ok, fail) => {
    worker.once('message', ok);
    worker.once('error', fail);
  });
  const base = `http://127.0.0.1:${port}`;
  const { chromium } = await import('playwright-core');

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

  // Runs in the page before its own scripts: notes when `selector` first
  // matches (a MutationObserver, so no polling delay), then the end of the
  // next frame, and the long tasks until then.
  function probe(selector) {
    const b = { longTasks: [] };
    window.__bench = b;
    try {
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) b.longTasks.push([e.startTime, e.duration]);
      }).observe({ type: 'longtask', buffered: true });
    } catch {
      // no long-task timing in this browser: the breakdown leaves it out
    }
    const mo = new MutationObserver(() => {
      if (b.shown !== undefined || !document.querySelector(selector)) return;
      b.shown = performance.now();
      mo.disconnect();
      requestAnimationFrame(() => setTimeout(() => (b.painted = performance.now())));
    });
    mo.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-lines'] });
  }

  async function newPage(selector) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.addInitScript(() => {
      sessionStorage.setItem('mlstudio.token', 'mls_bench');
      sessionStorage.setItem('mlstudio.user', JSON.stringify({ id: 1, username: 'bench', display_name: 'Bench', email: '', is_active: true, is_admin: true }));
    });
    await ctx.addInitScript(probe, selector);
    return { ctx, page: await ctx.newPage() };
  }

  // Opens `path` in a fresh context and waits until `selector` has shown and
  // a frame has been painted after it; returns the page's own timeline.
  async function firstRender(page, path) {
    const t0 = Date.now();
    await page.goto(`${base}${path}`);
    await page.waitForFunction(() => window.__bench.painted !== undefined, null, { timeout: 30_000, polling: 'raf' });
    const wall = Date.now() - t0;
    const t = await page.evaluate((initial) => {
      const b = window.__bench;
      const nav = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      const path = (e) => new URL(e.name).pathname;
      const js = res.filter((e) => path(e).endsWith('.js'));
      const entry = js.filter((e) => initial.includes(path(e)));
      const runs = res.find((e) => path(e) === '/api/runs/search');
      // The route's chunks: scripts beyond the entry asked for before the rows showed.
      const lazy = js.filter((e) => !initial.includes(path(e)) && e.startTime < b.shown);
      const before = b.longTasks.filter(([s]) => s < b.painted);
      return {
        doc: nav.responseEnd,
        entry: Math.max(...entry.map((e) => e.responseEnd)),
        dcl: nav.domContentLoadedEventEnd,
        chunks: lazy.length,
        chunksFrom: lazy.length ? Math.min(...lazy.map((e) => e.startTime)) : NaN,
        chunksTo: lazy.length ? Math.max(...lazy.map((e) => e.responseEnd)) : NaN,
        apiFrom: runs ? runs.startTime : NaN,
        apiTo: runs ? runs.responseEnd : NaN,
        shown: b.shown,
        painted: b.painted,
        longTasks: before.length,
        longTaskMs: before.reduce((s, [, d]) => s + d, 0),
      };
    }, initial);
    return { wall, ...t };
  }

  const rounds = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const { ctx, page } = await newPage('a[href="/runs/r00000000"]');
      const table = await firstRender(page, '/experiments/1');
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
      const s = await newPage(`[data-testid=parcoords-lines][data-lines="${SWEEP}"]`);
      const sweep = await firstRender(s.page, '/experiments/2?tab=charts');
      const axes = await s.page.locator('.pc-title').count();
      await s.ctx.close();
      rounds.push({ table, rows, scrollToEnd, sweep, axes });
    }
  } finally {
    await browser.close();
    await worker.terminate();
  }

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const ms = (v) => (Number.isFinite(v) ? `${Math.round(v)}` : '–');
  const spread = (xs) => `median ${ms(median(xs))} ms (${ms(Math.min(...xs))}-${ms(Math.max(...xs))} over ${xs.length} rounds)`;
  const tableMs = rounds.map((r) => r.table.painted);
  const sweepMs = rounds.map((r) => r.sweep.painted);
  const okSize = gzKB <= GOAL_KB;
  const okTime = median(tableMs) <= GOAL_MS;
  const okSweep = median(sweepMs) <= GOAL_SWEEP_MS;
  const verdict = (ok) => (ok ? 'OK' : 'OVER');

  // Where a first render's time went, each a median over the rounds (ms from navigation start).
  function breakdown(key) {
    const m = (f) => ms(median(rounds.map((r) => f(r[key]))));
    return [
      `document ${m((t) => t.doc)}, entry scripts loaded ${m((t) => t.entry)}, entry run (DOMContentLoaded) ${m((t) => t.dcl)}`,
      `route chunks (${median(rounds.map((r) => r[key].chunks))}) asked ${m((t) => t.chunksFrom)}, loaded ${m((t) => t.chunksTo)}`,
      `runs/search asked ${m((t) => t.apiFrom)}, answered ${m((t) => t.apiTo)}; shown ${m((t) => t.shown)} (${m((t) => t.shown - t.apiTo)} after the answer), painted ${m((t) => t.painted)}`,
      `long tasks before the paint: ${m((t) => t.longTasks)} taking ${m((t) => t.longTaskMs)} ms; driver's wall time goto to noticing ${m((t) => t.wall)}`,
    ];
  }

  console.log('ML Studio UI bench');
  console.log(`  initial JS        ${gzKB.toFixed(1)} KB gzip (${(rawSize / 1024).toFixed(0)} KB raw, ${initial.length} files)   goal ≤ ${GOAL_KB} KB   ${verdict(okSize)}`);
  console.log(`  runs table of ${N.toLocaleString('en')}, first render: ${spread(tableMs)}   goal ≤ ${GOAL_MS} ms   ${verdict(okTime)}`);
  for (const line of breakdown('table')) console.log(`      ${line}`);
  console.log(`      rows in the DOM ${median(rounds.map((r) => r.rows))} of ${N}; scrolling through all ${N / 1000} pages to the last run: ${spread(rounds.map((r) => r.scrollToEnd))}`);
  console.log(`  sweep of ${SWEEP.toLocaleString('en')} runs, parallel coordinates first render: ${spread(sweepMs)}, ${median(rounds.map((r) => r.axes))} axes   goal ≤ ${GOAL_SWEEP_MS} ms   ${verdict(okSweep)}`);
  for (const line of breakdown('sweep')) console.log(`      ${line}`);
  process.exit(okSize && okTime && okSweep ? 0 : 1);
}
