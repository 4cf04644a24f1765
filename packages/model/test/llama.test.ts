import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '@grpo-lab/core';
import { TEST_BACKENDS, expectCloseTo, useBackend } from '../../../testing/index.js';
import {
  estimateMemory,
  WASM_HEAP_LIMIT,
  llama,
  llamaConfig,
  loadPretrained,
  parseHfConfig,
  savePretrained,
} from '../src/llama/index.js';
import { TINY, writeTinyLlamaDir } from './fixtures/tiny-llama.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'grpo-llama-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const capture = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  const push = (m: string) => void lines.push(m);
  return { lines, debug: push, info: push, warn: push, error: push };
};

/** Left-padded prompts + responses in the verl layout. */
function sequences(): { tokens: tf.Tensor2D; attention: tf.Tensor2D; promptLength: number } {
  const rows = [
    [0, 0, 5, 9, 11, 40, 41, 42],
    [3, 7, 2, 1, 99, 13, 14, 0],
  ];
  const att = [
    [0, 0, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1, 0],
  ];
  return { tokens: tf.tensor2d(rows, [2, 8], 'int32'), attention: tf.tensor2d(att, [2, 8]), promptLength: 4 };
}

describe('loadPretrained (tiny random Qwen2 directory written by the test)', () => {
  it('reads config, sharded BF16 weights (transposed to [in, out]) and the tokenizer; logs the estimate first', async () => {
    await useBackend('cpu');
    const dir = join(root, 'bf16-sharded');
    const { weights } = await writeTinyLlamaDir(dir, { dtype: 'BF16', shards: 3 });
    const log = capture();
    const { model, tokenizer, config, memory } = await loadPretrained(dir, {
      logger: log,
      memory: { batch: 2, seq: 16 },
    });
    expect(log.lines[0]).toMatch(
      /qwen2 0\.\d+M params \(float32\): weights .*Adam state .*activations ≈ .* \(batch 2 × seq 16, training\) → total ≈/,
    );
    expect(config).toEqual(TINY);
    expect(memory.params).toBe(Object.values(weights).reduce((n, w) => n + w.values.length, 0));
    const named = model.namedWeights();
    expect(Object.keys(named).sort()).toEqual(Object.keys(weights).sort());
    expect(named['model.layers.0.self_attn.k_proj.weight']!.shape).toEqual([64, 32]); // HF [32, 64] transposed
    expect(named['model.layers.1.self_attn.q_proj.bias']!.shape).toEqual([64]);
    expect(named['lm_head.weight']!.shape).toEqual([64, 112]);
    const q = weights['model.layers.0.self_attn.q_proj.weight']!.values; // [out 64, in 64]
    const got = await named['model.layers.0.self_attn.q_proj.weight']!.data(); // [in, out]
    expect([got[1 * 64 + 2], got[5 * 64 + 0]]).toEqual([q[2 * 64 + 1], q[0 * 64 + 5]]);
    expect(tokenizer!.eosId).toBe(tokenizer!.tokenToId('<|im_end|>'));
    expect(model.trainableVariables().length).toBe(Object.keys(weights).length);
    model.dispose();
  });

  it('converts F16 files, ties embeddings, and refuses a model over the memory budget before reading weights', async () => {
    await useBackend('cpu');
    const dir = join(root, 'f16-tied');
    const { weights } = await writeTinyLlamaDir(dir, { dtype: 'F16', config: { tieEmbeddings: true } });
    const { model } = await loadPretrained(dir, { tokenizer: false });
    expect(model.namedWeights()['lm_head.weight']).toBeUndefined();
    expect(Array.from(await model.namedWeights()['model.norm.weight']!.data())).toEqual(
      Array.from(weights['model.norm.weight']!.values),
    );
    model.dispose();
    const before = tf.memory().numTensors;
    const log = capture();
    await expect(loadPretrained(dir, { logger: log, memory: { budgetBytes: 1_000_000 } })).rejects.toThrow(
      /will not fit: qwen2 .* total ≈ .* over the budget of 976\.6 KiB\. Lower memory\.batch/,
    );
    expect(log.lines).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('estimates Qwen2.5-0.5B exactly (494,032,768 parameters) and explains the wasm limit', () => {
    const qwen05 = parseHfConfig({
      model_type: 'qwen2',
      hidden_size: 896,
      intermediate_size: 4864,
      num_hidden_layers: 24,
      num_attention_heads: 14,
      num_key_value_heads: 2,
      vocab_size: 151936,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000,
      max_position_embeddings: 32768,
      tie_word_embeddings: true,
      hidden_act: 'silu',
    });
    const e = estimateMemory(qwen05, { batch: 8, seq: 512 });
    expect(e.params).toBe(494_032_768);
    expect(e.weightsBytes).toBe(4 * 494_032_768);
    expect(e.adamBytes).toBe(8 * 494_032_768);
    expect(e.totalBytes).toBeGreaterThan(4 * 2 ** 30);
    expect(
      estimateMemory(qwen05, { training: false, seq: 256, packedWeights: false }).totalBytes,
    ).toBeLessThan(3 * 2 ** 30);
    // On wasm the 24 layers' linear weights are packed once more (1.33 GiB); it still loads for inference.
    const onWasm = estimateMemory(qwen05, { training: false, seq: 256, packedWeights: true });
    expect(onWasm.packedBytes).toBe(4 * 24 * (896 * 896 + 2 * 896 * 128 + 896 * 896 + 3 * 896 * 4864));
    expect(onWasm.totalBytes).toBeLessThan(WASM_HEAP_LIMIT);
  });

  it("counts XNNPACK's packed copies of the linear weights on wasm (not the tied embedding)", () => {
    const tiny = llamaConfig({
      hiddenSize: 16,
      numHeads: 2,
      numKvHeads: 1,
      intermediateSize: 24,
      numLayers: 2,
      vocabSize: 50,
      tieEmbeddings: true,
    });
    // Brute force: the [out, in] *_proj matrices only (no norms, no embedding: it is tied).
    const hd = 16 / 2;
    const perLayer = 16 * 2 * hd + 2 * (16 * hd) + 2 * hd * 16 + 3 * 16 * 24;
    const plain = estimateMemory(tiny, { training: false, packedWeights: false });
    const packed = estimateMemory(tiny, { training: false, packedWeights: true });
    expect(plain.packedBytes).toBe(0);
    expect(packed.packedBytes).toBe(4 * 2 * perLayer);
    expect(packed.totalBytes - plain.totalBytes).toBe(packed.packedBytes);
    expect(packed.summary).toMatch(/XNNPACK packed weights/);
    // Training with a reference copy: two models, two packed copies; an untied head is packed too.
    const untied = llamaConfig({ ...tiny, tieEmbeddings: false });
    const train = estimateMemory(untied, { packedWeights: true });
    expect(train.packedBytes).toBe(2 * 4 * (2 * perLayer + 50 * 16));
    expect(() => estimateMemory(tiny, { packedWeights: 'yes' as unknown as boolean })).toThrow(
      /memory\.packedWeights: expected true or false, got "yes"/,
    );
  });

  it('rejects unsupported configs and mismatched weights with the file and the field', async () => {
    const base = {
      model_type: 'qwen2',
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      vocab_size: 10,
    };
    expect(() => parseHfConfig({ ...base, model_type: 'gpt2' })).toThrow(
      /model_type "gpt2" is not supported/,
    );
    expect(() => parseHfConfig({ ...base, rope_scaling: { type: 'yarn' } })).toThrow(
      /rope_scaling .* is not supported/,
    );
    expect(() => parseHfConfig({ ...base, num_key_value_heads: 3 })).toThrow(
      /num_key_value_heads: expected a divisor of num_attention_heads \(4\)/,
    );
    expect(() => parseHfConfig({ ...base, hidden_size: 'x' })).toThrow(
      /config\.json\.hidden_size: expected a number/,
    );
    const dir = join(root, 'mismatch');
    await writeTinyLlamaDir(dir, { tokenizer: false });
    const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 96 }));
    await expect(loadPretrained(dir)).rejects.toThrow(
      /weight "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[128, 64\], the config needs \[96, 64\]/,
    );
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 3 }));
    await expect(loadPretrained(dir)).rejects.toThrow(
      /weight "model\.layers\.2\.input_layernorm\.weight" \[64\] is missing/,
    );
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 1 }));
    await expect(loadPretrained(dir)).rejects.toThrow(
      /weights not in a qwen2 model of this config: model\.layers\.1\./,
    );
    await expect(loadPretrained(dir, { dtype: 'float16' as never })).rejects.toThrow(
      /loadPretrained\.dtype: expected one of "float32"/,
    );
  });
});

describe.each(TEST_BACKENDS)('llama policy on %s', (backend) => {
  it('score: shapes, logp/entropy agree with full logits, gradients reach every weight, no leak', async () => {
    await useBackend(backend);
    const model = llama(TINY, { seed: 3 });
    const seq = sequences();
    const before = tf.memory().numTensors;
    const out = model.score(seq, { entropy: true, hidden: true, logits: true });
    expect(out.logp.shape).toEqual([2, 4]);
    expect(out.entropy!.shape).toEqual([2, 4]);
    expect(out.hidden!.shape).toEqual([2, 4, 64]);
    expect(out.logits!.lse.shape).toEqual([2, 4]);
    // brute force from the full logits: position P−1+t predicts response token t
    const full = model.logits(seq.tokens, seq.attention);
    const [z, ids] = [await full.array(), await seq.tokens.array()];
    const lp = await out.logp.array();
    const ent = await out.entropy!.array();
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < 4; t++) {
        const row = z[b]![3 + t]!;
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
        expectCloseTo(lp[b]![t]!, row[ids[b]![4 + t]!]! - lse, 1e-4, `logp[${b}][${t}]`);
        expectCloseTo(
          ent[b]![t]!,
          -row.reduce((s, v) => s + Math.exp(v - lse) * (v - lse), 0),
          1e-4,
          `entropy[${b}][${t}]`,
        );
      }
    full.dispose();
    [out.logp, out.entropy!, out.hidden!].forEach((t) => t.dispose());
    out.logits!.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const { grads, value } = tf.variableGrads(() => tf.sum(model.score(seq).logp) as tf.Scalar);
    for (const [name, g] of Object.entries(grads)) {
      const n = await tf.norm(g).data();
      expect(Number.isFinite(n[0]) && n[0]! > 0, `grad of ${name}`).toBe(true);
    }
    tf.dispose([value, ...Object.values(grads)]);
    tf.dispose([seq.tokens, seq.attention]);
    model.dispose();
  });

  it('the no-gradient tied head (generation) follows an assignment to the embedding (an optimizer step)', async () => {
    await useBackend(backend);
    const model = llama({ ...TINY, tieEmbeddings: true }, { seed: 5 });
    const prompt = [5, 9, 11];
    const check = async () => {
      const [g] = await model.generate({
        prompts: [prompt],
        numSamples: 1,
        maxNewTokens: 1,
        temperature: 0,
        seed: 0,
      });
      const z = model.logits(tf.tensor2d([prompt], [1, 3], 'int32'), tf.ones([1, 3]) as tf.Tensor2D); // gradient path: E itself
      const row = (await z.array())[0]![2]!;
      z.dispose();
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      expectCloseTo(g!.logp[0]!, row[g!.tokens[0]!]! - lse, 1e-4, 'cached-head logp');
      return g!.logp[0]!;
    };
    const first = await check();
    const E = model.namedWeights()['model.embed_tokens.weight']!;
    E.assign(tf.tidy(() => tf.mul(tf.reverse(E, 0), 3)));
    expect(await check()).not.toBeCloseTo(first, 3);
    model.dispose();
  });

  it('KV-cache decoding gives the logits of a full forward pass (1e-4), greedy = argmax, seeded sampling reproducible', async () => {
    await useBackend(backend);
    const model = llama({ ...TINY, tieEmbeddings: true }, { seed: 5 });
    const prompts = [
      [5, 9, 11],
      [3, 7, 2, 1, 99],
    ];
    const greedy = await model.generate({ prompts, numSamples: 2, maxNewTokens: 6, temperature: 0, seed: 0 });
    expect(greedy).toHaveLength(4);
    expect(greedy[0]!.tokens).toEqual(greedy[1]!.tokens);
    for (const g of greedy) {
      const p = prompts[g.promptIndex]!;
      const full = [...p, ...g.tokens];
      const z = model.logits(
        tf.tensor2d([full], [1, full.length], 'int32'),
        tf.ones([1, full.length]) as tf.Tensor2D,
      );
      const rows = (await z.array())[0]!;
      z.dispose();
      g.tokens.forEach((tok, s) => {
        const row = rows[p.length - 1 + s]!;
        const m = Math.max(...row);
        expect(row.indexOf(m)).toBe(tok); // greedy = argmax of the full pass
        const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
        expectCloseTo(g.logp[s]!, row[tok]! - lse, 1e-4, `cached logp step ${s}`);
      });
    }
    const before = tf.memory().numTensors;
    const req = {
      prompts,
      numSamples: 3,
      maxNewTokens: 5,
      temperature: 1,
      topK: 20,
      seed: 42,
      stopTokens: [7],
    };
    const a = await model.generate(req);
    const b = await model.generate(req);
    expect(a).toEqual(b);
    expect(tf.memory().numTensors).toBe(before);
    for (const g of a) expect(g.truncated).toBe(!g.tokens.includes(7));
    model.dispose();
  });
});

describe('clone, copyFrom, save', () => {
  it('clone is frozen and equal; copyFrom copies; savePretrained → loadPretrained is bit-exact in the HF layout', async () => {
    await useBackend('cpu');
    const src = join(root, 'for-save');
    await writeTinyLlamaDir(src);
    const { model } = await loadPretrained(src);
    const ref = model.clone();
    expect(ref.frozen).toBe(true);
    expect(ref.trainableVariables()).toEqual([]);
    const other = llama(TINY, { seed: 9 });
    const bigger = llama({ ...TINY, numLayers: TINY.numLayers + 1 }, { seed: 1 });
    expect(() => other.copyFrom(bigger)).toThrow(/copyFrom\.model\.layers\.\d+\..*no weight of that name/);
    expect(() => other.copyFrom({} as typeof model)).toThrow(
      /llama\.copyFrom: the other model has no namedWeights/,
    );
    bigger.dispose();
    other.copyFrom(model);
    const seq = sequences();
    const [a, b, c] = [model, ref, other].map((m) => m.logits(seq.tokens, seq.attention));
    expect(Array.from(await b!.data())).toEqual(Array.from(await a!.data()));
    expect(Array.from(await c!.data())).toEqual(Array.from(await a!.data()));
    const out = join(root, 'saved');
    await savePretrained(model, out, { tokenizerFrom: src });
    expect((await readdir(out)).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(JSON.parse(await readFile(join(out, 'config.json'), 'utf8'))).toEqual(
      JSON.parse(await readFile(join(src, 'config.json'), 'utf8')),
    );
    const again = await loadPretrained(out);
    const d = again.model.logits(seq.tokens, seq.attention);
    expect(Array.from(await d.data())).toEqual(Array.from(await a!.data()));
    expect(again.tokenizer).toBeDefined();
    tf.dispose([a!, b!, c!, d, seq.tokens, seq.attention]);
    [model, ref, other, again.model].forEach((m) => m.dispose());
    expect(() => llamaConfig({ vocabSize: 10, hiddenSize: 64, numLayers: 1, numHeads: 5 })).toThrow(
      /head_dim/,
    );
  });
});
