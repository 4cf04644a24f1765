/**
 * `auto` on a machine without the optional peers: the native and webgpu modules are made to fail
 * to import (as on a plain `npm install`), so auto must end on wasm and say why for each skip.
 */
import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@grpo-lab/core';

// (vi.mock is hoisted above every declaration, so each factory spells its own error.)
vi.mock('@tensorflow/tfjs-node-gpu', () => {
  throw new Error("Cannot find package '@tensorflow/tfjs-node-gpu'");
});
vi.mock('@tensorflow/tfjs-node', () => {
  throw new Error("Cannot find package '@tensorflow/tfjs-node'");
});
vi.mock('webgpu', () => {
  throw new Error("Cannot find package 'webgpu'");
});

describe('auto fallback without optional peers', () => {
  it('node-gpu → node → webgpu are skipped with their reasons; auto ends on wasm', async () => {
    const got = await selectBackend('auto');
    expect(got.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(Object.keys(got.skipped)).toEqual(['node-gpu', 'node', 'webgpu']);
    // (vitest wraps a throwing mock factory's error in its own message; any reason will do)
    for (const why of Object.values(got.skipped)) expect(why).toMatch(/\S/);
  });

  it('an explicit missing choice throws with the install hint', async () => {
    await expect(selectBackend('webgpu')).rejects.toThrow(
      /backend "webgpu" is not available \(.+\)\. To use it: npm install webgpu/,
    );
    await expect(selectBackend('node')).rejects.toThrow(
      /To use it: npm install @tensorflow\/tfjs-node@4\.22\.0/,
    );
  });
});
