/**
 * Backend selection: cpu and wasm load; the optional backends, when not installed, fail with a
 * message that says what to install; `auto` falls back in the documented order and says why.
 * (This machine has neither tfjs-node nor webgpu installed; where one is, its case is skipped.)
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, GrpoLabError, selectBackend, type Logger } from '@grpo-lab/core';

const installed = (name: string) => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
};
const haveNode = installed('@tensorflow/tfjs-node');
const haveNodeGpu = installed('@tensorflow/tfjs-node-gpu');
const haveWebgpu = installed('webgpu') && installed('@tensorflow/tfjs-backend-webgpu');

describe('selectBackend', () => {
  it('the choices, in auto order', () => {
    expect(BACKENDS).toEqual(['auto', 'node-gpu', 'node', 'webgpu', 'wasm', 'cpu']);
  });

  it('cpu and wasm load and become the active tfjs backend', async () => {
    const cpu = await selectBackend('cpu');
    expect(cpu).toEqual({ name: 'cpu', tfjs: 'cpu', skipped: {} });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await selectBackend('wasm');
    expect(wasm.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(Array.from(await tf.add(tf.tensor1d([1, 2]), 1).data())).toEqual([2, 3]);
  });

  const missing: [string, boolean, RegExp][] = [
    [
      'node',
      haveNode,
      /backend "node" is not available \(.*\)\. To use it: npm install @tensorflow\/tfjs-node@4\.22\.0/,
    ],
    [
      'node-gpu',
      haveNodeGpu,
      /backend "node-gpu" is not available .* npm install @tensorflow\/tfjs-node-gpu@4\.22\.0 \(needs CUDA 11\.2/,
    ],
    [
      'webgpu',
      haveWebgpu,
      /backend "webgpu" is not available .* npm install webgpu @tensorflow\/tfjs-backend-webgpu@4\.22\.0/,
    ],
  ];
  for (const [name, have, msg] of missing) {
    it.skipIf(have)(`'${name}' when not installed: a clear error naming what to install`, async () => {
      await selectBackend('cpu');
      const err = await selectBackend(name as any).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GrpoLabError);
      expect((err as Error).message).toMatch(msg);
      expect(tf.getBackend()).toBe('cpu'); // the failed choice leaves the active backend alone
    });
  }

  it('auto takes the first choice that loads, in order, and says why it skipped the earlier ones', async () => {
    const debug: string[] = [];
    const logger: Logger = { debug: (m) => debug.push(m), info() {}, warn() {}, error() {} };
    const got = await selectBackend('auto', { logger });
    const order = ['node-gpu', 'node', 'webgpu', 'wasm', 'cpu'];
    const earlier = order.slice(0, order.indexOf(got.name));
    expect(Object.keys(got.skipped)).toEqual(earlier);
    if (!haveNodeGpu) expect(got.skipped['node-gpu']).toMatch(/@tensorflow\/tfjs-node-gpu/);
    if (!haveNode) expect(got.skipped.node).toMatch(/@tensorflow\/tfjs-node/);
    if (!haveWebgpu) expect(got.skipped.webgpu).toMatch(/webgpu/);
    expect(debug).toEqual([
      ...earlier.map((c) => expect.stringMatching(new RegExp(`^backend: ${c} skipped: .+`))),
      `backend: using ${got.name}`,
    ]);
    expect(tf.getBackend()).toBe(got.tfjs);
    expect((await selectBackend()).name).toBe(got.name); // 'auto' is the default
    await selectBackend('cpu');
  });

  it('an unknown name lists the choices', async () => {
    await expect(selectBackend('tpu' as any)).rejects.toThrow(
      /backend: expected one of auto, node-gpu, node, webgpu, wasm, cpu, got "tpu"/,
    );
  });
});
