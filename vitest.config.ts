import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Child processes in the tests run dist/: build it once here, never inside a worker.
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real processes and servers; two cores, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    teardownTimeout: 10_000,
  },
});
