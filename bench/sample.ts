/**
 * Sampling benchmark with the KV cache: 64 prompts × 8 samples × 64 new tokens (no stop token, so
 * every row generates all 64), temperature 1, on the train-step bench's model (vocab 32, d 128,
 * 2 layers, 4 heads). The PyTorch counterpart is bench/torch_sampler_bench.py.
 * Prints one JSON line per backend: generated tokens/s, wall-clock and from process CPU time, of the
 * fastest of `--reps` runs (the machine's CPU may be taken away for hundreds of ms at a time, so
 * the best run is the figure of record; the median run is shown beside it).
 * Usage: npx tsx --conditions=@grpo-lab/source bench/sample.ts [--backends wasm,cpu] [--prompts 64]
 *        [--samples 8] [--new 64] [--reps 3] [--threads N (wasm)]
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, selectBackend, type BackendName } from '@grpo-lab/core';
import { transformer } from '@grpo-lab/model';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const nPrompts = Number(arg('prompts', '64'));
const G = Number(arg('samples', '8'));
const NEW = Number(arg('new', '64'));
const PROMPT_LEN = 8;
const REPS = Number(arg('reps', '3'));

async function bench(backend: BackendName): Promise<void> {
  if (backend === 'wasm' && process.argv.includes('--threads'))
    (await import('@tensorflow/tfjs-backend-wasm')).setThreadsCount(Number(arg('threads', '1')));
  await selectBackend(backend);
  const m = transformer({
    vocabSize: 32,
    dModel: 128,
    nLayers: 2,
    nHeads: 4,
    maxContext: PROMPT_LEN + NEW,
    seed: 1,
  });
  const rng = createRng(2);
  const prompts = Array.from({ length: nPrompts }, () =>
    Array.from({ length: PROMPT_LEN }, () => rng.int(32)),
  );
  const req = { prompts, numSamples: G, maxNewTokens: NEW, temperature: 1, seed: 3 };
  await m.generate({ ...req, prompts: prompts.slice(0, 2), maxNewTokens: 4 }); // warm-up
  const before = tf.memory().numTensors;
  const walls: number[] = [];
  const cpus: number[] = [];
  let tokens = 0;
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await m.generate(req);
    walls.push((performance.now() - t0) / 1000);
    const cu = process.cpuUsage(c0);
    cpus.push((cu.user + cu.system) / 1e6);
    tokens = out.reduce((a, g) => a + g.tokens.length, 0);
  }
  const s = Math.min(...walls);
  const med = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)]!;
  console.log(
    JSON.stringify({
      impl: `tfjs-${backend}`,
      rows: nPrompts * G,
      new_tokens: NEW,
      reps: REPS,
      sample_s: +s.toFixed(3),
      sample_tokens_per_s: Math.round(tokens / s),
      sample_tokens_per_s_median: Math.round(tokens / med),
      cpu_sample_tokens_per_s: Math.round(tokens / Math.min(...cpus)),
      tensors_leaked: tf.memory().numTensors - before,
    }),
  );
  m.dispose();
}

for (const b of arg('backends', 'wasm,cpu').split(',') as BackendName[]) await bench(b);
