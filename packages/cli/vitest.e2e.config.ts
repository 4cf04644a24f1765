import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared';

/**
 * End-to-end tests (the real trainer in child processes; minutes, not seconds), kept out of the
 * unit suite: `npx vitest run -c packages/cli/vitest.e2e.config.ts` (from the repo root or here).
 */
export default defineConfig({
  ...shared,
  root: new URL('.', import.meta.url).pathname,
  test: { ...shared.test, include: ['test/e2e/**/*.e2e.ts'], testTimeout: 600_000 },
});
