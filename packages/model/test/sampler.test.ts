import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { TEST_BACKENDS, useBackend, expectCloseTo } from '../../../testing/index.js';
import { transformer } from '@grpo-lab/model';
import { sequences, disposeSeq } from './helpers.js';

const cfg = { vocabSize: 9, dModel: 16, nLayers: 2, nHeads: 2, maxContext: 24, seed: 1 };

function sharpen(m: ReturnType<typeof transformer>): void {
  let i = 0;
  for (const v of Object.values(m.namedWeights()))
    v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.3, 'float32', 11 + i++))));
}

describe.each(TEST_BACKENDS)('generate on %s', (backend) => {
  it('is reproducible with a fixed seed, greedy at temperature 0, and its logp equals score()', async () => {
    await useBackend(backend);
    const m = transformer(cfg);
    sharpen(m);
    const prompts = [[1, 2, 3], [4], [5, 6]];
    const req = { prompts, numSamples: 3, maxNewTokens: 6, seed: 9, stopTokens: [0] };
    const before = tf.memory().numTensors;
    const a = await m.generate(req);
    expect(tf.memory().numTensors).toBe(before);
    const b = await m.generate(req);
    expect(b).toEqual(a);
    const c = await m.generate({ ...req, seed: 10 });
    expect(c.map((g) => g.tokens)).not.toEqual(a.map((g) => g.tokens));
    expect(a.map((g) => g.promptIndex)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    for (const g of a) {
      expect(g.tokens.length).toBeLessThanOrEqual(6);
      const stopped = g.tokens[g.tokens.length - 1] === 0;
      expect(g.truncated).toBe(!stopped);
      if (!stopped) expect(g.tokens.length).toBe(6);
      expect(g.tokens.slice(0, -1)).not.toContain(0);
    }
    // behaviour log-probs (τ = 1) equal the training-path score of the same tokens
    const seq = sequences(
      a.map((g) => prompts[g.promptIndex]!),
      a.map((g) => g.tokens),
    );
    const lp = (await m.score(seq).logp.array()) as number[][];
    a.forEach((g, r) => expectCloseTo(g.logp, lp[r]!.slice(0, g.tokens.length), 1e-4, `row ${r}`));
    disposeSeq(seq);

    // temperature 0: every sample is the argmax continuation of the full forward pass
    const greedy = await m.generate({ prompts, numSamples: 2, maxNewTokens: 5, seed: 1, temperature: 0 });
    for (const [p, prompt] of prompts.entries()) {
      const ids = prompt.slice();
      for (let s = 0; s < 5; s++) {
        const x = tf.tensor2d([ids], [1, ids.length], 'int32');
        const one = tf.onesLike(x).toFloat() as tf.Tensor2D;
        const z = m.logits(x, one);
        const next = (await tf.argMax(tf.slice(z, [0, ids.length - 1, 0], [1, 1, 9]), -1).data())[0]!;
        tf.dispose([x, one, z]);
        ids.push(next);
      }
      expect(greedy[2 * p]!.tokens).toEqual(ids.slice(prompt.length));
      expect(greedy[2 * p + 1]!.tokens).toEqual(ids.slice(prompt.length));
    }
    m.dispose();
  });

  it('rotary model, top-k 1 equals greedy, memory flat over a longer run', async () => {
    await useBackend(backend);
    const m = transformer({ ...cfg, positions: 'rotary' });
    sharpen(m);
    const req = {
      prompts: [
        [1, 2],
        [3, 4, 5, 6],
      ],
      numSamples: 4,
      maxNewTokens: 12,
      seed: 3,
    };
    const g0 = await m.generate({ ...req, temperature: 0 });
    const before = tf.memory().numTensors;
    const k1 = await m.generate({ ...req, topK: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(k1.map((g) => g.tokens)).toEqual(g0.map((g) => g.tokens));
    expect(k1.every((g) => g.truncated && g.tokens.length === 12)).toBe(true);
    m.dispose();
  });
});
