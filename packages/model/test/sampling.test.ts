import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '@grpo-lab/core';
import { resolveSampling, sampleRows, selectToken } from '@grpo-lab/model';
import { expectCloseTo, useBackend } from '../../../testing/index.js';

/** An Rng whose next() returns the given values in turn. */
const fixed = (...us: number[]): Rng => ({ next: () => us.shift()! }) as unknown as Rng;
// p = [0.1, 0.2, 0.3, 0.4]
const z = [0, Math.log(2), Math.log(3), Math.log(4)];
const pick = (u: number, o: object = {}) => selectToken(z, 0, 4, resolveSampling(o), fixed(u));

describe('selectToken', () => {
  it('draws by inverse CDF over the ids (hand-computed)', () => {
    expect(pick(0.05).token).toBe(0);
    expect(pick(0.15).token).toBe(1);
    expect(pick(0.59).token).toBe(2);
    expect(pick(0.61).token).toBe(3);
    expectCloseTo(pick(0.15).logp, Math.log(0.2), 1e-6);
  });

  it('applies top-k then top-p on the kept mass; logp stays that of the unfiltered distribution', () => {
    // top-2 keeps {3: .4, 2: .3}: u·0.7 < 0.4 → 3, else 2
    expect(pick(0.5, { topK: 2 }).token).toBe(3);
    expect(pick(0.6, { topK: 2 }).token).toBe(2);
    expectCloseTo(pick(0.6, { topK: 2 }).logp, Math.log(0.3), 1e-6);
    expect(pick(0.99, { topP: 0.4 }).token).toBe(3); // 0.4 alone reaches 0.4
    expect(pick(0.99, { topP: 0.5 }).token).toBe(2); // needs {3, 2}
    expect(pick(0.99, { topP: 0.75 }).token).toBe(1); // needs {3, 2, 1}
    expect(pick(0.99, { topK: 3, topP: 0.5 }).token).toBe(2); // 0.5 of the kept 0.9 = 0.45 → {3, 2}
  });

  it('temperature scales the logits; temperature 0 is argmax (ties → smallest id) with τ = 1 log-probs', () => {
    const t2 = pick(0.99, { temperature: 2 });
    const q = [1, Math.SQRT2, Math.sqrt(3), 2];
    expect(t2.token).toBe(3);
    expectCloseTo(t2.logp, Math.log(2 / q.reduce((a, b) => a + b)), 1e-6);
    const g = selectToken([1, 5, 5, 2], 0, 4, resolveSampling({ temperature: 0 }), fixed());
    expect(g.token).toBe(1);
    const lse = Math.log(Math.exp(1) + 2 * Math.exp(5) + Math.exp(2));
    expectCloseTo(g.logp, 5 - lse, 1e-6);
  });

  it('empirical frequencies match the distribution (seeded)', () => {
    const rng = createRng(42);
    const s = resolveSampling({});
    const n = 20000;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) counts[selectToken(z, 0, 4, s, rng).token]!++;
    expectCloseTo(
      counts.map((c) => c / n),
      [0.1, 0.2, 0.3, 0.4],
      0.015,
      'frequencies',
    );
  });

  it('sampleRows reads a [N, V] tensor once and is reproducible', async () => {
    await useBackend('cpu');
    const logits = tf.tensor2d([z, z.slice().reverse()]);
    const a = await sampleRows(logits, { temperature: 1 }, createRng(5));
    const b = await sampleRows(logits, { temperature: 1 }, createRng(5));
    expect(a).toEqual(b);
    expect((await sampleRows(logits, { temperature: 0 }, createRng(5))).tokens).toEqual([3, 0]);
    logits.dispose();
  });

  it('validates options, naming them', () => {
    expect(() => resolveSampling({ temperature: -1 })).toThrow(/sampling\.temperature/);
    expect(() => resolveSampling({ topK: 1.5 })).toThrow(/sampling\.topK/);
    expect(() => resolveSampling({ topP: 1.2 })).toThrow(/sampling\.topP/);
    expect(() => resolveSampling({ top_p: 1 } as never)).toThrow(/sampling\.top_p/);
    expect(() => selectToken([NaN, NaN], 0, 2, resolveSampling({}), fixed(0))).toThrow(/finite/);
  });
});
