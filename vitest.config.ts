import { configDefaults, defineConfig } from 'vitest/config';
import { standinOnlyExcludes } from './test/support/standin-only.js';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tools/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...standinOnlyExcludes()],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Guests under software emulation are heavy: run integration files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
