/**
 * Backend equivalence, webgpu (Dawn via the `webgpu` npm package) vs cpu and wasm: the composed
 * objective and its gradient, advantages, NTHR on golden 'main', a tiny transformer's score() logp /
 * hidden / entropy / lse, the gradient of a clipped loss with respect to its weights, and greedy
 * generate() tokens. CI runs it on Mesa's software Vulkan (lavapipe); on a machine with no Vulkan
 * driver the whole file is skipped with the reason printed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../testing/index.js';
import { transformer } from '@grpo-lab/model';
import { TINY, compareFigures, compareGolden, runSuite, type Figures } from './cases.js';

/** Why webgpu cannot run here, or null when it initialised (it stays the active backend until switched). */
async function webgpuUnavailable(): Promise<string | null> {
  if (process.env.GRPO_LAB_SKIP_WEBGPU) return 'GRPO_LAB_SKIP_WEBGPU is set';
  try {
    await useBackend('webgpu');
    const probe = tf.add(tf.tensor1d([1, 2]), 1);
    const v = Array.from(await probe.data());
    probe.dispose();
    return v.join() === '2,3' ? null : `a probe add returned ${v.join()}`;
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? String(e);
  }
}

const reason = await webgpuUnavailable();
if (reason !== null)
  console.warn(
    `webgpu.test.ts skipped: webgpu could not initialise (${reason}). Install a Vulkan driver ` +
      '(Debian: mesa-vulkan-drivers from bookworm-backports = lavapipe) — see docs/backends.md.',
  );

describe.skipIf(reason !== null)('backend equivalence: webgpu (lavapipe in CI) vs cpu and wasm', () => {
  let gpu: Figures;
  let gpuTensorsLeaked = 0;
  beforeAll(async () => {
    await useBackend('webgpu');
    const before = tf.memory().numTensors;
    gpu = await runSuite();
    gpuTensorsLeaked = tf.memory().numTensors - before;
  }, 600_000); // lavapipe compiles every shader on first use (minutes on a loaded 2-core machine)

  it('webgpu matches the golden vectors and leaks no tensor', () => {
    expect(compareGolden(gpu)).toEqual([]);
    expect(gpuTensorsLeaked).toBe(0);
  });

  it('an out-of-range token id makes its row NaN (the id check stays on the backend: no synchronous read)', async () => {
    await useBackend('webgpu');
    const m = transformer(TINY);
    const tokens = tf.tensor2d([1, 2, 3, 4, 5, 6, 1, 2, 3, TINY.vocabSize, 5, 6], [2, 6], 'int32');
    const attention = tf.ones([2, 6]) as tf.Tensor2D;
    const { logp } = m.score({ tokens, attention, promptLength: 3 });
    const v = await logp.data();
    expect(Array.from(v.slice(0, 3)).every(Number.isFinite)).toBe(true);
    expect(Array.from(v.slice(3)).every(Number.isNaN)).toBe(true);
    tf.dispose([tokens, attention, logp]);
    m.dispose();
  });

  it('webgpu = cpu: losses, gradients, advantages, NTHR weights, logp/hidden, weight gradients, tokens', async () => {
    await useBackend('cpu');
    expect(compareFigures(gpu, await runSuite())).toEqual([]);
  }, 300_000);

  it('webgpu = wasm', async () => {
    await useBackend('wasm');
    expect(compareFigures(gpu, await runSuite())).toEqual([]);
  }, 300_000);
});
