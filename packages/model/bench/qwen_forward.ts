/* eslint-disable no-console */
/**
 * Forward-pass throughput of a Qwen2.5-0.5B-shaped decoder (hidden 896, 14 heads, 2 kv heads,
 * intermediate 4864, vocab 151936, tied embeddings; random weights generated on the fly, nothing
 * downloaded): full-sequence logits for batch × seq tokens, and KV-cache decoding tokens/s.
 * Prints one JSON line per figure. `--layers` lowers the depth when memory or time forbids 24.
 * Usage: npx tsx --conditions=@grpo-lab/source packages/model/bench/qwen_forward.ts
 *        [--backend wasm] [--layers 24] [--batch 1] [--seq 64] [--reps 2] [--new 8]
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '@grpo-lab/core';
import { buildLlama, countParams, estimateMemory, llamaConfig, weightShapes } from '../src/llama/index.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const backend = arg('backend', 'wasm') as BackendName;
const layers = Number(arg('layers', '24'));
const B = Number(arg('batch', '1'));
const S = Number(arg('seq', '64'));
const reps = Number(arg('reps', '2'));
const NEW = Number(arg('new', '8'));

await selectBackend(backend);
const config = llamaConfig({
  modelType: 'qwen2',
  vocabSize: 151936,
  hiddenSize: 896,
  intermediateSize: 4864,
  numLayers: layers,
  numHeads: 14,
  numKvHeads: 2,
  ropeTheta: 1e6,
  maxPositions: 32768,
  tieEmbeddings: true,
});
const common = {
  bench: 'qwen_forward',
  backend,
  layers,
  params: countParams(config),
  est_inference_bytes: estimateMemory(config, { training: false, batch: B, seq: S }).totalBytes,
};
/** Wall-clock and process-CPU seconds since `start` (CPU time is the honest figure on a shared machine). */
const clock = () => ({ wall: performance.now(), cpu: process.cpuUsage() });
const since = (s: ReturnType<typeof clock>) => {
  const c = process.cpuUsage(s.cpu);
  return { wall_s: (performance.now() - s.wall) / 1000, cpu_s: (c.user + c.system) / 1e6 };
};

// Random weights from a cheap xorshift fill (tfjs's seeded randomNormal costs minutes at 0.5B):
// uniform in ±0.035 (std 0.02, HF init scale), unit norms, zero biases; linear weights [in, out].
let t0 = clock();
let seed = 0x9e3779b9;
const named: Record<string, tf.Variable> = {};
for (const [name, shape] of Object.entries(weightShapes(config))) {
  const s = name.endsWith('_proj.weight') ? [shape[1]!, shape[0]!] : shape;
  const vals = new Float32Array(s.reduce((a, b) => a * b, 1));
  if (name.endsWith('norm.weight')) vals.fill(1);
  else if (!name.endsWith('.bias'))
    for (let i = 0; i < vals.length; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      vals[i] = ((seed >>> 0) / 4294967296 - 0.5) * 0.07;
    }
  const t = tf.tensor(vals, s);
  named[name] = tf.variable(t, false);
  t.dispose();
}
const model = buildLlama(config, named, true);
console.log(JSON.stringify({ ...common, figure: 'init', ...since(t0) }));

const tokens = tf.tensor2d(
  Array.from({ length: B * S }, (_, i) => (i * 7919) % 151936),
  [B, S],
  'int32',
);
const att = tf.ones([B, S]) as tf.Tensor2D;
// Every forward prints its own line (rep 0 = first call, including XNNPACK weight packing).
for (let r = 0; r <= reps; r++) {
  t0 = clock();
  const z = model.logits(tokens, att);
  await z.data();
  z.dispose();
  const t = since(t0);
  console.log(
    JSON.stringify({
      ...common,
      figure: 'forward_tokens_per_s',
      rep: r,
      batch: B,
      seq: S,
      value_wall: (B * S) / t.wall_s,
      value_cpu: (B * S) / t.cpu_s,
      ...t,
      load_avg_1m: loadavg()[0],
    }),
  );
}

t0 = clock();
await model.generate({
  prompts: [Array.from({ length: 16 }, (_, i) => i + 100)],
  numSamples: B,
  maxNewTokens: NEW,
  temperature: 0,
  seed: 0,
});
const g = since(t0);
const gen = { rows: B, prompt: 16, new_tokens: NEW, ...g, load_avg_1m: loadavg()[0] };
console.log(
  JSON.stringify({
    ...common,
    figure: 'kv_decode_tokens_per_s',
    value_wall: (B * NEW) / g.wall_s,
    value_cpu: (B * NEW) / g.cpu_s,
    ...gen,
  }),
);
tf.dispose([tokens, att]);
model.dispose();
