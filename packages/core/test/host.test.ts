/** Host-kernel helpers: which backends count as host memory, zero-copy reads, the inlined exp. */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { hostExp, hostValues, isHostBackend } from '@grpo-lab/core';
import { TEST_BACKENDS, useBackend } from '../../../testing/index.js';

describe('isHostBackend', () => {
  it('cpu and wasm only (never a GPU backend)', () => {
    expect(isHostBackend('cpu')).toBe(true);
    expect(isHostBackend('wasm')).toBe(true);
    for (const b of ['webgpu', 'webgl', 'tensorflow', '']) expect(isHostBackend(b)).toBe(false);
  });
});

describe('hostExp', () => {
  it('matches Math.exp to 1e-11 relative on [−20, 20], and is Math.exp outside', () => {
    let worst = 0;
    for (let i = 0; i <= 400_000; i++) {
      const x = -20 + i / 10_000;
      worst = Math.max(worst, Math.abs(hostExp(x) - Math.exp(x)) / Math.exp(x));
    }
    expect(worst).toBeLessThan(1e-11);
    for (const x of [-20, 20, 0, -0, 1e-9])
      expect(Math.abs(hostExp(x) - Math.exp(x)) / Math.exp(x)).toBeLessThan(1e-11);
    for (const x of [-20.5, 21, 700, -745, Infinity, -Infinity]) expect(hostExp(x)).toBe(Math.exp(x));
    expect(hostExp(Number.NaN)).toBeNaN();
  });
});

describe.each(TEST_BACKENDS)('hostValues on %s', (backend) => {
  it('reads a float32 tensor, including a reshaped or sliced one', async () => {
    await useBackend(backend);
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(Array.from(hostValues(x))).toEqual([1, 2, 3, 4, 5, 6]);
    const r = tf.reshape(x, [3, 2]);
    expect(Array.from(hostValues(r))).toEqual([1, 2, 3, 4, 5, 6]);
    const s = tf.slice(x, [1, 0], [1, 3]);
    expect(Array.from(hostValues(s))).toEqual([4, 5, 6]);
    tf.dispose([x, r, s]);
  });
});
