import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { groupStats, selectBackend, embeddingLookup } from '@grpo-lab/core';

describe('smoke', () => {
  for (const b of ['cpu', 'wasm'] as const) {
    it(`groupStats on ${b}`, async () => {
      await selectBackend(b);
      const s = groupStats(tf.tensor1d([1, 0, 0, 1, 5]), tf.tensor1d([0, 0, 0, 0, 7], 'int32'));
      expect(Array.from(await s.mean.data())).toEqual([0.5, 0.5, 0.5, 0.5, 5]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(embeddingLookup(t as tf.Tensor2D, tf.tensor1d([0, 2, 2], 'int32'))))(tf.ones([3, 2]));
      expect(Array.from(await g.data())).toEqual([1, 1, 0, 0, 2, 2]);
      const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([0, 2, 2], 'int32'))))(tf.ones([3, 2]));
      expect(Array.from(await g2.data())).toEqual([1, 1, 0, 0, 2, 2]);
    });
  }
});
