import type { Options } from 'tsup';

/** One build for every package: ESM + CJS + .d.ts from src/index.ts; tfjs stays external. */
export const base: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: [/^@tensorflow\//, /^@grpo-lab\//, 'webgpu'],
};
