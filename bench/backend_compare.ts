/**
 * Backend comparison (issue 8): one clipped-surrogate training step with Adam of the benchmark
 * transformer (vocab 32, d 128, 2 layers, 4 heads, seq 64 = prompt 16 + response 48, batch 32) on
 * each backend: score() → composeObjective(ppoClip, token-mean) → gradients → Adam update, timed to
 * the host read of the loss. One warm-up step, then `--steps` timed steps (cpu: `--cpu-steps`).
 *
 *   npx tsx bench/backend_compare.ts [--backends cpu,wasm,webgpu] [--steps 3] [--cpu-steps 1]
 *
 * Prints one JSON line per backend: median step_ms and tokens_per_s (B × seq tokens per step). For
 * webgpu it also prints the adapter: "llvmpipe" is Mesa's lavapipe, a CPU Vulkan rasteriser — its
 * figures say that the path runs, not what a GPU does. A backend that cannot load prints an error line.
 */
import { relaunchWithSourceCondition } from './relaunch.js';
import * as tf from '@tensorflow/tfjs';

relaunchWithSourceCondition();

const { selectBackend } = await import('@grpo-lab/core');
const { transformer } = await import('@grpo-lab/model');
const { ppoClip } = await import('@grpo-lab/clipping');
const { composeObjective } = await import('@grpo-lab/objectives');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const CONFIG = { vocabSize: 32, dModel: 128, nLayers: 2, nHeads: 4, maxContext: 64, seed: 0 };
const B = 32;
const P = 16;
const T = 48;
const S = P + T;

/** Closed-form batch: full-length prompts and responses of varied length, advantages ±1. */
function batch() {
  const ids = new Int32Array(B * S);
  const att = new Float32Array(B * S);
  for (let b = 0; b < B; b++) {
    const len = 16 + ((b * 7) % (T - 15)); // response length 16..48
    for (let s = 0; s < S; s++) {
      ids[b * S + s] = 3 + ((b * 13 + s * 5) % (CONFIG.vocabSize - 3));
      att[b * S + s] = s < P + len ? 1 : 0;
    }
  }
  const tokens = tf.tensor2d(ids, [B, S], 'int32');
  const attention = tf.tensor2d(att, [B, S], 'float32');
  const mask = tf.slice(attention, [0, P], [B, T]) as tf.Tensor2D; // [B, T]
  const adv = tf.tidy(() => tf.mul(mask, tf.tensor2d(Array.from({ length: B }, (_, b) => [b % 2 ? 1 : -1])))); // [B, T]
  return { seq: { tokens, attention, promptLength: P }, mask, advantages: adv as tf.Tensor2D };
}

async function adapterName(): Promise<string | null> {
  const gpu = (globalThis as any).navigator?.gpu;
  const a = gpu ? await gpu.requestAdapter() : null;
  const info = a?.info ?? (await a?.requestAdapterInfo?.()) ?? null;
  return info
    ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ')
    : null;
}

async function run(backend: 'cpu' | 'wasm' | 'webgpu', steps: number): Promise<void> {
  try {
    await selectBackend(backend);
  } catch (e) {
    console.log(
      JSON.stringify({ bench: 'backend_compare', backend, error: (e as Error).message.split('\n')[0] }),
    );
    return;
  }
  const model = transformer(CONFIG);
  const x = batch();
  const oldLogp = tf.tidy(() => tf.add(model.score(x.seq).logp, 0.01)) as tf.Tensor2D; // [B, T]
  const objective = composeObjective({ policyLoss: ppoClip() });
  const opt = tf.train.adam(1e-3);
  const step = async (): Promise<number> => {
    const t0 = performance.now();
    const loss = opt.minimize(
      () => {
        const { logp } = model.score(x.seq);
        const r = objective.loss({ logp, oldLogp, advantages: x.advantages, mask: x.mask });
        Object.values(r.metrics).forEach((m) => typeof m !== 'number' && m !== r.loss && m.dispose());
        return r.loss;
      },
      true,
      model.trainableVariables(),
    )!;
    await loss.data();
    loss.dispose();
    return performance.now() - t0;
  };
  const warm = await step();
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) ms.push(await step());
  ms.sort((a, b) => a - b);
  const med = ms[Math.floor(ms.length / 2)]!;
  console.log(
    JSON.stringify({
      bench: 'backend_compare',
      backend: tf.getBackend(),
      ...(backend === 'webgpu' ? { adapter: await adapterName() } : {}),
      model: 'V32 d128 L2 H4',
      batch: B,
      seq: S,
      steps,
      warmup_ms: Math.round(warm),
      step_ms: Math.round(med),
      tokens_per_s: Math.round((B * S * 1000) / med),
    }),
  );
  opt.dispose();
  tf.dispose([oldLogp, x.mask, x.advantages, x.seq.tokens, x.seq.attention]);
  model.dispose();
}

const steps = Number(arg('steps', '3'));
const cpuSteps = Number(arg('cpu-steps', '1'));
for (const b of arg('backends', 'cpu,wasm,webgpu').split(',') as ('cpu' | 'wasm' | 'webgpu')[])
  await run(b, b === 'cpu' ? cpuSteps : steps);
process.exit(0);
