/**
 * Forward throughput of a Qwen2.5-0.5B-shaped decoder (hidden 896, 14 heads, 2 kv heads,
 * intermediate 4864, vocab 151936, tied embeddings; random weights generated on the fly, nothing
 * downloaded), as the sampler drives it:
 *   prefill  one generate() call with maxNewTokens 1: the whole prompt [batch, seq] through the
 *            decoder, the LM head for its last position only → prefill_tokens_per_s = batch·seq / t;
 *   decode   generate() with 1 + new tokens minus the prefill-only call: KV-cache steps, one token
 *            per row each → decode_tokens_per_s = batch·new / (t_(1+new) − t_1).
 * Prints a memory estimate before any weight exists, then one JSON line per figure, with wall and
 * process-CPU seconds and the 1-minute load average (CPU time is the honest figure on a shared
 * machine). `--layers` lowers the depth when memory or time forbids 24.
 * Usage: npx tsx --conditions=@grpo-lab/source bench/qwen_forward.ts
 *        [--backend wasm] [--layers 24] [--batch 1] [--seq 64] [--reps 2] [--new 8]
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '@grpo-lab/core';
import {
  buildLlama,
  countParams,
  estimateMemory,
  fmtBytes,
  llamaConfig,
  weightShapes,
} from '@grpo-lab/model';

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
const mem = estimateMemory(config, { training: false, batch: B, seq: S + NEW });
console.log(
  JSON.stringify({
    bench: 'qwen_forward',
    figure: 'memory_estimate',
    backend,
    layers,
    summary: mem.summary,
    est_total_bytes: mem.totalBytes,
    est_total: fmtBytes(mem.totalBytes),
  }),
);
const common = {
  bench: 'qwen_forward',
  backend,
  layers,
  params: countParams(config),
  est_inference_bytes: mem.totalBytes,
};
/** Wall-clock and process-CPU seconds since `start` (CPU time is the honest figure on a shared machine). */
const clock = () => ({ wall: performance.now(), cpu: process.cpuUsage() });
const since = (s: ReturnType<typeof clock>) => {
  const c = process.cpuUsage(s.cpu);
  return { wall_s: (performance.now() - s.wall) / 1000, cpu_s: (c.user + c.system) / 1e6 };
};

// Random weights from a cheap xorshift fill (tfjs's seeded randomNormal costs minutes at 0.5B):
// uniform in ±0.035 (std 0.02, HF init scale), unit norms, zero biases; linear weights [in, out].
const t0 = clock();
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

const prompts = Array.from({ length: B }, (_, b) =>
  Array.from({ length: S }, (_, i) => (b * 104729 + i * 7919) % config.vocabSize),
);
/** Seconds of one greedy generate() call of `n` new tokens per row. */
const gen = async (n: number) => {
  const t = clock();
  await model.generate({ prompts, numSamples: 1, maxNewTokens: n, temperature: 0, seed: 0 });
  return since(t);
};
// rep 0 = first call (XNNPACK weight packing): reported, not a steady figure.
for (let r = 0; r <= reps; r++) {
  const p = await gen(1);
  console.log(
    JSON.stringify({
      ...common,
      figure: 'prefill_tokens_per_s',
      rep: r,
      batch: B,
      seq: S,
      value_wall: (B * S) / p.wall_s,
      value_cpu: (B * S) / p.cpu_s,
      ...p,
      load_avg_1m: loadavg()[0],
    }),
  );
  if (r === 0) continue;
  const d = await gen(1 + NEW);
  const wall = d.wall_s - p.wall_s;
  const cpu = d.cpu_s - p.cpu_s;
  console.log(
    JSON.stringify({
      ...common,
      figure: 'decode_tokens_per_s',
      rep: r,
      batch: B,
      prompt: S,
      new_tokens: NEW,
      value_wall: (B * NEW) / wall,
      value_cpu: (B * NEW) / cpu,
      wall_s: wall,
      cpu_s: cpu,
      load_avg_1m: loadavg()[0],
    }),
  );
}
model.dispose();
