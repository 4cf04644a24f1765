/**
 * NTHR on a real model, against autodiff: the kernel k(u, t) = ⟨g_u, g_t⟩·⟨h_u, h_t⟩ is the inner
 * product of the LM-head weight gradients ∇_W log π(y_u) and ∇_W log π(y_t) (∇_W log π(y|h) = h·gᵀ
 * for logits h·W). So with V* = V (every token id occurs in the group's responses), a negative
 * token's score s(t) = Σ_{u ∈ correct tokens} k(u, t) must equal ⟨Σ_u ∇_W log π_u, ∇_W log π_t⟩
 * computed by tf.grad on the transformer itself, and each anchor s̄(i) the mean of that inner product
 * over the correct response's tokens. This checks the wiring the golden vectors cannot: that the
 * policy's `hidden` is the LM head's input at the position predicting each token, that its
 * LogitsSource gives those logits, and that the token ids line up with both.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@grpo-lab/core';
import { transformer } from '@grpo-lab/model';
import { nthrScores } from '@grpo-lab/reweighters';
import { TEST_BACKENDS, expectCloseTo, useBackend } from '../testing/index.js';

const V = 6;
const P = 2;
// Two mixed groups of four rows (two correct, two incorrect), unequal lengths, right padding (id 0,
// mask 0). Every id 0..5 occurs among each group's valid response tokens, so V* = V.
const prompts = [
  [1, 2],
  [1, 2],
  [1, 2],
  [1, 2],
  [3, 4],
  [3, 4],
  [3, 4],
  [3, 4],
];
const responses = [
  [5, 1, 2, 0],
  [5, 3, 0, 0],
  [5, 4, 4, 0],
  [2, 1, 0, 3],
  [0, 1, 2, 3],
  [4, 5, 0, 0],
  [0, 1, 5, 4],
  [3, 3, 2, 0],
];
const lens = [3, 2, 4, 4, 4, 2, 3, 4];
const rewards = [1, 1, 0, 0, 0, 1, 1, 0];
const groupIds = [0, 0, 0, 0, 1, 1, 1, 1];
const B = responses.length;
const T = 4;

afterAll(async () => {
  await useBackend('cpu');
});

describe.each(TEST_BACKENDS)('NTHR scores = LM-head gradient inner products, by autodiff (%s)', (backend) => {
  it('s(t) and s̄(i) agree with tf.grad through the transformer', async () => {
    await useBackend(backend);
    const model = transformer({ vocabSize: V, dModel: 16, nLayers: 1, nHeads: 2, maxContext: 8, seed: 3 });
    const seq = {
      tokens: tf.tensor2d(
        prompts.map((p, b) => [...p, ...responses[b]!]),
        [B, P + T],
        'int32',
      ),
      attention: tf.tensor2d(
        lens.map((n) => [1, 1, ...Array.from({ length: T }, (_, t) => (t < n ? 1 : 0))]),
        [B, P + T],
      ),
      promptLength: P,
    };
    const mask = tf.tensor2d(
      lens.map((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0))),
      [B, T],
    );
    const tokenIds = tf.tensor2d(responses, [B, T], 'int32');
    const before = tf.memory().numTensors;

    // NTHR from the model's own old-policy outputs, as the trainer passes them.
    const out = model.score(seq, { hidden: true, logits: true });
    const batch: Batch = {
      groupIds: tf.tensor1d(groupIds, 'int32'),
      rewards: tf.tensor1d(rewards),
      mask,
      tokenIds,
      hidden: out.hidden!,
      logits: out.logits!,
    };
    const ns = await nthrScores(batch, { beta: 1, eta: 'two_abs_half_minus_p', includeSelf: true });
    const scores = (await ns.scores.array()) as number[][];
    for (const g of ns.groups) expect(g.vstar).toEqual([0, 1, 2, 3, 4, 5]);

    // Brute force: ∇_W log π(y_t) of every valid token by tf.grad on the LM-head weight W.
    const W = model.namedWeights()['lm_head.weight']!;
    const grads: (Float32Array | null)[][] = [];
    for (let b = 0; b < B; b++) {
      grads.push([]);
      for (let t = 0; t < T; t++) {
        if (t >= lens[b]!) {
          grads[b]!.push(null);
          continue;
        }
        const gW = tf.tidy(() => {
          const { grads: g } = tf.variableGrads(
            () => tf.sum(tf.slice(model.score(seq).logp, [b, t], [1, 1])) as tf.Scalar,
            [W],
          );
          return g[W.name]!;
        });
        grads[b]!.push((await gW.data()) as Float32Array);
        gW.dispose();
      }
    }
    const dot = (a: Float32Array, c: Float32Array) => a.reduce((s, x, i) => s + x * c[i]!, 0);
    const expectedScores: (number | null)[] = [];
    const expectedSbar: (number | null)[] = [];
    for (let b = 0; b < B; b++) {
      // G⁺ = Σ over the group's correct tokens of ∇_W log π(y_u)
      const gPlus = new Float32Array(W.size);
      for (let r = 0; r < B; r++)
        if (groupIds[r] === groupIds[b] && rewards[r] === 1)
          for (const g of grads[r]!) if (g) g.forEach((x, i) => (gPlus[i]! += x));
      const perToken = grads[b]!.map((g) => (g ? dot(gPlus, g) : null));
      const valid = perToken.filter((x): x is number => x !== null);
      if (rewards[b] === 0) expectedScores.push(...perToken);
      else expectedScores.push(...perToken.map(() => null)); // correct rows: compared through s̄
      expectedSbar.push(rewards[b] === 1 ? valid.reduce((s, x) => s + x, 0) / valid.length : null);
    }
    const scale = Math.max(...expectedScores.map((x) => Math.abs(x ?? 0)));
    expect(scale).toBeGreaterThan(1e-3); // the comparison is not between zeros
    expectCloseTo(
      scores.flat().map((x) => x / scale),
      expectedScores.map((x) => (x === null ? null : x / scale)),
      1e-4,
      `${backend}: s(t) / max |s|`,
    );
    expectCloseTo(
      Array.from(ns.sbar).map((x) => x / scale),
      expectedSbar.map((x) => (x === null ? null : x / scale)),
      1e-4,
      `${backend}: s̄(i) / max |s|`,
    );

    tf.dispose([ns.scores, ns.selected, batch.groupIds, batch.rewards, out.logp, out.hidden!]);
    out.logits!.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([seq.tokens, seq.attention, mask, tokenIds]);
    model.dispose();
  });
});
