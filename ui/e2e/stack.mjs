// Starts the real ML Studio stack for the browser tests: cerberus and
// ml_studio built from this checkout on free ports, against the MLflow at
// ML_STUDIO_TEST_MLFLOW_URL (default http://127.0.0.1:5050), and the
// production build of the UI served by `vite preview`, proxied to ml_studio.
//
//   node e2e/stack.mjs         start it and wait (Ctrl-C stops)
//   import { startStack } from './stack.mjs'
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const UI = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(UI, '..');

export const ADMIN_PASSWORD = 'admin-password-e2e-1';

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitFor(url, what, ms = 60_000, proc) {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    if (proc && proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode} (see its log)`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = String(e?.cause?.code ?? e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready at ${url} within ${ms / 1000}s (${last})`);
}

export async function mlflowReachable(url) {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
    return r.ok;
  } catch {
    return false;
  }
}

// oidc, when given ({ issuer, clientId, clientSecret, adminGroup, name }),
// turns on cerberus's single sign-on with that provider, its callback on
// the UI's origin as a browser reaches it.
export async function startStack({ log = () => {}, oidc } = {}) {
  const mlflow = process.env.ML_STUDIO_TEST_MLFLOW_URL || 'http://127.0.0.1:5050';
  if (!(await mlflowReachable(mlflow))) {
    const msg = `MLflow is not reachable at ${mlflow} (start it with deploy/local/stack.sh up)`;
    if (process.env.CI === 'true') throw new Error(msg);
    return { skipped: msg };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mls-e2e-'));
  const procs = [];
  const stop = async () => {
    for (const p of procs.reverse()) {
      if (p.exitCode === null) p.kill('SIGTERM');
    }
    await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : null)));
    if (!process.env.E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  try {
    log('building cerberus and ml_studio');
    const bin = (n) => join(dir, n);
    execFileSync('go', ['build', '-o', bin('cerberus'), './services/cerberus/cmd/cerberus'], { cwd: REPO, stdio: 'inherit' });
    execFileSync('go', ['build', '-o', bin('ml_studio'), './services/ml_studio/cmd/ml_studio'], { cwd: REPO, stdio: 'inherit' });
    if (!existsSync(join(UI, 'dist', 'index.html'))) {
      log('building the UI');
      execFileSync('npx', ['vite', 'build'], { cwd: UI, stdio: 'inherit' });
    }
    const [cp, mp, up] = [await freePort(), await freePort(), await freePort()];
    const start = (name, cmd, args, env, cwd = dir) => {
      const out = openSync(join(dir, `${name}.log`), 'a');
      const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
      procs.push(p);
      return p;
    };
    const sso = oidc
      ? {
          CERBERUS_OIDC_ISSUER: oidc.issuer,
          CERBERUS_OIDC_CLIENT_ID: oidc.clientId,
          CERBERUS_OIDC_CLIENT_SECRET: oidc.clientSecret,
          CERBERUS_OIDC_REDIRECT_URL: `http://127.0.0.1:${up}/api/auth/oidc/callback`,
          CERBERUS_OIDC_POST_LOGOUT_URL: `http://127.0.0.1:${up}/signin`,
          CERBERUS_OIDC_ADMIN_GROUP: oidc.adminGroup ?? '',
          CERBERUS_OIDC_PROVIDER_NAME: oidc.name ?? 'single sign-on',
        }
      : {};
    const c = start('cerberus', bin('cerberus'), [], {
      ...sso,
      CERBERUS_PORT: String(cp),
      CERBERUS_DATABASE_DSN: `sqlite:${join(dir, 'auth.db')}`,
      CERBERUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CERBERUS_BCRYPT_COST: '4',
      CERBERUS_LOG_LEVEL: 'warn',
    });
    await waitFor(`http://127.0.0.1:${cp}/healthz`, 'cerberus', 60_000, c);
    const m = start('ml_studio', bin('ml_studio'), [], {
      ML_STUDIO_PORT: String(mp),
      ML_STUDIO_CERBERUS_URL: `http://127.0.0.1:${cp}`,
      ML_STUDIO_MLFLOW_URL: mlflow,
      ML_STUDIO_DECISION_CACHE: '0s',
      ML_STUDIO_LOG_LEVEL: 'warn',
    });
    await waitFor(`http://127.0.0.1:${mp}/readyz`, 'ml_studio', 60_000, m);
    const v = start('vite', process.execPath, [join(UI, 'node_modules', 'vite', 'bin', 'vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(up), '--strictPort'], { ML_STUDIO_URL: `http://127.0.0.1:${mp}` }, UI);
    await waitFor(`http://127.0.0.1:${up}/`, 'vite preview', 60_000, v);
    log(`stack up: ui http://127.0.0.1:${up}  ml_studio :${mp}  cerberus :${cp}  logs ${dir}`);
    return { ui: `http://127.0.0.1:${up}`, api: `http://127.0.0.1:${mp}`, cerberus: `http://127.0.0.1:${cp}`, mlflow, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startStack({ log: console.log });
  if (s.skipped) {
    console.error(s.skipped);
    process.exit(1);
  }
  console.log(`admin password: ${ADMIN_PASSWORD}`);
  const bye = async () => {
    await s.stop();
    process.exit(0);
  };
  process.on('SIGINT', bye);
  process.on('SIGTERM', bye);
}
