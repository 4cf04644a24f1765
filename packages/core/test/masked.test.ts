/**
 * Masked reductions: hand-computed values, garbage (NaN/±Inf/huge) at padding changes neither a
 * result nor a gradient, and the log-ratio clamp has gradient 0 where it is active.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  applyMask,
  broadcastRows,
  clampedLogRatio,
  maskCount,
  maskedFraction,
  maskedMean,
  maskedSum,
  maskedVar,
  maskedWhiten,
} from '@grpo-lab/core';
import { TEST_BACKENDS, expectCloseTo, read, useBackend } from '../../../testing/index.js';

const X = [
  [1, 2, 3],
  [4, 5, 6],
  [7, 8, 9],
];
const M = [
  [1, 1, 0],
  [1, 0, 0],
  [0, 0, 0], // an empty row
];
const valid = [1, 2, 4]; // the valid entries
const GARBAGE = [NaN, Infinity, -Infinity, 1e38, -3e38];

/** X with every padding position replaced by garbage. */
function dirty(): number[][] {
  let k = 0;
  return X.map((row, i) => row.map((x, t) => (M[i]![t] ? x : GARBAGE[k++ % GARBAGE.length]!)));
}

for (const backend of TEST_BACKENDS) {
  describe(`masked ops on ${backend}`, () => {
    it('hand-computed sums, means, counts, variances', async () => {
      await useBackend(backend);
      const x = tf.tensor2d(X);
      const m = tf.tensor2d(M);
      expect(await read(applyMask(x, m))).toEqual([1, 2, 0, 4, 0, 0, 0, 0, 0]);
      expect(await read(maskedSum(x, m))).toEqual([7]);
      expect(await read(maskedSum(x, m, 1))).toEqual([3, 4, 0]);
      expect(await read(maskCount(m, 1))).toEqual([2, 1, 0]);
      expectCloseTo(await read(maskedMean(x, m)), 7 / 3);
      expect(await read(maskedMean(x, m, 1))).toEqual([1.5, 4, 0]); // empty row → 0, not NaN
      const mu = 7 / 3;
      const ss = valid.reduce((s, v) => s + (v - mu) ** 2, 0);
      expectCloseTo(await read(maskedVar(x, m)), ss / 2);
      expectCloseTo(await read(maskedVar(x, m, false)), ss / 3);
      expectCloseTo(await read(maskedFraction(tf.greater(x, 1.5), m)), 2 / 3);
      const w = valid.map((v) => (v - mu) / Math.sqrt(ss / 2 + 1e-8));
      expectCloseTo(await read(maskedWhiten(x, m)), [w[0], w[1], 0, w[2], 0, 0, 0, 0, 0]);
      expectCloseTo(await read(maskedWhiten(x, m, { shiftMean: false })), [
        w[0]! + mu,
        w[1]! + mu,
        0,
        w[2]! + mu,
        0,
        0,
        0,
        0,
        0,
      ]);
      expect(await read(broadcastRows(tf.tensor1d([2, -1, 5]), m))).toEqual([2, 2, 0, -1, 0, 0, 0, 0, 0]);
    });

    it('NaN / Inf / huge garbage at padding changes no result', async () => {
      await useBackend(backend);
      const m = tf.tensor2d(M);
      const clean = tf.tensor2d(X);
      const bad = tf.tensor2d(dirty());
      const fns: [string, (x: tf.Tensor) => tf.Tensor][] = [
        ['applyMask', (x) => applyMask(x, m)],
        ['maskedSum', (x) => maskedSum(x, m)],
        ['maskedSum rows', (x) => maskedSum(x, m, 1)],
        ['maskedMean', (x) => maskedMean(x, m)],
        ['maskedMean rows', (x) => maskedMean(x, m, 1)],
        ['maskedVar', (x) => maskedVar(x, m)],
        ['maskedWhiten', (x) => maskedWhiten(x, m)],
      ];
      for (const [name, f] of fns) {
        const a = await read(f(clean));
        const b = await read(f(bad));
        expect(b.every(Number.isFinite), name).toBe(true);
        expect(b, name).toEqual(a);
      }
    });

    it('broadcastRows: host shortcut (no tape) = tensor formulation (under a tape), gradient wrt values', async () => {
      await useBackend(backend);
      // fractional, negative and NaN mask entries: "valid" means mask > 0 on both paths
      const m = tf.tensor2d([
        [1, 0.5, 0, -1],
        [0, 0, 0, 0],
        [Number.NaN, 1, 1, 0],
      ]);
      const v = tf.tensor1d([2.5, -1, 7]);
      const want = [2.5, 2.5, 0, 0, 0, 0, 0, 0, 0, 7, 7, 0];
      expect(await read(broadcastRows(v, m))).toEqual(want);
      const w = tf.tensor2d([
        [1, 2, 3, 4],
        [5, 6, 7, 8],
        [9, 10, 11, 12],
      ]);
      let underTape: number[] = [];
      const g = tf.grad((x: tf.Tensor) => {
        const b = broadcastRows(x as tf.Tensor1D, m);
        underTape = Array.from(b.dataSync());
        return tf.sum(tf.mul(b, w));
      })(v);
      expect(underTape).toEqual(want);
      expect(await read(g)).toEqual([3, 0, 21]);
    });

    it('gradients are exactly 0 at padding, even under NaN garbage', async () => {
      await useBackend(backend);
      const m = tf.tensor2d(M);
      const c = tf.tensor2d([
        [1, -2, 3],
        [0.5, 5, 6],
        [7, 8, 9],
      ]);
      const g = tf.grad((x: tf.Tensor) =>
        tf.addN([maskedMean(x, m), maskedVar(x, m), maskedSum(tf.mul(maskedWhiten(x, m), c), m)]),
      );
      const ga = await read(g(tf.tensor2d(X)));
      const gb = await read(g(tf.tensor2d(dirty())));
      expect(gb.every(Number.isFinite)).toBe(true);
      expect(gb).toEqual(ga);
      M.flat().forEach((mk, k) => mk === 0 && expect(gb[k]).toBe(0));
      // d/dx_k of mean + var at a valid x: 1/3 + 2(x_k − μ)/(n − 1), plus the whitening term
      const gv = await read(
        tf.grad((x: tf.Tensor) => tf.add(maskedMean(x, m), maskedVar(x, m)))(tf.tensor2d(dirty())),
      );
      expectCloseTo(
        [gv[0]!, gv[1]!, gv[3]!],
        valid.map((v) => 1 / 3 + (v - 7 / 3)),
      );
    });

    it('clampedLogRatio: value clamped to ±limit, gradient 0 where the clamp is active', async () => {
      await useBackend(backend);
      const old = tf.tensor1d([0, 0, 0, -1]);
      const f = (lp: tf.Tensor) => clampedLogRatio(lp, old);
      expect(await read(f(tf.tensor1d([25, -25, 3, 0])))).toEqual([20, -20, 3, 1]);
      const g = await read(tf.grad((lp: tf.Tensor) => tf.sum(tf.exp(f(lp))))(tf.tensor1d([25, -25, 3, 0])));
      expect(g[0]).toBe(0);
      expect(g[1]).toBe(0);
      expectCloseTo(g.slice(2), [Math.exp(3), Math.exp(1)]);
      expect(await read(clampedLogRatio(tf.tensor1d([5]), tf.tensor1d([0]), 2))).toEqual([2]);
    });
  });
}
