/**
 * Training-step benchmark, the same model and step as ../shared/bench/torch_step_bench.py:
 * vocab 32, d 128, 2 layers, 4 heads, seq 64, batch 32, pre-LN, GELU-tanh MLP, learned positions,
 * clipped surrogate on the taken tokens, Adam (lr 3e-4), global-norm clip 1.0.
 * Prints one JSON line per backend (tokens/s), and with --profile the per-kernel time of one step.
 * The optimizer is the trainer's (`adam` of @grpo-lab/trainer: Adam as torch.optim.Adam, global-norm
 * clip before the update, as `clip_grad_norm_`); `--optimizer tfjs` uses tf.train.adam instead.
 * `--vocab`, `--seq` and `--batch` change the shape (the NTHR bench times a V = 32,000 step this way).
 * The machine may be shared: besides wall-clock figures each line gives `cpu_*` figures from the
 * process CPU time (robust to other processes; all threads counted), and the profile keeps, for
 * each kernel call, the minimum over 3 profiled steps (a call preempted in one step is not charged).
 * Usage: npx tsx --conditions=@grpo-lab/source bench/train_step.ts [--backends wasm,cpu] [--steps 5]
 *        [--cpu-steps 1] [--threads N (wasm)] [--profile] [--optimizer trainer|tfjs]
 *        [--vocab 32] [--seq 64] [--batch 32]
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, selectBackend, type BackendName } from '@grpo-lab/core';
import { transformer } from '@grpo-lab/model';
import { adam } from '@grpo-lab/trainer';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const V = Number(arg('vocab', '32'));
const D = 128,
  L = 2,
  H = 4;
const T = Number(arg('seq', '64'));
const B = Number(arg('batch', '32'));
const OPT = arg('optimizer', 'trainer');

async function bench(backend: BackendName, steps: number, profile: boolean): Promise<void> {
  if (backend === 'wasm' && process.argv.includes('--threads')) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(Number(arg('threads', '1')));
  }
  await selectBackend(backend);
  const threads = backend === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : 1;
  const m = transformer({ vocabSize: V, dModel: D, nLayers: L, nHeads: H, maxContext: T, seed: 1 });
  const rng = createRng(1);
  // One prompt token then the 64 scored tokens: 64 positions are fed, as in the PyTorch bench.
  const ids = Int32Array.from({ length: B * (T + 1) }, () => rng.int(V));
  const seq = {
    tokens: tf.tensor2d(ids, [B, T + 1], 'int32'),
    attention: tf.ones([B, T + 1]) as tf.Tensor2D,
    promptLength: 1,
  };
  const adv = tf.tensor2d(
    Array.from({ length: B }, () => rng.normal()),
    [B, 1],
  );
  const old = tf.fill([B, T], -Math.log(V)) as tf.Tensor2D;
  const vars = m.trainableVariables();
  const tfOpt = OPT === 'tfjs' ? tf.train.adam(3e-4) : undefined;
  const names = Object.keys(m.namedWeights());
  const ours = tfOpt
    ? undefined
    : adam(vars, names, {
        name: 'adam',
        lr: 3e-4,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        maxGradNorm: 1,
      });

  const step = async () => {
    const { value, grads } = tf.variableGrads(() => {
      const logp = m.score(seq).logp; // [B, T]
      const r = tf.exp(tf.sub(logp, old)); // [B, T]
      const surr = tf.minimum(tf.mul(r, adv), tf.mul(tf.clipByValue(r, 0.8, 1.2), adv));
      return tf.neg(tf.mean(surr)) as tf.Scalar;
    }, vars);
    if (ours)
      await ours.apply(
        vars.map((v) => grads[v.name]!),
        3e-4,
      );
    else
      tf.tidy(() => {
        const gs = Object.values(grads);
        const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g))))); // global norm
        const scale = tf.minimum(tf.div(1, tf.add(norm, 1e-6)), 1);
        tfOpt!.applyGradients(
          Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)])),
        );
      });
    tf.dispose(Object.values(grads));
    await value.data(); // sync point
    value.dispose();
  };

  const warm = Number(arg('warmup', backend === 'cpu' ? '1' : '2'));
  for (let i = 0; i < warm; i++) await step();
  // Each step is timed on its own: the figure of record is the fastest step (the CPU of the
  // 2-core CI-class machine is intermittently taken away, so means and medians mix in stalls).
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await step();
    ms.push(performance.now() - t0);
    const cu = process.cpuUsage(c0);
    cpu.push((cu.user + cu.system) / 1000);
  }
  const best = Math.min(...ms);
  const med = [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
  const cpuMs = Math.min(...cpu);
  console.log(
    JSON.stringify({
      impl: `tfjs-${backend}`,
      tfjs: tf.version.tfjs,
      optimizer: OPT,
      shape: { vocab: V, d: D, layers: L, heads: H, seq: T, batch: B },
      threads,
      steps,
      train_step_ms_min: +best.toFixed(2),
      train_step_ms_median: +med.toFixed(2),
      train_tokens_per_s: Math.round((B * T * 1000) / best),
      train_tokens_per_s_median: Math.round((B * T * 1000) / med),
      cpu_step_ms_min: +cpuMs.toFixed(2),
      cpu_tokens_per_s: Math.round((B * T * 1000) / cpuMs),
      num_tensors: tf.memory().numTensors,
    }),
  );

  if (profile) {
    const runs: Awaited<ReturnType<typeof tf.profile>>['kernels'][] = [];
    for (let i = 0; i < Number(arg('profile-runs', '3')); i++)
      runs.push((await tf.profile(() => step())).kernels);
    const by: Record<string, { ms: number; n: number }> = {};
    runs[0]!.forEach((k, i) => {
      const e = (by[k.name] ??= { ms: 0, n: 0 });
      e.ms += Math.min(...runs.map((r) => Number(r[i]?.kernelTimeMs) || 0));
      e.n++;
    });
    const total = Object.values(by).reduce((a, e) => a + e.ms, 0);
    const top = Object.entries(by)
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([k, e]) => [k, +e.ms.toFixed(1), e.n]);
    if (process.argv.includes('--profile-matmul'))
      runs[0]!.forEach((k, i) => {
        if (k.name === 'BatchMatMul' || k.name === 'Transpose')
          console.log(
            JSON.stringify({
              kernel: k.name,
              shapes: k.inputShapes,
              ms: +Math.min(...runs.map((r) => Number(r[i]?.kernelTimeMs) || 0)).toFixed(2),
            }),
          );
      });
    console.log(
      JSON.stringify({
        impl: `tfjs-${backend}`,
        profile_kernel_ms: +total.toFixed(1),
        kernels: runs[0]!.length,
        by_kernel: top,
      }),
    );
  }
  tfOpt?.dispose();
  ours?.dispose();
  tf.dispose([seq.tokens, seq.attention, adv, old]);
  m.dispose();
}

const backends = arg('backends', 'wasm,cpu').split(',') as BackendName[];
for (const b of backends)
  await bench(
    b,
    Number(arg(b === 'cpu' ? 'cpu-steps' : 'steps', b === 'cpu' ? '1' : '5')),
    process.argv.includes('--profile'),
  );
