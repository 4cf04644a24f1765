import { defineConfig, mergeConfig } from 'vitest/config';
import shared from './vitest.shared';

/**
 * Root run: every package's tests plus the cross-package backend tests. The WebGPU tier
 * (`npm run test:webgpu`, needs a Vulkan driver) and the CLI end-to-end ablation
 * (`npm run test:e2e`) are separate tiers.
 */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      include: ['packages/*/test/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
      exclude: ['**/node_modules/**', 'test/backends/webgpu.test.ts', '**/*.e2e.test.ts'],
    },
  }),
);
