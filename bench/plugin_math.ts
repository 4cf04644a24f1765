/**
 * Plugin-math benchmark (issue 2): GRPO advantage + clipped loss (verl `vanilla`: dual clip, 0.2/0.28)
 * + token-mean aggregation + k3 KL in the loss (β = 0.001) + metrics, forward and forward+backward
 * (gradient wrt logp by autodiff), B = 256 responses × T = 1024 tokens, float32.
 * The same computation in PyTorch is bench/plugin_math_torch.py (verl-style code); when
 * /usr/bin/python3 has torch, it runs in the same session and a ratio line follows
 * (ratio = tfjs ms / torch ms; ≤ 1 means tfjs is not slower).
 *
 *   npx tsx bench/plugin_math.ts [--reps 20] [--cpu-reps 2] [--backends wasm,cpu] [--no-torch]
 *
 * Prints one JSON line per figure. Inputs are closed-form (no RNG), identical on both sides, so
 * the loss values printed by both must agree.
 */
import { spawnSync } from 'node:child_process';
import { relaunchWithSourceCondition } from './relaunch.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const here = dirname(fileURLToPath(import.meta.url));

relaunchWithSourceCondition();

const B = 256;
const T = 1024;
const G = 8;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

/** Closed-form inputs (the Python script builds the same arrays). */
function inputs() {
  const lens = Array.from({ length: B }, (_, i) => 256 + ((i * 97) % 769));
  const rewards = Float32Array.from({ length: B }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
  const groupIds = Int32Array.from({ length: B }, (_, i) => Math.floor(i / G));
  const mask = new Float32Array(B * T);
  const old = new Float32Array(B * T);
  const logp = new Float32Array(B * T);
  const ref = new Float32Array(B * T);
  for (let i = 0; i < B; i++)
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      mask[k] = t < lens[i]! ? 1 : 0;
      old[k] = -0.2 - (3 * ((i * 131 + t * 17) % 1000)) / 1000;
      logp[k] = old[k]! + 0.4 * (((i * 37 + t * 101) % 1000) / 1000 - 0.5);
      ref[k] = old[k]! + 0.6 * (((i * 53 + t * 29) % 1000) / 1000 - 0.5);
    }
  return { rewards, groupIds, mask, old, logp, ref };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Wall time (median, min) and process CPU time (median): on a busy machine the CPU time is the figure to compare. */
const stats = (ms: number[], cpu: number[]) => ({
  ms_median: +median(ms).toFixed(3),
  ms_min: +Math.min(...ms).toFixed(3),
  cpu_ms_median: +median(cpu).toFixed(3),
  reps: ms.length,
});

async function main(): Promise<void> {
  const core = await import('@grpo-lab/core');
  const { dualClip } = await import('@grpo-lab/clipping');
  const { composeObjective } = await import('@grpo-lab/objectives');
  type Adv = (b: { groupIds: tf.Tensor1D; rewards: tf.Tensor1D; mask: tf.Tensor2D }) => tf.Tensor2D;
  let advantage: Adv;
  let advantageImpl = '@grpo-lab/advantages grpo';
  try {
    const { grpo } = await import('@grpo-lab/advantages');
    const est = grpo();
    advantage = (b) => est.compute(b);
  } catch {
    advantageImpl = 'inline groupStats';
    advantage = ({ groupIds, rewards, mask }) =>
      tf.tidy(() => {
        const { mean, std } = core.groupStats(rewards, groupIds);
        return core.broadcastRows(tf.div(tf.sub(rewards, mean), tf.add(std, 1e-6)) as tf.Tensor1D, mask);
      });
  }
  const objective = composeObjective({
    policyLoss: dualClip({ c: 3, low: 0.2, high: 0.28 }),
    aggregate: 'token-mean',
    kl: { estimator: 'k3', coef: 0.001 },
  });
  const x = inputs();
  const reps = Number(arg('reps', '20'));
  const cpuReps = Number(arg('cpu-reps', '2'));
  const results: Record<string, number> = {};

  for (const backend of arg('backends', 'wasm,cpu').split(',') as ('wasm' | 'cpu')[]) {
    await core.selectBackend(backend);
    const groupIds = tf.tensor1d(x.groupIds, 'int32');
    const rewards = tf.tensor1d(x.rewards);
    const mask = tf.tensor2d(x.mask, [B, T]);
    const oldLogp = tf.tensor2d(x.old, [B, T]);
    const refLogp = tf.tensor2d(x.ref, [B, T]);
    const logp = tf.tensor2d(x.logp, [B, T]);
    const n = backend === 'cpu' ? cpuReps : reps;
    const warm = backend === 'cpu' ? 1 : 3;
    const before = tf.memory().numTensors;
    let lossValue = NaN;

    const run = async (backward: boolean) => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const advantages = advantage({ groupIds, rewards, mask });
      let metrics: Record<string, number | tf.Scalar> = {};
      const f = (lp: tf.Tensor) => {
        const out = objective.loss({ logp: lp as tf.Tensor2D, oldLogp, refLogp, advantages, mask });
        metrics = out.metrics;
        Object.values(metrics).forEach((m) => typeof m !== 'number' && tf.keep(m));
        return out.loss;
      };
      let value: tf.Scalar;
      let grad: tf.Tensor | undefined;
      if (backward) ({ value, grad } = tf.valueAndGrad(f)(logp));
      else value = f(logp);
      lossValue = (await value.data())[0]!;
      if (grad) await grad.data(); // the gradient is materialised and on the host, as torch's .grad
      await core.readMetrics(metrics);
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      tf.dispose([advantages, value, ...(grad ? [grad] : [])]);
      return { ms, cpu: (c.user + c.system) / 1000 };
    };
    for (const backward of [false, true]) {
      for (let i = 0; i < warm; i++) await run(backward);
      const ms: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = await run(backward);
        ms.push(r.ms);
        cpu.push(r.cpu);
      }
      const phase = backward ? 'forward+backward' : 'forward';
      const s = stats(ms, cpu);
      if (process.env.GRPO_LAB_BENCH_VERBOSE) console.error(phase, ms.map((v) => v.toFixed(1)).join(' '));
      results[`${backend}:${phase}`] = s.ms_median;
      results[`${backend}:${phase}:cpu`] = s.cpu_ms_median;
      console.log(
        JSON.stringify({
          bench: 'plugin_math',
          impl: 'tfjs',
          backend,
          phase,
          B,
          T,
          ...s,
          loss: +lossValue.toFixed(6),
          advantage: advantageImpl,
        }),
      );
    }
    tf.dispose([groupIds, rewards, mask, oldLogp, refLogp, logp]);
    if (tf.memory().numTensors !== before - 6)
      console.error(`warning: ${tf.memory().numTensors - before + 6} tensors leaked`);
  }

  if (process.argv.includes('--no-torch')) return;
  const py = spawnSync('/usr/bin/python3', [join(here, 'plugin_math_torch.py'), String(reps)], {
    encoding: 'utf8',
  });
  if (py.status !== 0) {
    console.log(
      JSON.stringify({
        bench: 'plugin_math',
        impl: 'torch',
        skipped: (py.stderr || py.error?.message || 'failed').trim().split('\n').pop(),
      }),
    );
    return;
  }
  process.stdout.write(py.stdout);
  for (const line of py.stdout.trim().split('\n')) {
    const r = JSON.parse(line) as { phase: string; ms_median: number; cpu_ms_median: number };
    const tfjs = results[`wasm:${r.phase}`];
    const tfjsCpu = results[`wasm:${r.phase}:cpu`];
    if (tfjs === undefined || tfjsCpu === undefined) continue;
    console.log(
      JSON.stringify({
        bench: 'plugin_math',
        figure: 'ratio',
        phase: r.phase,
        tfjs_wasm_ms: tfjs,
        torch_ms: r.ms_median,
        ratio: +(tfjs / r.ms_median).toFixed(3),
        tfjs_wasm_cpu_ms: tfjsCpu,
        torch_cpu_ms: r.cpu_ms_median,
        cpu_ratio: +(tfjsCpu / r.cpu_ms_median).toFixed(3),
      }),
    );
  }
}

await main();
