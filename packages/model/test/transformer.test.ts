import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { TEST_BACKENDS, useBackend, expectCloseTo } from '../../../testing/index.js';
import { transformer, type TransformerConfig } from '@grpo-lab/model';
import { sequences, disposeSeq, logSoftmaxRow } from './helpers.js';

const tiny = (over: Partial<TransformerConfig> = {}): TransformerConfig => ({
  vocabSize: 11,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  maxContext: 16,
  seed: 3,
  ...over,
});

/** Larger-than-init weights so the attention pattern is far from uniform (a sharper test). */
function perturb(m: ReturnType<typeof transformer>, seed = 7): void {
  let i = 0;
  for (const v of Object.values(m.namedWeights()))
    v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.3, 'float32', seed + i++))));
}

describe.each(TEST_BACKENDS)('transformer on %s', (backend) => {
  for (const positions of ['learned', 'rotary'] as const) {
    it(`KV-cache decoding equals the full forward pass (${positions})`, async () => {
      await useBackend(backend);
      const m = transformer(tiny({ positions }));
      perturb(m);
      const before = tf.memory().numTensors;
      const prompts = [[1, 2, 3, 4], [5, 6], [7]];
      const cont = [
        [2, 9, 4],
        [3, 3, 8],
        [10, 0, 1],
      ];
      const P = 4;
      const seq = sequences(prompts, cont, P, 3); // [3, 7]
      const fullT = m.logits(seq.tokens, seq.attention);
      const full = await fullT.array(); // [3, 7, V]
      fullT.dispose();
      const inc = m.incremental;
      const pTok = tf.slice(seq.tokens, [0, 0], [3, P]);
      const pAtt = tf.slice(seq.attention, [0, 0], [3, P]);
      let { logits, cache } = inc.prefill(pTok, pAtt);
      tf.dispose([pTok, pAtt]);
      const got: number[][][] = [await logits.array()];
      for (let s = 0; s < 2; s++) {
        const tok = tf.tensor1d(
          cont.map((c) => c[s]!),
          'int32',
        );
        const pos = tf.tensor1d(
          prompts.map((p) => p.length + s),
          'int32',
        );
        const mask = tf.slice(seq.attention, [0, 0], [3, P + s + 1]) as tf.Tensor2D;
        const r = inc.step(cache, tok, pos, mask);
        [tok, pos, mask, logits, ...cache].forEach((t) => t.dispose());
        ({ logits, cache } = r);
        got.push(await logits.array());
      }
      [logits, ...cache].forEach((t) => t.dispose());
      for (let s = 0; s < 3; s++)
        for (let b = 0; b < 3; b++)
          expectCloseTo(got[s]![b]!, full[b]![P - 1 + s]!, 1e-4, `step ${s} row ${b}`);
      disposeSeq(seq);
      expect(tf.memory().numTensors).toBe(before);
      m.dispose();
    });
  }

  it('score() equals a log-softmax brute force; entropy, hidden and the LogitsSource agree', async () => {
    await useBackend(backend);
    const m = transformer(tiny());
    perturb(m);
    const seq = sequences(
      [[1, 2, 3], [4]],
      [
        [5, 6],
        [7, 8],
      ],
    ); // P = 3, T = 2
    const full = (await m.logits(seq.tokens, seq.attention).array()) as number[][][];
    const out = m.score(seq, { entropy: true, hidden: true, logits: true });
    const ids = (await seq.tokens.array()) as number[][];
    const lp = (await out.logp.array()) as number[][];
    const ent = (await out.entropy!.array()) as number[][];
    const lse = (await out.logits!.lse.array()) as number[][];
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < 2; t++) {
        const z = full[b]![3 - 1 + t]!;
        const ls = logSoftmaxRow(z);
        expectCloseTo(lp[b]![t]!, ls[ids[b]![3 + t]!]!, 1e-5, 'logp');
        expectCloseTo(ent[b]![t]!, -ls.reduce((a, v) => a + Math.exp(v) * v, 0), 1e-5, 'entropy');
        expectCloseTo(lse[b]![t]!, z[0]! - ls[0]!, 1e-5, 'lse');
      }
    expect(out.hidden!.shape).toEqual([2, 2, 16]);
    const at = await out.logits!.at(tf.tensor1d([1], 'int32'), tf.tensor1d([4, 0], 'int32')).array();
    expectCloseTo(at[0]![1]!, [full[1]![3]![4]!, full[1]![3]![0]!], 1e-5, 'at');
    out.logits!.dispose();
    tf.dispose([out.logp, out.entropy!, out.hidden!]);
    disposeSeq(seq);
    m.dispose();
  });

  it('left padding does not change the scores (positions = cumsum(attention) − 1)', async () => {
    await useBackend(backend);
    for (const positions of ['learned', 'rotary'] as const) {
      const m = transformer(tiny({ positions }));
      perturb(m);
      const a = sequences([[1, 2]], [[3, 4]]);
      const b = sequences([[1, 2]], [[3, 4]], 5);
      expectCloseTo(await m.score(a).logp.data(), Array.from(await m.score(b).logp.data()), 1e-5, positions);
      m.dispose();
    }
  });

  it('gradients match finite differences', async () => {
    await useBackend(backend);
    const m = transformer(tiny({ dModel: 8, nLayers: 1, vocabSize: 7 }));
    perturb(m, 3);
    const seq = sequences(
      [[1, 2], [3]],
      [
        [4, 5, 6],
        [2, 1],
      ],
    );
    const coef = tf.tensor2d([
      [0.3, -1, 0.7],
      [1.1, -0.4, 0],
    ]);
    const loss = () => tf.tidy(() => tf.sum(tf.mul(m.score(seq, { entropy: true }).logp, coef)) as tf.Scalar);
    const { grads, value } = tf.variableGrads(loss, m.trainableVariables());
    const named = m.namedWeights();
    for (const [name, flat] of [
      ['h.0.attn.qkv.weight', 5],
      ['wte.weight', 9],
      ['h.0.ln_1.weight', 3],
      ['wpe.weight', 2],
    ] as const) {
      const v = named[name]!;
      const g = (await grads[v.name]!.data())[flat]!;
      const base = await v.data();
      const at = async (delta: number) => {
        const x = Float32Array.from(base);
        x[flat]! += delta;
        v.assign(tf.tensor(x, v.shape));
        return (await loss().data())[0]!;
      };
      const h = 1e-2;
      const fd = ((await at(h)) - (await at(-h))) / (2 * h);
      v.assign(tf.tensor(base, v.shape));
      expect(Math.abs(g - fd), `${name}: ${g} vs ${fd}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
    }
    tf.dispose([value, coef, ...Object.values(grads)]);
    disposeSeq(seq);
    m.dispose();
  });

  it('does not leak tensors across score + gradient', async () => {
    await useBackend(backend);
    const m = transformer(tiny());
    const seq = sequences([[1, 2]], [[3, 4]]);
    const opt = tf.train.adam(1e-3);
    const step = () =>
      opt.minimize(() => tf.neg(tf.mean(m.score(seq).logp)) as tf.Scalar, false, m.trainableVariables());
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    const out = m.score(seq, { hidden: true, logits: true, entropy: true });
    out.logits!.dispose();
    tf.dispose([out.logp, out.hidden!, out.entropy!]);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    disposeSeq(seq);
    m.dispose();
  });
});

describe('transformer weights, clone and errors (cpu)', () => {
  it('names weights HF-style, clones frozen deep copies and copies weights', async () => {
    await useBackend('cpu');
    const m = transformer(tiny({ tieEmbeddings: true, positions: 'rotary' }));
    const names = Object.keys(m.namedWeights());
    expect(names.slice(0, 3)).toEqual(['wte.weight', 'h.0.ln_1.weight', 'h.0.ln_1.bias']);
    expect(names).toContain('h.1.attn.qkv.weight');
    expect(names).not.toContain('lm_head.weight');
    expect(m.namedWeights()['h.0.mlp.fc.weight']!.shape).toEqual([16, 64]);
    const seq = sequences([[1, 2]], [[3, 4]]);
    const ref = m.clone();
    expect(ref.frozen).toBe(true);
    expect(ref.trainableVariables()).toEqual([]);
    const a = Array.from(await m.score(seq).logp.data());
    perturb(m);
    expectCloseTo(await ref.score(seq).logp.data(), a, 1e-6, 'clone unchanged');
    ref.copyFrom(m);
    expectCloseTo(
      await ref.score(seq).logp.data(),
      Array.from(await m.score(seq).logp.data()),
      1e-6,
      'copyFrom',
    );
    expect(() => ref.copyFrom(transformer(tiny()))).toThrow(/copyFrom\.h\.0|copyFrom\.wpe|lm_head/);
    m.dispose();
    ref.dispose();
    expect(() => m.score(seq)).toThrow(/disposed/);
  });

  it('rejects bad configs and bad inputs with errors naming the field', async () => {
    await useBackend('cpu');
    expect(() => transformer({ ...tiny(), dModel: 15 })).toThrow(/transformer\.dModel/);
    expect(() => transformer({ ...tiny(), positions: 'alibi' as never })).toThrow(
      /transformer\.positions.*"learned", "rotary"/,
    );
    expect(() => transformer({ ...tiny(), heads: 2 } as never)).toThrow(/transformer\.heads/);
    const m = transformer(tiny());
    const bad = sequences([[1, 11]], [[3]]);
    expect(() => m.score(bad)).toThrow(/seq\.tokens.*\[0, 11\).*11/);
    const long = sequences([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], [[1, 2, 3, 4, 5, 6, 7, 8]]);
    expect(() => m.score(long)).toThrow(/context overflow/);
    expect(() => m.score({ ...long, promptLength: 0 })).toThrow(/seq\.promptLength/);
    await expect(m.generate({ prompts: [[1, 12]], numSamples: 1, maxNewTokens: 2, seed: 0 })).rejects.toThrow(
      /prompts\[0\]\[1\]/,
    );
    await expect(m.generate({ prompts: [[1, 2]], numSamples: 1, maxNewTokens: 16, seed: 0 })).rejects.toThrow(
      /context overflow/,
    );
    await expect(
      m.generate({ prompts: [[1]], numSamples: 1, maxNewTokens: 2, seed: 0, topP: 0 }),
    ).rejects.toThrow(/sampling\.topP/);
    m.dispose();
  });
});
