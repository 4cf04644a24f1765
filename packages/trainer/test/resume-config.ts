import type { TrainConfig } from '../src/index.js';
import { tinyModel } from './helpers.js';

/** One small config for the determinism / resume / kill -9 tests (model built from config, KL on). */
export function resumeConfig(outDir: string, extra: Partial<TrainConfig> = {}): TrainConfig {
  return {
    outDir,
    seed: 3,
    steps: 6,
    promptsPerStep: 2,
    numGenerations: 4,
    maxCompletionLength: 3,
    model: tinyModel,
    sft: { steps: 3, batchSize: 4, lr: 1e-2 },
    kl: { coef: 0.05 },
    numIterations: 2,
    eval: { every: 2, size: 4 },
    checkpoint: { every: 1 },
    ...extra,
  };
}
