import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Vitest's default is one worker fewer than the cores: one, on two.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      // Pure functions over buffers, in this process: their files run side by side on the cores.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/architecture/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      // Stress and exit tests spawn real threads and processes, and check their timing; the two
      // cores are theirs, so these files run one at a time, after the unit tests.
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
