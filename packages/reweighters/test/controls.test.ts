import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readMetrics } from '@grpo-lab/core';
import { entropyQuantile, nthr, nthrScores, positiveOnly, randomTokens } from '@grpo-lab/reweighters';
import { TEST_BACKENDS, read, useBackend } from '../../../testing/index.js';
import { batchOf, disposeTestBatch, randomInputs } from './helpers.js';

const x = randomInputs(11, [6, 4, 5, 1, 3], 6, 4, 12);
const B = x.group_ids.length;
const T = 6;
const neg = (i: number, t: number) => x.rewards[i] === 0 && x.mask[i]![t] === 1;

describe('randomTokens', () => {
  for (const b of TEST_BACKENDS)
    it(`draws NTHR's count per group among negative tokens, seeded, on ${b}`, async () => {
      await useBackend(b);
      const before = tf.memory().numTensors;
      const batch = batchOf(x);
      const adv = tf.zeros([B, T]) as tf.Tensor2D;
      const ref = await nthrScores(batch, { beta: 1, eta: 'p', includeSelf: true });
      const sel = await read(ref.selected);
      const draw = async (p: ReturnType<typeof randomTokens>) => {
        const r = await p.weights(batch, adv);
        const w = await read(r.weights);
        r.weights.dispose();
        return { w, m: r.metrics };
      };
      const a = await draw(randomTokens({ eta: 'p', seed: 7 }));
      for (const g of ref.groups) {
        const chosen = g.rows
          .flatMap((r) => Array.from({ length: T }, (_, t) => r * T + t))
          .filter((k) => a.w[k] !== 1);
        const nthrCount = g.rows.reduce(
          (s, r) => s + sel.slice(r * T, r * T + T).reduce((u, v) => u + v, 0),
          0,
        );
        if (g.mixed) expect(chosen.length).toBe(nthrCount);
        for (const k of chosen) {
          expect(neg(Math.floor(k / T), k % T)).toBe(true);
          expect(a.w[k]).toBeCloseTo(g.eta!, 6);
        }
      }
      expect(a.m.selected_frac).toBe(
        ref.groups.reduce((s, g) => s + g.selected, 0) /
          ref.groups.reduce((s, g) => s + (g.mixed ? g.negTokens : 0), 0),
      );
      expect((await draw(randomTokens({ eta: 'p', seed: 7 }))).w).toEqual(a.w);
      const f = await draw(randomTokens({ fraction: 0.5, eta: 0, seed: 1 }));
      const zeros = f.w.filter((v) => v === 0).length;
      expect(zeros).toBe(
        ref.groups.filter((g) => g.mixed).reduce((s, g) => s + Math.round(0.5 * g.negTokens), 0),
      );
      const seeds = await Promise.all(
        [2, 3, 4].map(async (s) => (await draw(randomTokens({ fraction: 0.5, eta: 0, seed: s }))).w.join()),
      );
      expect(new Set([f.w.join(), ...seeds]).size).toBeGreaterThan(1);
      tf.dispose([ref.scores, ref.selected, adv]);
      disposeTestBatch(batch);
      expect(tf.memory().numTensors).toBe(before);
    });
});

describe('positiveOnly', () => {
  for (const b of TEST_BACKENDS)
    it(`zeros negative tokens on ${b}`, async () => {
      await useBackend(b);
      const before = tf.memory().numTensors;
      const batch = batchOf(x);
      const A = x.mask.map((r, i) => r.map((_, t) => (x.rewards[i] ? 1 : -1) * (t + 1)));
      const adv = tf.tensor2d(A) as tf.Tensor2D;
      const r1 = await positiveOnly().weights(batch, adv);
      expect(await read(r1.weights)).toEqual(
        A.flatMap((r, i) => r.map((a, t) => (a < 0 && x.mask[i]![t] ? 0 : 1))),
      );
      const r2 = await positiveOnly({ by: 'correct' }).weights(batch, adv);
      expect(await read(r2.weights)).toEqual(
        x.mask.flatMap((r, i) => r.map((m) => (m && !x.rewards[i] ? 0 : 1))),
      );
      const m = await readMetrics(r2.metrics);
      const valid = x.mask.flat().filter(Boolean).length;
      expect(m.zeroed_frac).toBeCloseTo(
        x.mask.flatMap((r, i) => r.filter((v) => v && !x.rewards[i])).length / valid,
        6,
      );
      await readMetrics(r1.metrics);
      tf.dispose([r1.weights, r2.weights, adv]);
      disposeTestBatch(batch);
      expect(tf.memory().numTensors).toBe(before);
    });
});

describe('entropyQuantile', () => {
  for (const b of TEST_BACKENDS)
    it(`keeps the top-ρ entropy tokens (TRL rule) on ${b}`, async () => {
      await useBackend(b);
      // TRL tests/test_grpo_trainer.py style: 12 slots, 10 valid; ρ = 0.8 → θ = quantile(valid, 0.2).
      const E = [
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        [0.7, 0.8, 0.9, 1.0, 9, 9],
      ];
      const M = [
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 0],
      ];
      const batch = {
        ...batchOf(randomInputs(1, [2], 6, 2, 3)),
        mask: tf.tensor2d(M),
        entropy: tf.tensor2d(E),
      } as any;
      const adv = tf.zeros([2, 6]) as tf.Tensor2D;
      const r = await entropyQuantile({ rho: 0.8 }).weights(batch, adv);
      // sorted valid: 0.1..1.0; position 0.2·9 = 1.8 → θ = 0.2 + 0.8·0.1 = 0.28 → drop 0.1, 0.2
      expect(await read(r.weights)).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
      expect(r.metrics.entropy_threshold).toBeCloseTo(0.28, 6);
      expect(r.metrics.kept_frac).toBeCloseTo(0.8, 9);
      const all = await entropyQuantile({ rho: 1 }).weights(batch, adv);
      expect((await read(all.weights)).every((v) => v === 1)).toBe(true);
      tf.dispose([r.weights, all.weights, adv]);
      disposeTestBatch(batch);
    });
});

describe('nthr scoreOnly and no leaks', () => {
  it('scoreOnly keeps weights at 1 but reports the same scores and metrics', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const batch = batchOf(x);
    const adv = tf.zeros([B, T]) as tf.Tensor2D;
    const a = await nthr({ eta: 0 }).weights(batch, adv);
    const s = await nthr({ eta: 0, scoreOnly: true }).weights(batch, adv);
    expect((await read(s.weights)).every((v) => v === 1)).toBe(true);
    expect(await read(s.scores)).toEqual(await read(a.scores));
    expect(s.metrics).toEqual(a.metrics);
    expect((await read(a.weights)).some((v) => v === 0)).toBe(true);
    expect(Object.keys(a.metrics).sort()).toEqual(
      [
        'mean_eta',
        'mean_tau',
        'mixed_groups',
        'num_negative_tokens',
        'num_selected',
        'score_max',
        'score_median',
        'score_min',
        'score_p25',
        'score_p75',
        'selected_frac',
      ].sort(),
    );
    tf.dispose([a.weights, a.scores, s.weights, s.scores, adv]);
    disposeTestBatch(batch);
    expect(tf.memory().numTensors).toBe(before);
  });
});
