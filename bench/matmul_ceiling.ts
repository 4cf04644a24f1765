/**
 * The backend's ceiling for the training step (issue #4): GMAC/s of the step's own matMul shapes on
 * tfjs-wasm next to PyTorch (one thread) on the same shapes, fastest of `--reps` each.
 *   dense      [2048, 128] × [128, 512]  (MLP up-projection, 2-D: XNNPACK)
 *   dense_dW   [512, 2048] × [2048, 128] (a weight gradient, 2-D: XNNPACK)
 *   attention  [128, 64, 32] × [128, 32, 64] (scores for 32 rows × 4 heads: batched)
 * If the dense products alone, at the wasm rate, take longer than PyTorch's whole step, no
 * rearrangement of the step reaches ratio 1 on this backend.
 * Usage: npx tsx bench/matmul_ceiling.ts [--reps 20]
 */
import { spawnSync } from 'node:child_process';
import { PYTHON, pythonEnv } from './python.js';
import * as tf from '@tensorflow/tfjs';
import { relaunchWithSourceCondition } from './relaunch.js';

relaunchWithSourceCondition();
const i = process.argv.indexOf('--reps');
const reps = i >= 0 ? Number(process.argv[i + 1]) : 20;
const SHAPES: Record<string, [number[], number[]]> = {
  dense: [
    [2048, 128],
    [128, 512],
  ],
  dense_dW: [
    [512, 2048],
    [2048, 128],
  ],
  attention: [
    [128, 64, 32],
    [128, 32, 64],
  ],
};
const macs = ([a, b]: [number[], number[]]) => a.reduce((x, y) => x * y, 1) * b[b.length - 1]!;

const { selectBackend } = await import('@grpo-lab/core');
await selectBackend('wasm');
const tfjs: Record<string, number> = {};
for (const [name, [sa, sb]] of Object.entries(SHAPES)) {
  const a = tf.randomNormal(sa);
  const b = tf.randomNormal(sb);
  const ms: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = performance.now();
    const c = tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D);
    c.dataSync();
    if (r >= 2) ms.push(performance.now() - t0);
    c.dispose();
  }
  tf.dispose([a, b]);
  const best = Math.min(...ms);
  tfjs[name] = best;
  console.log(
    JSON.stringify({
      bench: 'matmul_ceiling',
      impl: 'tfjs-wasm',
      shape: name,
      ms_min: +best.toFixed(3),
      gmac_per_s: +(macs([sa, sb]) / best / 1e6).toFixed(2),
    }),
  );
}
const py = `
import json, sys, time, torch
torch.set_num_threads(1)
shapes = json.loads(sys.argv[1]); reps = int(sys.argv[2])
for name, (sa, sb) in shapes.items():
    a, b = torch.randn(*sa), torch.randn(*sb)
    ms = []
    for r in range(reps + 2):
        t0 = time.perf_counter(); c = a @ b; dt = (time.perf_counter() - t0) * 1000
        if r >= 2: ms.append(dt)
    n = 1
    for x in sa: n *= x
    n *= sb[-1]
    print(json.dumps({"bench": "matmul_ceiling", "impl": "pytorch-cpu", "shape": name, "ms_min": round(min(ms), 3), "gmac_per_s": round(n / min(ms) / 1e6, 2)}))
`;
const r = spawnSync(PYTHON, ['-c', py, JSON.stringify(SHAPES), String(reps)], {
  encoding: 'utf8',
  env: pythonEnv(),
});
if (r.status !== 0)
  console.log(
    JSON.stringify({
      bench: 'matmul_ceiling',
      impl: 'pytorch-cpu',
      skipped: true,
      why: (r.stderr || String(r.error)).trim().split('\n').at(-1),
    }),
  );
else process.stdout.write(r.stdout);
