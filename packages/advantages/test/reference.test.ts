/**
 * Pure-math and one-backend tiers: a hand-computed case, a brute-force loop reference on random
 * unequal (interleaved) groups, garbage at padding, option validation, bad input, no tensor leak,
 * the registry, and the exact export list.
 */
import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRegistry, createRng, disposeBatch, type AdvantageEstimator, type Batch } from '@grpo-lab/core';
import * as adv from '@grpo-lab/advantages';
import { TEST_BACKENDS, expectCloseTo, read, useBackend } from '../../../testing/index.js';

const {
  advantagePlugins,
  drGrpo,
  gpg,
  grpo,
  ngrpo,
  nsr,
  opo,
  passAtK,
  psr,
  reinforcePlusPlusBaseline,
  rloo,
  wReinforce,
} = adv;

function batchOf(ids: number[], rewards: number[], lengths: number[], T: number, pad = 0): Batch {
  const mask = lengths.map((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0)));
  return {
    groupIds: tf.tensor1d(ids, 'int32'),
    rewards: tf.tensor1d(rewards, 'float32'),
    mask: tf.tensor2d(mask, [ids.length, T], 'float32'),
    ...(pad ? { logp: tf.fill([ids.length, T], pad) as tf.Tensor2D } : {}),
  };
}

async function compute(est: AdvantageEstimator, b: Batch): Promise<number[]> {
  const a = est.compute(b);
  const v = await read(a);
  a.dispose();
  return v;
}

// ---- brute-force float64 references: explicit loops over groups -----------------------------------
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs: number[], ddof: number) =>
  Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - ddof));

type Ref = (ids: number[], r: number[], len: number[]) => number[]; // per row
const members = (ids: number[], i: number) => ids.flatMap((g, j) => (g === ids[i] ? [j] : []));

const refGrpo =
  (o: {
    std?: 'unbiased' | 'biased' | 'none';
    scale?: 'group' | 'batch';
    eps?: number;
    k?: number;
    rMax?: number;
  }): Ref =>
  (ids, r) =>
    r.map((ri, i) => {
      const g = members(ids, i).map((j) => r[j]!);
      if (g.length === 1)
        return o.std === 'none'
          ? ri
          : ri /
              (o.scale === 'batch'
                ? std(r, o.std === 'biased' ? 0 : 1) + (o.eps ?? 1e-6)
                : 1 + (o.eps ?? 1e-6));
      const all = [...g, ...Array(o.k ?? 0).fill(o.rMax ?? 1)];
      if (o.std === 'none') return ri - mean(all);
      const ddof = o.std === 'biased' ? 0 : 1;
      const s = o.scale === 'batch' ? std(r, ddof) : std(all, ddof);
      return (ri - mean(all)) / (s + (o.eps ?? 1e-6));
    });
const refRloo: Ref = (ids, r) =>
  r.map((ri, i) => {
    const others = members(ids, i)
      .filter((j) => j !== i)
      .map((j) => r[j]!);
    return others.length === 0 ? ri : ri - mean(others);
  });
const refOpo: Ref = (ids, r, len) =>
  r.map((ri, i) => {
    const m = members(ids, i);
    if (m.length === 1) return ri;
    const L = m.reduce((s, j) => s + len[j]!, 0);
    return ri - (L === 0 ? 0 : m.reduce((s, j) => s + len[j]! * r[j]!, 0) / L);
  });
const refGpg: Ref = (ids, r) => {
  const alpha = r.length / Math.max(r.filter((x) => x !== 0).length, 1);
  return refGrpo({ std: 'none' })(ids, r, []).map((x) => alpha * x);
};
const refPassAtK: Ref = (ids, r) =>
  r.map((_ri, i) => {
    const m = members(ids, i);
    if (m.length === 1) return 0;
    const sorted = m.map((j) => r[j]!).sort((a, b) => b - a);
    const best = m.find((j) => r[j] === sorted[0])!; // first best row
    return i === best ? (sorted[0]! - sorted[1]!) / (std(sorted, 1) + 1e-6) : 0;
  });
const refRpp = (ids: number[], r: number[], len: number[], T: number): number[] => {
  const b = refGrpo({ std: 'none' })(ids, r, len);
  const vals = b.flatMap((x, i) => Array(len[i]).fill(x) as number[]);
  const mu = mean(vals);
  const v = vals.reduce((s, x) => s + (x - mu) ** 2, 0) / (vals.length - 1);
  return b.flatMap((x, i) =>
    Array.from({ length: T }, (_, t) => (t < len[i]! ? (x - mu) / Math.sqrt(v + 1e-8) : 0)),
  );
};
const refSigned =
  (pos: number, neg: number): Ref =>
  (_ids, r) =>
    r.map((x) => (x > 0.5 ? pos : neg));

/** Random batch: groups of 1..6 rows, rows interleaved, lengths 0..T (≥ 1 valid token overall). */
function randomCase(seed: number, binary: boolean) {
  const rng = createRng(seed);
  const ids: number[] = [];
  const nGroups = 2 + rng.int(5);
  for (let g = 0; g < nGroups; g++) for (let k = 1 + rng.int(6); k > 0; k--) ids.push(10 * g + 3);
  rng.shuffle(ids);
  const T = 5;
  const r = ids.map(() => (binary ? rng.int(2) : Math.round(rng.normal() * 1000) / 1000));
  const len = ids.map(() => rng.int(T + 1));
  len[0] = Math.max(len[0]!, 1);
  return { ids, r, len, T };
}

const perRow = (vals: number[], len: number[], T: number) =>
  vals.flatMap((x, i) => Array.from({ length: T }, (_, t) => (t < len[i]! ? x : 0)));

describe('hand-computed', () => {
  it('one group [1, 0, 0, 1] and a singleton [0.5]', async () => {
    await useBackend('cpu');
    const b = batchOf([4, 4, 4, 4, 9], [1, 0, 0, 1, 0.5], [2, 1, 1, 1, 1], 2);
    // μ = 0.5, σ (n−1) = √(1/3) = 0.57735 → ±0.5/0.57735 = ±0.866025; singleton 0.5/(1 + 1e-6)
    const g = 0.5 / (Math.sqrt(1 / 3) + 1e-6);
    expectCloseTo(await compute(grpo(), b), [g, g, -g, 0, -g, 0, g, 0, 0.5 / (1 + 1e-6), 0]);
    // biased σ = 0.5 → ±1
    expectCloseTo(await compute(grpo({ std: 'biased' }), b), [1, 1, -1, 0, -1, 0, 1, 0, 0.5, 0], 1e-5);
    // RLOO: 1 − mean(0, 0, 1) = 2/3; 0 − mean(1, 0, 1) = −2/3
    expectCloseTo(await compute(rloo(), b), [2 / 3, 2 / 3, -2 / 3, 0, -2 / 3, 0, 2 / 3, 0, 0.5, 0]);
    // NGRPO: values [1, 0, 0, 1, 1] → μ′ = 0.6, σ′ = √(0.3) → 0.4/0.5477 = 0.7303, −0.6/0.5477 = −1.0954
    const s = Math.sqrt(0.3) + 1e-6;
    expectCloseTo(await compute(ngrpo(), b), [
      0.4 / s,
      0.4 / s,
      -0.6 / s,
      0,
      -0.6 / s,
      0,
      0.4 / s,
      0,
      0.5 / (1 + 1e-6),
      0,
    ]);
    disposeBatch(b);
  });
});

for (const backend of TEST_BACKENDS) {
  describe(`brute-force loop reference on ${backend}`, () => {
    const table: [string, () => AdvantageEstimator, Ref][] = [
      ['grpo', () => grpo(), refGrpo({})],
      ['grpo biased', () => grpo({ std: 'biased', eps: 1e-3 }), refGrpo({ std: 'biased', eps: 1e-3 })],
      ['grpo batch', () => grpo({ scale: 'batch', eps: 1e-4 }), refGrpo({ scale: 'batch', eps: 1e-4 })],
      ['drGrpo', () => drGrpo(), refGrpo({ std: 'none' })],
      ['ngrpo', () => ngrpo(), refGrpo({ k: 1, rMax: 1 })],
      ['ngrpo k=3 rMax=2', () => ngrpo({ virtualCount: 3, rMax: 2 }), refGrpo({ k: 3, rMax: 2 })],
      ['rloo', () => rloo(), refRloo],
      ['opo', () => opo(), refOpo],
      ['gpg', () => gpg(), refGpg],
      ['passAtK', () => passAtK(), refPassAtK],
      ['wReinforce', () => wReinforce({ lambda: 0.3 }), refSigned(0.3, -1)],
      ['psr', () => psr(), refSigned(1, 0)],
      ['nsr', () => nsr(), refSigned(0, -1)],
    ];
    for (const [name, make, ref] of table) {
      it(name, async () => {
        await useBackend(backend);
        for (let seed = 1; seed <= 6; seed++) {
          const { ids, r, len, T } = randomCase(
            seed,
            seed % 2 === 0 || name === 'wReinforce' || name.endsWith('sr'),
          );
          const b = batchOf(ids, r, len, T);
          expectCloseTo(
            await compute(make(), b),
            perRow(ref(ids, r, len), len, T),
            1e-5,
            `${name} seed ${seed}`,
          );
          disposeBatch(b);
        }
      });
    }
    it('reinforcePlusPlusBaseline', async () => {
      await useBackend(backend);
      for (let seed = 1; seed <= 6; seed++) {
        const { ids, r, len, T } = randomCase(seed, seed % 2 === 0);
        const b = batchOf(ids, r, len, T);
        expectCloseTo(
          await compute(reinforcePlusPlusBaseline(), b),
          refRpp(ids, r, len, T),
          1e-5,
          `seed ${seed}`,
        );
        disposeBatch(b);
      }
    });
  });
}

describe('masked positions', () => {
  it('garbage in the padding of the batch and wide masks change nothing', async () => {
    await useBackend('wasm');
    const { ids, r, len, T } = randomCase(3, false);
    for (const make of Object.values(advantagePlugins)) {
      const est = (make as () => AdvantageEstimator)();
      const clean = batchOf(ids, r, len, T);
      const dirty = batchOf(ids, r, len, T, 1e30); // extra fields with extreme values
      const a = await compute(est, clean);
      const d = await compute(est, dirty);
      expect(d, est.name).toEqual(a);
      const valid = len.flatMap((n) => Array.from({ length: T }, (_, t) => t < n));
      expect(
        a.every((x, k) => valid[k] || x === 0),
        `${est.name}: exact 0 at padding`,
      ).toBe(true);
      expect(a.every(Number.isFinite), est.name).toBe(true);
      disposeBatch(clean);
      disposeBatch(dirty);
    }
  });
});

describe('options', () => {
  it('resolved defaults are visible and frozen', () => {
    expect(grpo().options).toEqual({ std: 'unbiased', scale: 'group', eps: 1e-6, virtualCount: 0, rMax: 1 });
    expect(drGrpo().options.std).toBe('none');
    expect(ngrpo().options).toMatchObject({ virtualCount: 1, rMax: 1, eps: 1e-6 });
    expect(wReinforce().options.lambda).toBe(0.1);
    expect(Object.isFrozen(grpo().options)).toBe(true);
    expect(grpo().kind).toBe('advantage');
  });
  it('bad options are rejected naming the option and the allowed values', () => {
    expect(() => grpo({ std: 'sample' as any })).toThrow(
      /grpo\.std: expected one of "unbiased", "biased", "none"/,
    );
    expect(() => grpo({ scale: 'global' as any })).toThrow(/grpo\.scale/);
    expect(() => grpo({ eps: -1 })).toThrow(/grpo\.eps/);
    expect(() => grpo({ eps: NaN })).toThrow(/grpo\.eps/);
    expect(() => grpo({ epsilon: 1e-6 } as any)).toThrow(/grpo\.epsilon: .*unknown option/);
    expect(() => grpo({ scale: 'batch', virtualCount: 1 })).toThrow(/grpo\.scale/);
    expect(() => ngrpo({ virtualCount: 0 })).toThrow(/ngrpo\.virtualCount/);
    expect(() => ngrpo({ virtualCount: 1.5 })).toThrow(/ngrpo\.virtualCount: expected an integer/);
    expect(() => ngrpo({ std: 'none' } as any)).toThrow(/ngrpo\.std/);
    expect(() => drGrpo({ std: 'unbiased' } as any)).toThrow(/drGrpo\.std/);
    expect(() => rloo({ singleton: 'one' as any })).toThrow(/rloo\.singleton/);
    expect(() => wReinforce({ lambda: -0.1 })).toThrow(/wReinforce\.lambda/);
    expect(() => wReinforce({ correct: 1 as any })).toThrow(/wReinforce\.correct/);
    expect(() => psr({ correct: (r) => r > 0, threshold: 0 })).toThrow(/psr\.correct/);
    expect(() => passAtK({ std: 'biased' as any })).toThrow(/passAtK\.std/);
    expect(() => reinforcePlusPlusBaseline({ eps: -1 })).toThrow(/reinforcePlusPlusBaseline\.eps/);
    expect(() => gpg({ alpha: 2 } as any)).toThrow(/gpg\.alpha/);
  });
  it('wReinforce: threshold and a host predicate', async () => {
    await useBackend('cpu');
    const b = batchOf([0, 0, 0], [0.2, 0.7, 3], [1, 1, 1], 1);
    expect(await compute(wReinforce({ threshold: 1 }), b)).toEqual([-1, -1, 0.1].map(Math.fround));
    expect(await compute(wReinforce({ lambda: 0.5, correct: (r) => r > 0.5 && r < 1 }), b)).toEqual([
      -1, 0.5, -1,
    ]);
    disposeBatch(b);
  });
  it('wReinforce: a host predicate reads rewardsHost (no synchronous read) and checks its length', async () => {
    await useBackend('cpu');
    const b = batchOf([0, 0, 0], [0.2, 0.7, 3], [1, 1, 1], 1);
    const sync = vi.spyOn(b.rewards, 'dataSync');
    const est = psr({ correct: (r) => r > 0.5 });
    expect(await compute(est, { ...b, rewardsHost: Float32Array.of(0.2, 0.7, 3) })).toEqual([0, 1, 1]);
    expect(sync).not.toHaveBeenCalled();
    expect(() => est.compute({ ...b, rewardsHost: [1, 2] })).toThrow(/rewardsHost: expected 3 host numbers/);
    sync.mockRestore();
    disposeBatch(b);
  });
});

describe('bad input', () => {
  it('compute checks the batch and names the field', async () => {
    await useBackend('cpu');
    const est = grpo();
    const good = batchOf([0, 0], [1, 0], [1, 1], 2);
    expect(() => est.compute({ ...good, rewards: tf.tensor1d([1, 0, 1]) })).toThrow(
      /rewards: expected float32 \[2\]/,
    );
    expect(() => est.compute({ ...good, mask: tf.ones([3, 2]) as tf.Tensor2D })).toThrow(
      /mask: expected float32 \[2, T\]/,
    );
    expect(() => est.compute({ ...good, groupIds: tf.tensor1d([0, 0]) })).toThrow(/groupIds: expected int32/);
    expect(() =>
      est.compute({
        groupIds: tf.tensor1d([], 'int32'),
        rewards: tf.tensor1d([]),
        mask: tf.zeros([0, 2]) as tf.Tensor2D,
      }),
    ).toThrow(/groupIds: expected at least one row/);
    disposeBatch(good);
  });
});

describe('memory', () => {
  it('no tensor leak over 1,000 calls', async () => {
    await useBackend('cpu');
    const { ids, r, len, T } = randomCase(5, true);
    const b = batchOf(ids, r, len, T);
    const ests = Object.values(advantagePlugins).map((f) => (f as () => AdvantageEstimator)());
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) ests[i % ests.length]!.compute(b).dispose();
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(b);
  });
});

describe('package surface', () => {
  it('exact export list', () => {
    expect(Object.keys(adv).sort()).toEqual(
      [
        'advantagePlugins',
        'drGrpo',
        'gpg',
        'groupNormalized',
        'grpo',
        'ngrpo',
        'nsr',
        'opo',
        'passAtK',
        'psr',
        'reinforcePlusPlusBaseline',
        'rloo',
        'wReinforce',
      ].sort(),
    );
  });
  it('advantagePlugins registers in a core registry and creates by config name', () => {
    const reg = createRegistry();
    reg.registerAll('advantage', advantagePlugins);
    expect(reg.names('advantage')).toEqual(Object.keys(advantagePlugins).sort());
    const p = reg.create('advantage', { name: 'ngrpo', rMax: 2 });
    expect(p.name).toBe('ngrpo');
    expect(p.options).toMatchObject({ rMax: 2, virtualCount: 1 });
    for (const [name, f] of Object.entries(advantagePlugins))
      expect((f as () => AdvantageEstimator)().name).toBe(name);
  });
});
