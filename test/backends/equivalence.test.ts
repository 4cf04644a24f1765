/**
 * Backend equivalence, cpu vs wasm (runs in CI everywhere): the training path's pieces — composed
 * objective and its gradient, advantages, NTHR, a tiny transformer's score / weight gradients /
 * greedy generation — give the same numbers on both backends (1e-5 plugin math, 1e-4 model paths),
 * and the plugin math matches ../shared/golden on each. The webgpu comparison is webgpu.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../testing/index.js';
import { compareFigures, compareGolden, runSuite, type Figures } from './cases.js';

describe('backend equivalence: cpu vs wasm', () => {
  let cpu: Figures;
  beforeAll(async () => {
    await useBackend('cpu');
    cpu = await runSuite();
  });

  it('cpu matches the golden vectors', () => {
    expect(compareGolden(cpu)).toEqual([]);
  });

  it('wasm gives the same losses, gradients, weights and tokens as cpu, and matches the goldens', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = await runSuite();
    expect(tf.memory().numTensors).toBe(before);
    expect(compareGolden(wasm)).toEqual([]);
    expect(compareFigures(wasm, cpu)).toEqual([]);
  });
});
