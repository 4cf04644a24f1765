/** Seeded RNG: determinism, state save/restore, distribution sanity, argument checks. */
import { describe, expect, it } from 'vitest';
import { createRng, hashSeed } from '@grpo-lab/core';

const draw = (seed: number | string, n = 8) => {
  const r = createRng(seed);
  return Array.from({ length: n }, () => r.nextU32());
};

describe('rng', () => {
  it('is deterministic per seed; seeds differ; string seeds hash', () => {
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw('run-a')).toEqual(draw('run-a'));
    expect(draw('run-a')).toEqual(draw(hashSeed('run-a')));
    expect(draw('run-a')).not.toEqual(draw('run-b'));
    expect(hashSeed('')).toBe(0x811c9dc5);
    expect(draw(0).every((u) => Number.isInteger(u) && u >= 0 && u < 2 ** 32)).toBe(true);
  });

  it('state() / setState() resume exactly where a run was', () => {
    const a = createRng(7);
    for (let i = 0; i < 100; i++) a.next();
    const saved = a.state();
    expect(saved).toHaveLength(4);
    const cont = Array.from({ length: 20 }, () => [a.next(), a.int(10), a.normal()]);
    const b = createRng(999);
    b.setState(JSON.parse(JSON.stringify(saved)));
    expect(Array.from({ length: 20 }, () => [b.next(), b.int(10), b.normal()])).toEqual(cont);
    expect(() => b.setState([1, 2, 3] as any)).toThrow(/expected 4 uint32/);
    expect(() => b.setState([1, 2, 3, 0.5] as any)).toThrow(TypeError);
  });

  it('distributions look right (uniform, integers, normal)', () => {
    const r = createRng(1);
    const N = 20000;
    const u = Array.from({ length: N }, () => r.next());
    expect(u.every((x) => x >= 0 && x < 1)).toBe(true);
    const mu = u.reduce((s, x) => s + x, 0) / N;
    expect(Math.abs(mu - 0.5)).toBeLessThan(0.01);
    const counts = Array(10).fill(0);
    for (let i = 0; i < N; i++) counts[r.int(10)]++;
    const chi2 = counts.reduce((s, c) => s + (c - N / 10) ** 2 / (N / 10), 0);
    expect(chi2).toBeLessThan(30); // 9 dof: p ≈ 4e-4
    const z = Array.from({ length: N }, () => r.normal());
    const zm = z.reduce((s, x) => s + x, 0) / N;
    const zv = z.reduce((s, x) => s + (x - zm) ** 2, 0) / (N - 1);
    expect(Math.abs(zm)).toBeLessThan(0.03);
    expect(Math.abs(zv - 1)).toBeLessThan(0.05);
    expect(z.every(Number.isFinite)).toBe(true);
    const s = Array.from({ length: 100 }, () => r.seed());
    expect(s.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 31)).toBe(true);
  });

  it('shuffle is a permutation; sample draws k distinct; bad arguments throw', () => {
    const r = createRng(3);
    const a = Array.from({ length: 50 }, (_, i) => i);
    const sh = r.shuffle(a.slice());
    expect(sh.slice().sort((x, y) => x - y)).toEqual(a);
    expect(sh).not.toEqual(a);
    const k = r.sample(20, 7);
    expect(new Set(k).size).toBe(7);
    expect(k.every((i) => i >= 0 && i < 20)).toBe(true);
    expect(r.sample(5, 5).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(() => r.sample(3, 4)).toThrow(/cannot draw 4 distinct of 3/);
    expect(() => r.int(0)).toThrow(/positive integer/);
    expect(() => r.int(2.5)).toThrow(RangeError);
  });
});
