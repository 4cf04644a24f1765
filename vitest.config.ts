import { defineConfig, mergeConfig } from 'vitest/config';
import shared from './vitest.shared';

/**
 * Root run: every package's tests plus the cross-package backend tests, the WebGPU tier included
 * (test/backends/webgpu.test.ts: lavapipe in CI; it skips itself, saying why, where no Vulkan driver
 * is present; `npm run test:webgpu` runs it alone). The CLI end-to-end ablation (`npm run test:e2e`)
 * is a separate tier.
 */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      include: ['packages/*/test/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
      exclude: ['**/node_modules/**', '**/*.e2e.test.ts'],
    },
  }),
);
