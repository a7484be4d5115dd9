import { defineConfig } from 'vitest/config';

// Mutation testing runs the unit project only: every mutant reruns the tests that cover it,
// so a guest boot per mutant is out of the question.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tools/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
