import { defineConfig, mergeConfig } from 'vitest/config';
import shared from './vitest.shared';

/** Root run: every package's tests as one project each. */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      include: ['packages/*/test/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    },
  }),
);
