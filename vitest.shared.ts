import { defineConfig } from 'vitest/config';

/** Tests run against source through the `@grpo-lab/source` export condition: no build needed. */
export default defineConfig({
  resolve: { conditions: ['@grpo-lab/source'] },
  ssr: { resolve: { conditions: ['@grpo-lab/source'] } },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
  },
});
