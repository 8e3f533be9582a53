import { defineConfig } from 'vitest/config';

// The browser tests: real stack (e2e/stack.mjs), headless Debian chromium
// through playwright-core, one scenario after the other. E2E_SSO=1 runs the
// single sign-on tests (*.sso.ts) instead, which need Keycloak (make test-sso).
export default defineConfig({
  test: {
    root: __dirname,
    include: process.env.E2E_SSO === '1' ? ['*.sso.ts'] : ['*.e2e.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    sequence: { concurrent: false },
    // A poll waits for the UI to catch up with a change it made through the
    // real stack; vitest's 1 s default is shorter than one refetch on a busy
    // 2-core CI machine (a deleted experiment's row failed to go in time).
    expect: { poll: { timeout: 15_000 } },
  },
});
