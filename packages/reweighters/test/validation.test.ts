import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  createRegistry,
  denseLogits,
  type Batch,
  type LogitsSource,
  type TokenReweighter,
} from '@grpo-lab/core';
import * as api from '@grpo-lab/reweighters';
import { entropyQuantile, nthr, positiveOnly, randomTokens, reweighterPlugins } from '@grpo-lab/reweighters';
import { useBackend } from '../../../testing/index.js';
import { batchOf, disposeTestBatch, randomInputs } from './helpers.js';

describe('options', () => {
  it('documented defaults', () => {
    expect(nthr().options).toEqual({});
    expect(nthr().needs).toEqual({ hidden: true, logits: true, tokenIds: true });
    expect(randomTokens({ fraction: 0.1 }).needs).toEqual({});
    expect(randomTokens().needs).toEqual(nthr().needs);
    expect(positiveOnly().needs).toEqual({});
    expect(entropyQuantile().needs).toEqual({ entropy: true });
  });
  it('rejects bad options, naming the option and the allowed values', () => {
    expect(() => nthr({ betta: 1 } as any)).toThrow(/nthr\.betta.*"beta", "eta"/);
    expect(() => nthr({ beta: Number.NaN })).toThrow(/nthr\.beta/);
    expect(() => nthr({ eta: 'half' as any })).toThrow(
      /nthr\.eta: expected one of "two_abs_half_minus_p", "p", "one_minus_p"/,
    );
    expect(() => nthr({ eta: -1 })).toThrow(/nthr\.eta/);
    expect(() => nthr({ includeSelf: 'no' as any })).toThrow(/nthr\.includeSelf: expected true or false/);
    expect(() => nthr({ scoreOnly: 1 as any })).toThrow(/nthr\.scoreOnly/);
    expect(() => nthr({ correct: 0.5 as any })).toThrow(/nthr\.correct: expected a function/);
    expect(() => randomTokens({ fraction: 2 })).toThrow(
      /randomTokens\.fraction: expected a number in \[0, 1\]/,
    );
    expect(() => randomTokens({ seed: 1.5 })).toThrow(/randomTokens\.seed/);
    expect(() => positiveOnly({ by: 'sign' as any })).toThrow(
      /positiveOnly\.by: expected one of "advantage", "correct"/,
    );
    expect(() => entropyQuantile({ rho: 0 })).toThrow(/entropyQuantile\.rho: expected a number in \(0, 1\]/);
    expect(() => entropyQuantile({ q: 0.2 } as any)).toThrow(/entropyQuantile\.q/);
  });
  it('registers by name and pins the export list', () => {
    const reg = createRegistry();
    reg.registerAll('reweighter', reweighterPlugins);
    expect(reg.names('reweighter')).toEqual(['entropyQuantile', 'nthr', 'positiveOnly', 'randomTokens']);
    expect(reg.create('reweighter', { name: 'nthr', beta: 0.5 }).options).toEqual({ beta: 0.5 });
    expect(Object.keys(api).sort()).toEqual(
      [
        'ETA_RULES',
        'NTHR_NEEDS',
        'entropyQuantile',
        'nthr',
        'nthrScores',
        'positiveOnly',
        'randomTokens',
        'reweighterPlugins',
        'scoreSummary',
      ].sort(),
    );
  });
});

describe('bad input', () => {
  const x = randomInputs(5, [3, 3], 4, 3, 9);
  const run = async (batch: Batch, p: TokenReweighter = nthr(), adv?: tf.Tensor2D) => {
    const a = adv ?? (tf.zeros(batch.mask.shape) as tf.Tensor2D);
    try {
      const r = await p.weights(batch, a);
      tf.dispose([r.weights, r.scores ?? []]);
    } finally {
      if (!adv) a.dispose();
    }
  };
  it('names the field', async () => {
    await useBackend('cpu');
    const before = tf.memory().numTensors;
    const batch = batchOf(x);
    const B = x.group_ids.length;
    const wrongHidden = tf.zeros([B, 5, 3]);
    await expect(run({ ...batch, hidden: wrongHidden as tf.Tensor3D })).rejects.toThrow(
      /^hidden: expected float32 \[6, 4, d\], got float32 \[6, 5, 3\]/,
    );
    await expect(run({ ...batch, hidden: undefined })).rejects.toThrow(/hidden: expected .* got nothing/);
    const lse = tf.zeros([B, 3]) as tf.Tensor2D;
    await expect(run({ ...batch, logits: { ...batch.logits!, lse } })).rejects.toThrow(
      /logits\.lse: expected float32 \[6, 4\]/,
    );
    const badAt: LogitsSource = {
      ...batch.logits!,
      at: (rows, ids) => tf.zeros([rows.shape[0], 4, ids.shape[0] + 1]) as tf.Tensor3D,
    };
    await expect(run({ ...batch, logits: badAt })).rejects.toThrow(
      /logits\.at\(rows, ids\): expected float32 \[\d+, 4, \d+\]/,
    );
    const ids = tf.tensor2d(
      x.token_ids.map((r, i) => r.map((v, t) => (i === 2 && t === 0 ? 9 : v))),
      undefined,
      'int32',
    );
    await expect(run({ ...batch, tokenIds: ids as tf.Tensor2D })).rejects.toThrow(
      /tokenIds: expected ids in \[0, 9\) .* got 9 at row 2, t 0/,
    );
    const r = tf.tensor1d(x.rewards.map((v, i) => (i === 3 ? 0.75 : v)));
    await expect(run({ ...batch, rewards: r as tf.Tensor1D })).rejects.toThrow(
      /rewards: expected binary rewards in \{0, 1\}.*`correct/,
    );
    await expect(
      run({ ...batch, rewards: r as tf.Tensor1D }, nthr({ correct: (v) => v > 0.7 })),
    ).resolves.toBeUndefined();
    await expect(
      run({ ...batch, rewards: r as tf.Tensor1D }, randomTokens({ fraction: 0.5 })),
    ).rejects.toThrow(/rewards: .*randomTokens/);
    const adv = tf.zeros([B, 3]) as tf.Tensor2D;
    await expect(run(batch, nthr(), adv)).rejects.toThrow(
      /advantages: expected float32 \[6, 4\], got \[6, 3\]/,
    );
    await expect(run({ ...batch, entropy: undefined }, entropyQuantile())).rejects.toThrow(
      /entropy: expected/,
    );
    tf.dispose([wrongHidden, lse, ids, r, adv]);
    disposeTestBatch(batch);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('tolerates a source of a different family (denseLogits, no hidden-derived logits)', async () => {
    await useBackend('cpu');
    const dense = tf.randomNormal([2, 3, 5]) as tf.Tensor3D;
    const src = denseLogits(dense);
    expect(src.vocabSize).toBe(5);
    src.dispose();
    dense.dispose();
  });
});
