/**
 * Forward throughput of a Qwen2.5-0.5B-shaped decoder (hidden 896, 14 heads, 2 kv heads,
 * intermediate 4864, vocab 151936, tied embeddings; random weights generated on the fly, nothing
 * downloaded), as the sampler drives it:
 *   prefill  `incremental.prefill` (what generate() calls first): the whole prompt [batch, seq]
 *            through the decoder, the LM head for its last position only → batch·seq / t;
 *   decode   `incremental.step`, each KV-cache step timed on its own (one token per row, greedy)
 *            → batch / t_step, the fastest step and the median step.
 * Prints a memory estimate before any weight exists, then one JSON line per figure, with wall and
 * process-CPU seconds and the 1-minute load average. The machine's CPU may be taken away for
 * hundreds of ms at a time, so the fastest repeat / step is the figure of record.
 * `--layers` lowers the depth when memory or time forbids 24.
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
const inc = model.incremental;
const tokens = tf.tensor2d(prompts.flat(), [B, S], 'int32');
const attention = tf.ones([B, S]) as tf.Tensor2D;
const argmax = (logits: tf.Tensor2D) => tf.tidy(() => tf.argMax(logits, 1) as tf.Tensor1D); // greedy
/** One prefill, then NEW decode steps, each timed on its own (a host read ends each). */
async function pass(): Promise<{ prefill: ReturnType<typeof since>; steps: ReturnType<typeof since>[] }> {
  let t = clock();
  let { logits, cache } = inc.prefill(tokens, attention);
  await logits.data();
  const prefill = since(t);
  const steps: ReturnType<typeof since>[] = [];
  for (let i = 0; i < NEW; i++) {
    t = clock();
    const next = argmax(logits);
    const positions = tf.fill([B], S + i, 'int32') as tf.Tensor1D;
    const keyMask = tf.ones([B, S + i + 1]) as tf.Tensor2D;
    const out = inc.step(cache, next, positions, keyMask);
    await out.logits.data();
    steps.push(since(t));
    tf.dispose([logits, ...cache, next, positions, keyMask]);
    ({ logits, cache } = out);
  }
  tf.dispose([logits, ...cache]);
  return { prefill, steps };
}
const sortBy = (xs: ReturnType<typeof since>[]) => [...xs].sort((a, b) => a.wall_s - b.wall_s);
// rep 0 = first call (XNNPACK weight packing): reported, not a steady figure.
for (let r = 0; r <= reps; r++) {
  const { prefill: p, steps } = await pass();
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
  const sorted = sortBy(steps);
  const fastest = sorted[0]!;
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    JSON.stringify({
      ...common,
      figure: 'decode_tokens_per_s',
      rep: r,
      batch: B,
      prompt: S,
      steps: NEW,
      value_wall: B / fastest.wall_s,
      value_wall_median: B / median.wall_s,
      value_cpu: B / Math.min(...steps.map((x) => x.cpu_s)),
      step_wall_s_min: fastest.wall_s,
      step_wall_s_median: median.wall_s,
      load_avg_1m: loadavg()[0],
    }),
  );
}
tf.dispose([tokens, attention]);
model.dispose();
