import { defineConfig } from 'vitest/config';

// One vitest run covers every workspace. Forks (not threads): chDB and PGlite load native/wasm
// engines that own process-wide state, and each test file gets its own data directories.
export default defineConfig({
  test: {
    include: ['{proto,packages/*,services/*,firmware-sim,testkit}/src/**/*.test.ts', 'services/web/e2e/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
