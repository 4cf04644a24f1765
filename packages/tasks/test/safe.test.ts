/** Isolation of failing reward functions: throw, NaN, hanging async, hanging sync (worker thread). */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Logger, RewardSample } from '@grpo-lab/core';
import {
  countKinds,
  exactMatch,
  RewardTimeoutError,
  safeReward,
  scoreAll,
  workerReward,
} from '@grpo-lab/tasks';

const s = (completion: string, answer = '1'): RewardSample => ({ prompt: 'q', completion, answer });
const recorder = () => {
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => void warnings.push(m), error() {} };
  return { warnings, logger };
};
const never = () => new Promise<number>(() => {});

describe('scoreAll', () => {
  it('isolates throwing, NaN, non-number and hanging async rewards; the others score normally', async () => {
    const fn = (x: RewardSample) => {
      if (x.completion === 'throw') throw new Error('bad verifier');
      if (x.completion === 'nan') return NaN;
      if (x.completion === 'inf') return Infinity;
      if (x.completion === 'str') return '1' as unknown as number;
      if (x.completion === 'hang') return never();
      if (x.completion === 'reject') return Promise.reject(new Error('async boom'));
      if (x.completion === 'async') return Promise.resolve(0.5);
      return exactMatch(x);
    };
    const { warnings, logger } = recorder();
    const t0 = Date.now();
    const out = await scoreAll(
      ['1', 'throw', 'nan', 'hang', '2', 'inf', 'str', 'reject', 'async'].map((c) => s(c)),
      fn,
      { timeoutMs: 50, logger },
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(out.rewards).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0.5]);
    expect(out.errors.map((e) => [e.index, e.kind])).toEqual([
      [1, 'throw'],
      [2, 'nan'],
      [3, 'timeout'],
      [5, 'nan'],
      [6, 'nan'],
      [7, 'throw'],
    ]);
    expect(out.errors[0]!.message).toBe('bad verifier');
    expect(countKinds(out.errors)).toEqual({ throw: 2, nan: 3, timeout: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/failed on 6 of 9 samples/);
  });

  it('scores failures with onError and validates options', async () => {
    const out = await scoreAll([s('1')], () => NaN, { onError: -1 });
    expect(out.rewards).toEqual([-1]);
    await expect(scoreAll([], exactMatch, { timeoutMs: 0 })).rejects.toThrow(/scoreAll.timeoutMs/);
    await expect(scoreAll([], exactMatch, { timeout: 5 } as never)).rejects.toThrow(/scoreAll.timeout/);
    expect(await scoreAll([], exactMatch)).toEqual({ rewards: [], errors: [] });
  });
});

describe('safeReward', () => {
  it('stays synchronous for sync rewards and reports each failure', async () => {
    const failures: string[] = [];
    const { warnings, logger } = recorder();
    const r = safeReward((x) => (x.completion === 'x' ? JSON.parse('{') : exactMatch(x)), {
      logger,
      onFailure: (e) => failures.push(e.kind),
      onError: -0.5,
    });
    expect(r(s('1'))).toBe(1);
    expect(r(s('x'))).toBe(-0.5);
    const h = safeReward(never, { timeoutMs: 20, onFailure: (e) => failures.push(e.kind) });
    expect(await h(s('1'))).toBe(0);
    expect(failures).toEqual(['throw', 'timeout']);
    expect(warnings[0]).toMatch(/reward function failed \(throw\)/);
  });
});

describe('workerReward', () => {
  const mod = fileURLToPath(new URL('./fixtures/rewards.mjs', import.meta.url));

  it('terminates a hanging synchronous verifier and keeps scoring the rest', async () => {
    const hang = workerReward(mod, { exportName: 'hang', timeoutMs: 300 });
    const exact = workerReward(mod, { timeoutMs: 5000 });
    try {
      await expect(hang(s('1'))).rejects.toBeInstanceOf(RewardTimeoutError);
      const out = await scoreAll([s('1'), s('2'), s('1')], exact);
      expect(out).toEqual({ rewards: [1, 0, 1], errors: [] });
      const h = await scoreAll([s('1'), s('1')], hang, { timeoutMs: 10 }); // scoreAll leaves timing to the worker
      expect(h.errors.map((e) => e.kind)).toEqual(['timeout', 'timeout']);
    } finally {
      await hang.close();
      await exact.close();
    }
  });

  it('reports throws and NaN from the thread', async () => {
    const boom = workerReward(mod, { exportName: 'boom' });
    const nan = workerReward(mod, { exportName: 'nan' });
    const missing = workerReward(mod, { exportName: 'nope' });
    try {
      const out = await scoreAll([s('1')], boom);
      expect(out.errors[0]).toMatchObject({ kind: 'throw', message: 'verifier crashed' });
      expect((await scoreAll([s('1')], nan)).errors[0]!.kind).toBe('nan');
      await expect(missing(s('1'))).rejects.toThrow(/export "nope"/);
    } finally {
      await Promise.all([boom.close(), nan.close(), missing.close()]);
    }
    expect(() => workerReward(mod, { timeoutMs: -1 })).toThrow(/workerReward.timeoutMs/);
  });
});
