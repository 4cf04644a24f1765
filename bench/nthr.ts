/**
 * NTHR benchmark (issue 3): one `nthr().weights()` call on a batch of 64 groups × 8 responses × 256
 * tokens, hidden size d = 128, vocabulary V = 32,000, random hidden states and LM-head weights, on
 * wasm. Logits come through core's `headLogits`, so only the V* columns are ever multiplied and no
 * [B, T, V] tensor exists; its full-vocabulary log-sum-exp (the old-policy forward pass computes it
 * for oldLogp anyway) is timed separately as `lm_head_lse`.
 *
 *   npx tsx bench/nthr.ts [--groups 64] [--size 8] [--T 256] [--d 128] [--V 32000] [--reps 1]
 *                         [--backend wasm] [--pos 3] [--lse-rows n] [--step-ms <ms of one training step>]
 *
 * Prints one JSON line per figure. The share of a training step needs a step time for this batch:
 * `--step-ms` if given; otherwise two estimates, both printed with how they were made:
 *  - `anchor`: the SPEC's tfjs-wasm reference of the benchmark model (vocab 32, d 128, 2 layers,
 *    ≈ 2,100–2,600 tokens/s; upper end used) scaled to this batch's tokens. Its vocabulary is 32,
 *    so the step excludes a 32,000-wide LM head: the share is overstated.
 *  - `lm_head_bound`: 4 × the measured LM-head forward (old-policy forward, policy forward, and a
 *    backward of about twice a forward), a lower bound on any V = 32,000 step at this batch.
 */
import { relaunchWithSourceCondition } from './relaunch.js';
import * as tf from '@tensorflow/tfjs';
import type { LogitsSource } from '@grpo-lab/core';

relaunchWithSourceCondition();

const arg = (name: string, dflt: number | string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : String(dflt);
};
const NG = +arg('groups', 64);
const G = +arg('size', 8);
const T = +arg('T', 256);
const d = +arg('d', 128);
const V = +arg('V', 32000);
const REPS = +arg('reps', 1);
const POS = +arg('pos', 3);
const backend = arg('backend', 'wasm');
const ANCHOR_TOKENS_PER_S = 2600; // SPEC §7, tfjs wasm with the matMul fix (upper end → smaller step, larger share)

async function main(): Promise<void> {
  const core = await import('@grpo-lab/core');
  const { nthr } = await import('@grpo-lab/reweighters');
  await core.selectBackend(backend as any);
  const rng = core.createRng(2505);
  const B = NG * G;
  const seedOp = () => rng.seed();
  const hidden = tf.randomNormal([B, T, d], 0, 1, 'float32', seedOp()) as tf.Tensor3D; // [B, T, d]
  const weight = tf.randomNormal([d, V], 0, 1 / Math.sqrt(d), 'float32', seedOp()) as tf.Tensor2D; // [d, V]
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const lens = Array.from({ length: B }, () => Math.floor(T / 2) + rng.int(T / 2 + 1));
  const mask = new Float32Array(B * T).map((_, k) => (k % T < lens[Math.floor(k / T)]! ? 1 : 0));
  const batchBase = {
    groupIds: tf.tensor1d(
      Int32Array.from({ length: B }, (_, i) => Math.floor(i / G)),
      'int32',
    ),
    rewards: tf.tensor1d(Float32Array.from({ length: B }, (_, i) => (i % G < POS ? 1 : 0))),
    mask: tf.tensor2d(mask, [B, T]),
    tokenIds: tf.tensor2d(ids, [B, T], 'int32'),
    hidden,
  };
  const valid = mask.reduce((a, v) => a + v, 0);

  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  // The LM head's full-vocabulary lse is the old-policy forward pass's cost (not NTHR's). It is
  // exact on all rows by default; `--lse-rows n` times it exactly on n rows, scales to B, and gives
  // NTHR lse ≈ log V + ½ (the value for these logits ~ N(0, 1)), which does not change its cost.
  const lseRows = Math.min(B, +arg('lse-rows', B));
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  const part = lseRows === B ? hidden : (tf.slice(hidden, [0, 0, 0], [lseRows, T, d]) as tf.Tensor3D);
  const head = core.headLogits(part, weight); // chunked: no [B, T, V] tensor
  await head.lse.data();
  const lseMs = ((performance.now() - t0) * B) / lseRows;
  const lseCpu = (cpuMs(process.cpuUsage(c0)) * B) / lseRows;
  const logits: LogitsSource =
    lseRows === B
      ? head
      : {
          vocabSize: V,
          lse: tf.fill([B, T], Math.log(V) + 0.5) as tf.Tensor2D,
          at: (rows, ids) =>
            tf.tidy(() => {
              const n = rows.shape[0];
              const h = tf.reshape(tf.gather(hidden, rows), [n * T, d]); // [n·T, d]
              return tf.reshape(tf.matMul(h, tf.gather(weight, ids, 1)), [n, T, ids.shape[0]]) as tf.Tensor3D; // [n, T, K]
            }),
          dispose: () => {},
        };
  const common = { backend: tf.getBackend(), groups: NG, group_size: G, T, d, V, valid_tokens: valid };
  console.log(
    JSON.stringify({
      figure: 'lm_head_lse',
      ...common,
      ms: +lseMs.toFixed(1),
      cpu_ms: +lseCpu.toFixed(1),
      measured_rows: lseRows,
      note: 'old-policy forward LM head (lse over V), scaled to B rows; not part of NTHR',
    }),
  );

  const batch = { ...batchBase, logits };
  const adv = tf.zeros([B, T]) as tf.Tensor2D;
  const plugin = nthr();
  const times: number[] = [];
  const cpus: number[] = [];
  let metrics: Record<string, unknown> = {};
  for (let r = 0; r < REPS; r++) {
    const before = tf.memory().numTensors;
    t0 = performance.now();
    c0 = process.cpuUsage();
    const out = await plugin.weights(batch, adv);
    await out.weights.data();
    times.push(performance.now() - t0);
    cpus.push(cpuMs(process.cpuUsage(c0)));
    metrics = out.metrics;
    tf.dispose([out.weights, out.scores]);
    if (tf.memory().numTensors !== before) throw new Error('nthr leaked tensors');
  }
  const ms = Math.min(...times);
  const meanK = Math.round(
    Array.from({ length: NG }, (_, g) => {
      const s = new Set<number>();
      for (let i = g * G; i < (g + 1) * G; i++) for (let t = 0; t < lens[i]!; t++) s.add(ids[i * T + t]!);
      return s.size;
    }).reduce((a, k) => a + k, 0) / NG,
  );
  console.log(
    JSON.stringify({
      figure: 'nthr_weights',
      ...common,
      mean_vstar: meanK,
      ms: +ms.toFixed(1),
      cpu_ms: +Math.min(...cpus).toFixed(1),
      ms_all: times.map((t) => +t.toFixed(1)),
      selected_frac: metrics.selected_frac,
      mean_tau: metrics.mean_tau,
    }),
  );

  const stepArg = process.argv.includes('--step-ms') ? +arg('step-ms', 0) : undefined;
  const tokens = B * T;
  const estimates: [string, number, string][] = stepArg
    ? [['given', stepArg, '--step-ms']]
    : [
        [
          'anchor',
          (tokens / ANCHOR_TOKENS_PER_S) * 1000,
          `SPEC §7 tfjs-wasm benchmark model (vocab 32) at ${ANCHOR_TOKENS_PER_S} tokens/s × ${tokens} tokens; excludes a V=${V} LM head, so the share is overstated`,
        ],
        [
          'lm_head_bound',
          4 * lseCpu,
          '4 × measured LM-head forward CPU time (old forward + forward + ~2× backward); a lower bound on the step',
        ],
      ];
  // CPU time (wasm runs on one thread) is the load-independent figure on a shared machine.
  const nthrMs = Math.min(...cpus);
  for (const [basis, stepMs, how] of estimates)
    console.log(
      JSON.stringify({
        figure: 'nthr_share_of_step',
        basis,
        step_ms_estimate: Math.round(stepMs),
        nthr_cpu_ms: +nthrMs.toFixed(1),
        share_pct: +((100 * nthrMs) / (stepMs + nthrMs)).toFixed(2),
        goal_pct: 2,
        paper_pct: 4.2,
        how,
      }),
    );
  logits.dispose();
  if (lseRows !== B) {
    head.dispose();
    part.dispose();
    logits.lse.dispose();
  }
  tf.dispose([adv, weight, ...Object.values(batchBase)]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
