import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    exclude: ['**/node_modules/**', '**/dist/**', '.data/**', 'test-artifacts/**'],
    // Real PostgreSQL + Temporal for the whole run (see ops/test/global-setup.ts).
    globalSetup: ['ops/test/global-setup.ts'],
    setupFiles: ['ops/test/setup-tracing.ts'],
    // Temporal's native module crashes inside worker threads: child processes instead.
    pool: 'forks',
    // Real servers, real workflows: generous limits (starting the infrastructure can build
    // nothing, but bundling workflows and a cold Temporal take a while on a slow machine).
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
