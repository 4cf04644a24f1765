/**
 * WebGPU smoke test (`npm run smoke:webgpu`): loads Dawn through core's backend loader, prints the
 * adapter it got (vendor / architecture / device / description: "llvmpipe" = Mesa lavapipe, the CPU
 * Vulkan driver; an NVIDIA name = the real GPU), then runs a tiny forward/backward pass —
 * y = sum(tanh(x·W)), dy/dW — on webgpu and on cpu and compares them (1e-5 relative).
 * Exit code 0 = webgpu works here; 1 = it does not (the reason is printed); 2 = wrong numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@grpo-lab/core';

async function forwardBackward(): Promise<{ y: number[]; g: number[] }> {
  const x = tf.tensor2d([0.1, -0.4, 0.7, 1.2, -0.3, 0.05, 0.9, -1.1, 0.25, 0.6, -0.8, 0.33], [3, 4]); // [3, 4]
  const W = tf.tensor2d(
    Array.from({ length: 20 }, (_, i) => Math.sin(i + 1) / 2),
    [4, 5],
  ); // [4, 5]
  const { value, grad } = tf.valueAndGrad((w: tf.Tensor) => tf.sum(tf.tanh(tf.matMul(x, w))))(W);
  const out = { y: Array.from(await value.data()), g: Array.from(await grad.data()) };
  tf.dispose([x, W, value, grad]);
  return out;
}

async function main(): Promise<number> {
  const t0 = performance.now();
  try {
    await selectBackend('webgpu');
  } catch (e) {
    console.error(`webgpu: not available: ${(e as Error).message}`);
    return 1;
  }
  const initMs = performance.now() - t0;
  const gpu = (globalThis as any).navigator?.gpu;
  const adapter = gpu ? await gpu.requestAdapter() : null;
  const info = adapter?.info ?? (await adapter?.requestAdapterInfo?.()) ?? {};
  console.log(
    JSON.stringify({
      backend: tf.getBackend(),
      vendor: info.vendor ?? null,
      architecture: info.architecture ?? null,
      device: info.device ?? null,
      description: info.description ?? null,
      init_ms: Math.round(initMs),
    }),
  );
  const t1 = performance.now();
  const w = await forwardBackward();
  const stepMs = performance.now() - t1;
  await selectBackend('cpu');
  const c = await forwardBackward();
  const worst = [...w.y.map((v, i) => [v, c.y[i]!]), ...w.g.map((v, i) => [v, c.g[i]!])].reduce(
    (m, [a, e]) => Math.max(m, Math.abs(a! - e!) / Math.max(1, Math.abs(e!))),
    0,
  );
  const ok = worst <= 1e-5;
  console.log(
    JSON.stringify({
      check: 'sum(tanh(x·W)) and d/dW, webgpu vs cpu',
      y: w.y[0],
      max_rel_err: worst,
      ok,
      step_ms: Math.round(stepMs),
    }),
  );
  return ok ? 0 : 2;
}

process.exit(await main());
