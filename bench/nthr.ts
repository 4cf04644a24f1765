/**
 * NTHR benchmark (issue 3): one `nthr().weights()` call on a batch of 64 groups × 8 responses × 256
 * tokens, hidden size d = 128, vocabulary V = 32,000, on wasm, and its share of one policy training
 * step (forward, backward, Adam) of the benchmark model widened to V = 32,000 at T = 256.
 *
 *   npx tsx bench/nthr.ts [--groups 64] [--size 8] [--T 256] [--d 128] [--V 32000] [--pos 3]
 *                         [--reps 3] [--profile-reps 3] [--backend wasm] [--inputs correlated|random]
 *                         [--copy 0.4] [--lse-rows 8] [--step-rows 4] [--step-ms <ms of one step>]
 *
 * Inputs. Logits come from an LM head W ~ N(0, 1/d) [d, V] through a LogitsSource like core's
 * `headLogits`: only the V* columns are ever multiplied and no [B, T, V] tensor exists.
 *  - `random`: hidden states N(0, 1), token ids uniform. NTHR then selects nothing, by construction:
 *    π is ≈ 1/V everywhere, so g_t ≈ onehot(y_t), distinct tokens have ⟨g_u, g_t⟩ ≈ 0, and the anchors
 *    s̄ carry the self-term |g_t|²·|h_t|² ≈ d while a negative token's score has no self-term (τ ≈ 128
 *    against scores within ±20; the brute-force reference agrees).
 *  - `correlated` [default]: each group has a base sequence of T uniform ids; every response token
 *    copies the base token at its position with probability `--copy`, else is a fresh uniform id.
 *    The hidden state predicts its token: h_t = α_t·W[:, y_t] + ξ (α_t ~ U(8, 14), ξ ~ N(0, 4/d)),
 *    so π(y_t) ranges from unsure to confident, tokens with the same id have similar h and g, and
 *    NTHR selects a plausible fraction (10–13 % at copy 0.4). |V*| is close to the random case's.
 * The full-vocabulary lse (which the old-policy forward pass computes for oldLogp anyway, not part of
 * NTHR) is computed exactly on the first `--lse-rows` rows (timed, scaled to B: `lm_head_lse`) and
 * estimated on the others as log(e^{z_y} + (V − 1)·e^{|h|²/2d}), the expectation of the other
 * columns' Σ e^z given h (W's columns are independent of h except y's); the largest error of the
 * estimate on the exact rows is printed (≈ 0.01).
 *
 * Timing. The machine's CPU is intermittently taken away by the host (a fixed 51 ms JS loop sometimes
 * takes 250–650 ms) and shared with other jobs, so every figure is a MINIMUM over repeats, and NTHR
 * and the step are repeated interleaved (NTHR, step, NTHR, step, …) after one warm-up call of each,
 * so both see the same machine. Three views, each as a share of the step:
 *  - `ms` / `step_ms`: the fastest whole call (wall clock), over `--reps` repeats;
 *  - `cpu_ms` / `step_cpu_ms`: the smallest process CPU time (it inflates under load too);
 *  - `kernel_ms` / `step_kernel_ms`: tf.profile over `--profile-reps` more repeats, each kernel
 *    call charged its minimum over them, summed. A whole call of many seconds is rarely spared by
 *    the interruptions; single kernel calls often are, so this is the closest to a quiet machine
 *    (it leaves out host-side JS between kernels, small for both).
 * The step (bench/train_step.ts's model and step: 2 layers, 4 heads, clipped surrogate, the trainer's
 * Adam) is measured on `--step-rows` rows × T and scaled linearly to B rows (the 32,000-wide LM head
 * and its softmax dominate it, both linear in rows); it excludes rollout and the old/reference
 * forward passes, so the share is overstated. share = NTHR / (step + NTHR). The default is 4 rows:
 * a step on 8 rows × 256 alone takes the wasm heap to ≈ 3.9 GB of its 4 GiB, so beside the NTHR
 * batch in the same process it runs out of memory.
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
const REPS = Math.max(1, +arg('reps', 3));
const PROFILE_REPS = Math.max(0, +arg('profile-reps', 3));
const POS = +arg('pos', 3);
const INPUTS = arg('inputs', 'correlated');
const COPY = +arg('copy', 0.4);
const backend = arg('backend', 'wasm');
if (INPUTS !== 'correlated' && INPUTS !== 'random') throw new Error('--inputs: correlated or random');

const min = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r1 = (x: number) => +x.toFixed(1);
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

/** Size of the wasm backend's heap (it only grows: its peak so far). */
const wasmHeapBytes = (): number =>
  (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length ?? 0;

/**
 * Per-kernel minima, summed: every kernel call's time (tf.profile) is taken as its minimum over the
 * profiled repeats, so a call preempted in one repeat is charged its undisturbed time from another.
 */
const profiled: Record<string, { name: string; ms: number }[][]> = {};
async function profile(key: string, f: () => Promise<void>): Promise<void> {
  const info = await tf.profile(async () => {
    await f();
    return [];
  });
  (profiled[key] ??= []).push(info.kernels.map((k) => ({ name: k.name, ms: Number(k.kernelTimeMs) })));
}
function kernelMinSum(key: string): number | undefined {
  const runs = profiled[key];
  if (!runs?.length || runs.some((r) => r.length !== runs[0]!.length)) return undefined;
  return runs[0]!.reduce((a, _, i) => a + Math.min(...runs.map((r) => r[i]!.ms)), 0);
}

/** Wall and process-CPU ms of one awaited call. */
async function timed(f: () => Promise<void>): Promise<[number, number]> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await f();
  return [performance.now() - t0, cpuMs(process.cpuUsage(c0))];
}

/** One policy step of the benchmark model widened to V on `rows` rows × T (bench/train_step.ts's step). */
async function makeStep(rows: number, seed: number) {
  const core = await import('@grpo-lab/core');
  const { transformer } = await import('@grpo-lab/model');
  const { adam } = await import('@grpo-lab/trainer');
  const m = transformer({ vocabSize: V, dModel: d, nLayers: 2, nHeads: 4, maxContext: T, seed: 1 });
  const rng = core.createRng(seed);
  const seq = {
    tokens: tf.tensor2d(
      Int32Array.from({ length: rows * (T + 1) }, () => rng.int(V)),
      [rows, T + 1],
      'int32',
    ), // [rows, T + 1]: one prompt token, then the T scored tokens
    attention: tf.ones([rows, T + 1]) as tf.Tensor2D,
    promptLength: 1,
  };
  const adv = tf.tensor2d(
    Array.from({ length: rows }, () => rng.normal()),
    [rows, 1],
  ); // [rows, 1]
  const old = tf.fill([rows, T], -Math.log(V)) as tf.Tensor2D; // [rows, T]
  const vars = m.trainableVariables();
  const opt = adam(vars, Object.keys(m.namedWeights()), {
    name: 'adam',
    lr: 3e-4,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    maxGradNorm: 1,
  });
  return {
    async run() {
      const { value, grads } = tf.variableGrads(() => {
        const logp = m.score(seq).logp; // [rows, T]
        const r = tf.exp(tf.sub(logp, old)); // [rows, T]
        const surr = tf.minimum(tf.mul(r, adv), tf.mul(tf.clipByValue(r, 0.8, 1.2), adv));
        return tf.neg(tf.mean(surr)) as tf.Scalar;
      }, vars);
      await opt.apply(
        vars.map((v) => grads[v.name]!),
        3e-4,
      );
      tf.dispose(Object.values(grads));
      await value.data(); // sync point
      value.dispose();
    },
    dispose() {
      opt.dispose();
      tf.dispose([seq.tokens, seq.attention, adv, old]);
      m.dispose();
    },
  };
}

async function main(): Promise<void> {
  const core = await import('@grpo-lab/core');
  const { nthr } = await import('@grpo-lab/reweighters');
  await core.selectBackend(backend as any);
  const rng = core.createRng(2505);
  const B = NG * G;
  const weight = tf.randomNormal([d, V], 0, 1 / Math.sqrt(d), 'float32', rng.seed()) as tf.Tensor2D; // [d, V]
  const ids = new Int32Array(B * T);
  if (INPUTS === 'random') for (let k = 0; k < ids.length; k++) ids[k] = rng.int(V);
  else
    for (let g = 0; g < NG; g++) {
      const base = Int32Array.from({ length: T }, () => rng.int(V));
      for (let i = g * G; i < (g + 1) * G; i++)
        for (let t = 0; t < T; t++) ids[i * T + t] = rng.next() < COPY ? base[t]! : rng.int(V);
    }
  const lens = Array.from({ length: B }, () => Math.floor(T / 2) + rng.int(T / 2 + 1));
  const mask = new Float32Array(B * T).map((_, k) => (k % T < lens[Math.floor(k / T)]! ? 1 : 0));
  const idsT = tf.tensor2d(ids, [B, T], 'int32'); // [B, T]
  const [hidden, lseEst] = tf.tidy(() => {
    const wy = tf.transpose(tf.gather(weight, tf.reshape(idsT, [B * T]), 1)); // [B·T, d] = W[:, y]ᵀ
    const h =
      INPUTS === 'random'
        ? tf.randomNormal([B * T, d], 0, 1, 'float32', rng.seed())
        : tf.add(
            tf.mul(wy, tf.randomUniform([B * T, 1], 8, 14, 'float32', rng.seed())),
            tf.randomNormal([B * T, d], 0, 2 / Math.sqrt(d), 'float32', rng.seed()),
          ); // [B·T, d]
    const zy = tf.sum(tf.mul(h, wy), 1); // [B·T] logit of the taken token
    const rest = tf.add(Math.log(V - 1), tf.div(tf.sum(tf.square(h), 1), 2 * d)); // [B·T] log E[Σ_{v≠y} e^z | h]
    const est = tf.add(tf.maximum(zy, rest), tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(zy, rest)))))); // [B·T]
    return [tf.reshape(h, [B, T, d]) as tf.Tensor3D, tf.reshape(est, [B, T]) as tf.Tensor2D];
  });

  // The LM head's full-vocabulary lse is the old-policy forward pass's cost (not NTHR's): exact on
  // the first lseRows rows (timed), the estimate on the others.
  const lseRows = Math.min(B, Math.max(1, +arg('lse-rows', 8)));
  const part = tf.slice(hidden, [0, 0, 0], [lseRows, T, d]) as tf.Tensor3D;
  let head: LogitsSource | undefined;
  const [lseWall, lseCpu] = await timed(async () => {
    head = core.headLogits(part, weight); // chunked: no [B, T, V] tensor
    await head.lse.data();
  });
  const lseErr = tf.tidy(() => tf.max(tf.abs(tf.sub(head!.lse, tf.slice(lseEst, [0, 0], [lseRows, T])))));
  const lseErrMax = (await lseErr.data())[0]!;
  const lse = (
    lseRows === B
      ? tf.clone(head!.lse)
      : tf.concat([head!.lse, tf.slice(lseEst, [lseRows, 0], [B - lseRows, T])])
  ) as tf.Tensor2D; // [B, T]
  tf.dispose([lseErr, lseEst, part]);
  head!.dispose();
  const logits: LogitsSource = {
    vocabSize: V,
    lse,
    at: (rows, cols) =>
      tf.tidy(() => {
        const n = rows.shape[0];
        const h = tf.reshape(tf.gather(hidden, rows), [n * T, d]); // [n·T, d]
        return tf.reshape(tf.matMul(h, tf.gather(weight, cols, 1)), [n, T, cols.shape[0]]) as tf.Tensor3D; // [n, T, K]
      }),
    dispose: () => lse.dispose(),
  };
  const valid = mask.reduce((a, v) => a + v, 0);
  const common = {
    backend: tf.getBackend(),
    inputs: INPUTS,
    groups: NG,
    group_size: G,
    T,
    d,
    V,
    valid_tokens: valid,
  };
  console.log(
    JSON.stringify({
      figure: 'lm_head_lse',
      ...common,
      ms: r1((lseWall * B) / lseRows),
      cpu_ms: r1((lseCpu * B) / lseRows),
      measured_rows: lseRows,
      estimate_max_abs_err: +lseErrMax.toFixed(4),
      note: 'old-policy forward LM head (exact lse over V) on measured_rows, scaled to B rows; not part of NTHR; one call, not a minimum',
    }),
  );

  const batch = {
    groupIds: tf.tensor1d(
      Int32Array.from({ length: B }, (_, i) => Math.floor(i / G)),
      'int32',
    ),
    rewards: tf.tensor1d(Float32Array.from({ length: B }, (_, i) => (i % G < POS ? 1 : 0))),
    mask: tf.tensor2d(mask, [B, T]),
    tokenIds: idsT,
    hidden,
    logits,
  };
  const adv = tf.zeros([B, T]) as tf.Tensor2D;
  const plugin = nthr();
  let metrics: Record<string, unknown> = {};
  const runNthr = async () => {
    const before = tf.memory().numTensors;
    const out = await plugin.weights(batch, adv);
    await out.weights.data();
    metrics = out.metrics;
    tf.dispose([out.weights, out.scores]);
    if (tf.memory().numTensors !== before) throw new Error('nthr leaked tensors');
  };

  const stepGiven = process.argv.includes('--step-ms') ? +arg('step-ms', 0) : undefined;
  const stepRows = Math.min(B, Math.max(1, +arg('step-rows', 4)));
  const step = stepGiven === undefined ? await makeStep(stepRows, 1) : undefined;
  const nthrT: [number, number][] = [];
  const stepT: [number, number][] = [];
  await runNthr(); // warm-up (first-call kernel setup and memory growth)
  if (step) await step.run();
  for (let r = 0; r < REPS; r++) {
    nthrT.push(await timed(runNthr));
    if (step) stepT.push(await timed(() => step.run()));
  }
  for (let r = 0; r < PROFILE_REPS; r++) {
    await profile('nthr', runNthr);
    if (step) await profile('step', () => step.run());
  }
  step?.dispose();
  const nKernel = kernelMinSum('nthr');
  const sKernel = kernelMinSum('step');

  const meanK = Math.round(
    Array.from({ length: NG }, (_, g) => {
      const s = new Set<number>();
      for (let i = g * G; i < (g + 1) * G; i++) for (let t = 0; t < lens[i]!; t++) s.add(ids[i * T + t]!);
      return s.size;
    }).reduce((a, k) => a + k, 0) / NG,
  );
  const nWall = nthrT.map((x) => x[0]);
  const nCpu = nthrT.map((x) => x[1]);
  console.log(
    JSON.stringify({
      figure: 'nthr_weights',
      ...common,
      mean_vstar: meanK,
      ms: r1(min(nWall)),
      cpu_ms: r1(min(nCpu)),
      ms_median: r1(median(nWall)),
      ms_all: nWall.map(r1),
      cpu_ms_all: nCpu.map(r1),
      ...(nKernel !== undefined ? { kernel_ms: r1(nKernel) } : {}),
      selected_frac: metrics.selected_frac,
      mean_tau: metrics.mean_tau,
      score_median: metrics.score_median,
      note: `min over ${REPS} repeats after one warm-up (ms: wall, cpu_ms: process CPU time); kernel_ms: sum over kernel calls of each call's min over ${PROFILE_REPS} profiled repeats`,
    }),
  );

  const scale = B / stepRows;
  const sWall = stepT.map((x) => x[0] * scale);
  const sCpu = stepT.map((x) => x[1] * scale);
  const stepMs = stepGiven ?? min(sWall);
  const stepCpu = stepGiven ?? min(sCpu);
  console.log(
    JSON.stringify({
      figure: 'nthr_share_of_step',
      ...common,
      step_ms: Math.round(stepMs),
      step_cpu_ms: Math.round(stepCpu),
      ...(stepGiven === undefined
        ? { step_ms_median: Math.round(median(sWall)), step_ms_all: sWall.map(Math.round) }
        : {}),
      nthr_ms: r1(min(nWall)),
      share_pct: +((100 * min(nWall)) / (stepMs + min(nWall))).toFixed(2),
      share_cpu_pct: +((100 * min(nCpu)) / (stepCpu + min(nCpu))).toFixed(2),
      ...(nKernel !== undefined && sKernel !== undefined
        ? {
            step_kernel_ms: Math.round(sKernel * scale),
            nthr_kernel_ms: r1(nKernel),
            share_kernel_pct: +((100 * nKernel) / (sKernel * scale + nKernel)).toFixed(2),
          }
        : {}),
      goal_pct: 2,
      paper_pct: 4.2,
      ...(backend === 'wasm' ? { wasm_heap_mb: Math.round(wasmHeapBytes() / 2 ** 20) } : {}),
      how:
        stepGiven === undefined
          ? `policy step (forward + backward + Adam; no rollout, no old/ref forward) of the d ${d}, 2-layer, 4-head model with V = ${V}, T = ${T}, on ${stepRows} rows × ${B}/${stepRows}; min over ${REPS} repeats interleaved with NTHR's; share = NTHR / (step + NTHR)`
          : '--step-ms',
    }),
  );
  logits.dispose();
  tf.dispose([adv, weight, batch.groupIds, batch.rewards, batch.mask, idsT, hidden]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
