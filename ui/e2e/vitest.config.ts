import { defineConfig } from 'vitest/config';

// The browser tests: real stack (e2e/stack.mjs), headless Debian chromium
// through playwright-core, one scenario after the other.
export default defineConfig({
  test: {
    root: __dirname,
    include: ['*.e2e.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
