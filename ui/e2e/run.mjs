// Runs the browser tests (e2e/*.e2e.ts) with vitest as the runner.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(process.execPath, [join(ui, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'e2e/vitest.config.ts', ...process.argv.slice(2)], {
  cwd: ui,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
