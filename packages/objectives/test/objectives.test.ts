/** Hand-computed cases, loop references, gradient accumulation, composition, options, memory. */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  createRng,
  disposeMetrics,
  readMetrics,
  type AggregateContext,
  type Aggregator,
} from '@grpo-lab/core';
import { asymmetric, clipHigher, dualClip, gspo, ppoClip, reinforce } from '@grpo-lab/clipping';
import { TEST_BACKENDS, expectCloseTo, read, useBackend } from '../../../testing/index.js';
import * as objectives from '../src/index.js';
import {
  AGGREGATION_MODES,
  aggregator,
  composeObjective,
  entropyBonus,
  k3,
  klPlugins,
  seqMeanTokenSumNorm,
} from '../src/index.js';
import { randomLoss, t2 } from './helpers.js';

/** Float64 loop reference of every mode (SPEC §4). */
function aggRef(mode: string, loss: number[][], mask: number[][], L: number): number {
  let sum = 0;
  let N = 0;
  let rows = 0;
  let rowMeans = 0;
  loss.forEach((row, b) => {
    let s = 0;
    let n = 0;
    row.forEach((l, t) => {
      if (mask[b]![t]) {
        s += l;
        n += 1;
      }
    });
    sum += s;
    N += n;
    if (n > 0) {
      rows += 1;
      rowMeans += s / n;
    }
  });
  const r = Math.max(rows, 1);
  return {
    'token-mean': sum / Math.max(N, 1),
    'token-sum': sum,
    'seq-mean-token-mean': rowMeans / r,
    'seq-mean-token-sum': sum / r,
    'seq-mean-token-sum-norm': sum / r / L,
  }[mode]!;
}

describe('hand-computed', () => {
  it('five modes on l = [[1,2,3],[4,·,·],[·,·,·]]', async () => {
    await useBackend('cpu');
    const loss = t2([
      [1, 2, 3],
      [4, 7, 7],
      [9, 9, 9],
    ]);
    const mask = t2([
      [1, 1, 1],
      [1, 0, 0],
      [0, 0, 0],
    ]);
    const want = {
      'token-mean': 2.5,
      'token-sum': 10,
      'seq-mean-token-mean': 3,
      'seq-mean-token-sum': 5,
      'seq-mean-token-sum-norm': 10 / 6,
    };
    for (const [mode, v] of Object.entries(want))
      expectCloseTo(await read(aggregator(mode as any).reduce(loss, mask)), v, 1e-6, mode);
    expectCloseTo(await read(seqMeanTokenSumNorm({ legacy: true }).reduce(loss, mask)), 10 / 3, 1e-6);
    expectCloseTo(
      await read(seqMeanTokenSumNorm({ normLength: 5 }).reduce(loss, mask, { normLength: 9 })),
      1,
      1e-6,
    );
    expectCloseTo(await read(seqMeanTokenSumNorm().reduce(loss, mask, { normLength: 10 })), 0.5, 1e-6);
    // an all-empty batch aggregates to 0, not NaN
    for (const mode of AGGREGATION_MODES)
      expect(await read(aggregator(mode).reduce(loss, tf.zerosLike(mask)))).toEqual([0]);
  });

  it('kl: d = logp − ref = [1, −2]: k1 [1, −2], abs [1, 2], k2 [0.5, 2], k3 [e⁻¹, e² − 3]', async () => {
    await useBackend('cpu');
    const lp = t2([[1, -2]]);
    const ref = t2([[0, 0]]);
    const want: Record<string, number[]> = {
      k1: [1, -2],
      abs: [1, 2],
      k2: [0.5, 2],
      k3: [Math.exp(-1), Math.exp(2) - 3],
    };
    for (const [k, v] of Object.entries(want))
      expectCloseTo(await read(klPlugins[k as 'k1']().perToken(lp, ref)), v, 1e-6, k);
    // k3+: k3's value with k2's gradient d
    const g = tf.grad((x) => tf.sum(klPlugins['k3+']().perToken(x as tf.Tensor2D, ref)))(lp);
    expectCloseTo(await read(g), [1, -2], 1e-6);
    expect(klPlugins['k3+']().name).toBe('k3+');
  });
});

describe.each(TEST_BACKENDS)('aggregation on %s', (backend) => {
  it.each(AGGREGATION_MODES)(
    '%s matches its loop reference; padding garbage changes nothing',
    async (mode) => {
      await useBackend(backend);
      const r = randomLoss(9, 7, 21);
      const dirty = randomLoss(9, 7, 21, 1e4);
      const mask = t2(r.mask);
      const agg = aggregator(mode);
      expectCloseTo(await read(agg.reduce(t2(r.loss), mask)), aggRef(mode, r.loss, r.mask, 7), 1e-5);
      const f = (l: tf.Tensor) => agg.reduce(l as tf.Tensor2D, mask);
      const clean = tf.valueAndGrad(f)(t2(r.loss));
      const junk = tf.valueAndGrad(f)(t2(dirty.loss));
      expectCloseTo(await read(junk.value), await read(clean.value), 1e-6, 'value');
      expectCloseTo(await read(junk.grad), await read(clean.grad), 1e-6, 'grad');
    },
  );

  it('gradient accumulation: micro-batches with globalTokens / globalRows add up to the full batch', async () => {
    await useBackend(backend);
    const r = randomLoss(8, 6, 4);
    const loss = t2(r.loss);
    const mask = t2(r.mask);
    const N = r.mask.flat().reduce<number>((a, b) => a + b, 0);
    const rows = r.lens.filter((n) => n > 0).length;
    for (const mode of AGGREGATION_MODES) {
      const agg = aggregator(mode);
      const full = (await read(agg.reduce(loss, mask)))[0]!;
      let parts = 0;
      for (const [s, e] of [
        [0, 3],
        [3, 8],
      ] as const) {
        const sl = (x: tf.Tensor2D) => tf.slice(x, [s, 0], [e - s, 6]) as tf.Tensor2D;
        parts += (await read(agg.reduce(sl(loss), sl(mask), { globalTokens: N, globalRows: rows })))[0]!;
      }
      expectCloseTo(parts, full, 1e-5, mode);
    }
  });
});

describe.each(TEST_BACKENDS)('composeObjective on %s', (backend) => {
  const batch = () => {
    const r = randomLoss(6, 5, 8);
    const mask = t2(r.mask);
    const logp = t2(r.loss.map((row) => row.map((x) => -1 + x / 4)));
    const oldLogp = t2(r.loss.map((row) => row.map((x) => -1.05 + x / 5)));
    const refLogp = t2(r.loss.map((row) => row.map((x) => -0.9 + x / 3)));
    const entropy = t2(r.loss.map((row) => row.map((x) => 1 + x / 2)));
    const advantages = t2(r.mask.map((row, b) => row.map((m) => m * (b % 2 ? 1 : -0.5))));
    return { logp, oldLogp, refLogp, entropy, advantages, mask };
  };

  it('loss = agg(pg) + β·agg(kl) − c·agg(H), with the metrics of every part', async () => {
    await useBackend(backend);
    const x = batch();
    const obj = composeObjective({
      policyLoss: clipHigher(),
      aggregate: 'seq-mean-token-mean',
      kl: { estimator: 'k3', coef: 0.1 },
      entropy: { coef: 0.01 },
    });
    const { loss, metrics } = obj.loss(x);
    const agg = aggregator('seq-mean-token-mean');
    const pg = clipHigher().perToken(x);
    const pgv = (await read(agg.reduce(pg.loss, x.mask)))[0]!;
    const klv = (await read(agg.reduce(k3().perToken(x.logp, x.refLogp), x.mask)))[0]!;
    const hv = (await read(agg.reduce(x.entropy, x.mask)))[0]!;
    expectCloseTo(await read(loss), pgv + 0.1 * klv - 0.01 * hv, 1e-5);
    const m = await readMetrics(metrics);
    expect(Object.keys(m).sort()).toEqual(
      [
        'approx_kl',
        'clip_frac_lower',
        'clip_frac_upper',
        'dual_clip_frac',
        'entropy',
        'kl',
        'pg_clipfrac',
        'pg_loss',
      ].sort(),
    );
    expectCloseTo([m.pg_loss!, m.kl!, m.entropy!], [pgv, klv, hv], 1e-5);
    disposeMetrics(pg.metrics);
  });

  it('defaults to the policy loss preferred aggregation (GSPO: seq-mean-token-mean)', () => {
    expect(composeObjective({ policyLoss: gspo() }).aggregator.name).toBe('seq-mean-token-mean');
    expect(composeObjective({ policyLoss: clipHigher() }).aggregator.name).toBe('token-mean');
  });

  it('bad input names the field', async () => {
    await useBackend(backend);
    const x = batch();
    const withKl = composeObjective({ policyLoss: clipHigher(), kl: { estimator: 'k1', coef: 0.1 } });
    expect(() => withKl.loss({ ...x, refLogp: undefined })).toThrow(/refLogp/);
    const obj = composeObjective({ policyLoss: clipHigher(), entropy: { coef: 0.1 } });
    expect(() => obj.loss({ ...x, entropy: undefined })).toThrow(/entropy/);
    expect(() => obj.loss({ ...x, advantages: tf.zeros([6, 4]) as tf.Tensor2D })).toThrow(
      /advantages: expected float32 \[6, 5\]/,
    );
    expect(() => obj.loss({ ...x, logp: tf.zeros([6]) as any })).toThrow(/logp/);
    expect(() => aggregator('token-mean').reduce(tf.zeros([2, 3]) as tf.Tensor2D, x.mask)).toThrow(/loss/);
  });
});

/**
 * A random batch for the two paths of composeObjective: unequal lengths, empty rows, a row with a hole
 * in its mask, per-token advantages (some exactly 0), log-ratios across every clip region and past
 * the ±20 clamp, reference log-probs past k3's clamps. `garbage` puts that value (NaN, 1e30, ...) at
 * every masked position of every input the fused kernel reads; the entropy (always on the tensor
 * path, whose contract is finite values at padding) gets 1e30 there instead of a non-finite value.
 */
function objectiveBatch(seed: number, garbage?: number) {
  const B = 10;
  const T = 8;
  const rng = createRng(seed);
  const u = (a: number, b: number) => a + (b - a) * rng.next();
  const lens = Array.from({ length: B }, (_, b) => (b % 4 === 3 ? 0 : 1 + Math.floor(u(0, T))));
  const mask = lens.map((n, b) =>
    Array.from({ length: T }, (_, t) => (t < n && !(b === 2 && t === 1) ? 1 : 0)),
  );
  const old = mask.map((r) => r.map(() => u(-3, -0.2)));
  const logp = old.map((r, b) => r.map((o, t) => o + u(-0.7, 0.7) + (t === 0 ? [0, 25, -25][b % 3]! : 0)));
  const ref = logp.map((r, b) => r.map((l, t) => l + u(-1.5, 1.5) + (t === 0 && b % 5 === 1 ? 30 : 0)));
  const adv = mask.map((r) => r.map((m) => (rng.next() < 0.15 ? 0 : m * u(-2, 2))));
  const entropy = mask.map((r) => r.map(() => u(0, 3)));
  const dirty = (x: number[][], g = garbage) =>
    g === undefined ? x : x.map((r, b) => r.map((v, t) => (mask[b]![t] ? v : g)));
  return {
    logp: t2(dirty(logp)),
    oldLogp: t2(dirty(old)),
    refLogp: t2(dirty(ref)),
    advantages: t2(dirty(adv)),
    entropy: t2(dirty(entropy, garbage === undefined || Number.isFinite(garbage) ? garbage : 1e30)),
    mask: t2(mask),
  };
}

type Batch = ReturnType<typeof objectiveBatch>;

/** Loss, d loss / d logp and metrics (numbers) of one objective on one batch. */
async function evaluate(obj: objectives.Objective, x: Batch, ctx?: AggregateContext) {
  let metrics: Record<string, number | tf.Scalar> = {};
  const { value, grad } = tf.valueAndGrad((lp: tf.Tensor) => {
    const out = obj.loss({ ...x, logp: lp as tf.Tensor2D }, ctx);
    metrics = out.metrics;
    Object.values(metrics).forEach((m) => typeof m !== 'number' && tf.keep(m));
    return out.loss;
  })(x.logp);
  const out = { value: await read(value), grad: await read(grad), metrics: await readMetrics(metrics) };
  tf.dispose([value, grad]);
  return out;
}

const POLICIES = () => [
  ppoClip(),
  clipHigher(),
  asymmetric(),
  dualClip(),
  ppoClip({ dualClip: 2 }),
  reinforce(),
];
const AGGREGATES: [string, () => Aggregator, AggregateContext][] = [
  ...AGGREGATION_MODES.map(
    (m) => [m, () => aggregator(m), {}] as [string, () => Aggregator, AggregateContext],
  ),
  ['seq-mean-token-sum-norm@5', () => seqMeanTokenSumNorm({ normLength: 5 }), {}],
  ['seq-mean-token-sum-norm legacy', () => seqMeanTokenSumNorm({ legacy: true }), {}],
  ...AGGREGATION_MODES.map(
    (m) =>
      [`${m} + ctx`, () => aggregator(m), { globalTokens: 37, globalRows: 7, normLength: 12 }] as [
        string,
        () => Aggregator,
        AggregateContext,
      ],
  ),
];
const KLS = [undefined, 'k1', 'abs', 'k2', 'k3', 'k1+', 'k3+'] as const;

describe.each(TEST_BACKENDS)('fused host path on %s', (backend) => {
  it('= the tensor path in loss, gradient and every metric: each ppo variant and reinforce × every aggregation (± ctx) × each KL estimator', async () => {
    await useBackend(backend);
    const x = objectiveBatch(7);
    let combos = 0;
    for (const policyLoss of POLICIES())
      for (const [aggName, agg, ctx] of AGGREGATES)
        for (const [k, estimator] of KLS.entries()) {
          const config = {
            policyLoss,
            aggregate: agg(),
            ...(estimator ? { kl: { estimator, coef: k === 3 ? 0 : 0.3 } } : {}), // k2 with β = 0: metric only
            ...(k % 2 ? { entropy: { coef: 0.05 } } : {}),
          };
          const host = composeObjective({ ...config, path: 'host' });
          const tensor = composeObjective({ ...config, path: 'tensor' });
          expect(composeObjective(config).usesHostPath()).toBe(true);
          const tag = `${policyLoss.name} ${aggName} ${estimator ?? 'no kl'}`;
          const a = await evaluate(host, x, ctx);
          const b = await evaluate(tensor, x, ctx);
          expectCloseTo(a.value, b.value, 1e-5, `${tag}: loss`);
          expectCloseTo(a.grad, b.grad, 1e-5, `${tag}: gradient`);
          expect(Object.keys(a.metrics).sort(), tag).toEqual(Object.keys(b.metrics).sort());
          for (const [name, v] of Object.entries(b.metrics))
            expectCloseTo(a.metrics[name]!, v, 1e-5, `${tag}: ${name}`);
          combos += 1;
        }
    expect(combos).toBe(6 * 12 * 7);
  });

  it('garbage (NaN, ±Inf, 1e30) at every masked position changes nothing; its gradient is exactly 0', async () => {
    await useBackend(backend);
    const obj = composeObjective({
      policyLoss: dualClip(),
      aggregate: 'seq-mean-token-mean',
      kl: { estimator: 'k3+', coef: 0.2 },
      entropy: { coef: 0.01 },
    });
    expect(obj.usesHostPath()).toBe(true);
    const clean = await evaluate(obj, objectiveBatch(3));
    const mask = await read(objectiveBatch(3).mask);
    for (const garbage of [Number.NaN, Infinity, -Infinity, 1e30, -3e4]) {
      const dirty = await evaluate(obj, objectiveBatch(3, garbage));
      expect(dirty.value, `loss under ${garbage}`).toEqual(clean.value);
      expect(dirty.grad, `gradient under ${garbage}`).toEqual(clean.grad);
      expect(dirty.metrics, `metrics under ${garbage}`).toEqual(clean.metrics);
      mask.forEach((m, k) => m || expect(dirty.grad[k]).toBe(0));
    }
  });

  it('path selection: auto takes the host kernel on cpu and wasm only, never on webgpu; tensor and host force it', () => {
    const auto = composeObjective({ policyLoss: clipHigher(), kl: { estimator: 'k3', coef: 0.1 } });
    expect(auto.path).toBe('auto');
    expect(auto.usesHostPath(backend)).toBe(true);
    for (const b of ['webgpu', 'webgl', 'tensorflow']) expect(auto.usesHostPath(b)).toBe(false);
    const tensor = composeObjective({ policyLoss: clipHigher(), path: 'tensor' });
    for (const b of ['cpu', 'wasm', 'webgpu']) expect(tensor.usesHostPath(b)).toBe(false);
    expect(composeObjective({ policyLoss: clipHigher(), path: 'host' }).usesHostPath('tensorflow')).toBe(
      true,
    );
    // a part without a host form keeps auto on tensors, and makes 'host' an error naming it
    expect(composeObjective({ policyLoss: gspo() }).usesHostPath('wasm')).toBe(false);
    expect(() => composeObjective({ policyLoss: gspo(), path: 'host' })).toThrow(/objective\.path.*gspo/);
    const custom: Aggregator = { ...aggregator('token-mean'), host: undefined };
    expect(composeObjective({ policyLoss: clipHigher(), aggregate: custom }).usesHostPath('wasm')).toBe(
      false,
    );
    expect(() => composeObjective({ policyLoss: clipHigher(), path: 'fast' as any })).toThrow(
      /objective\.path/,
    );
  });

  it('forward without a gradient tape: the same values, no custom-gradient node', async () => {
    await useBackend(backend);
    const x = objectiveBatch(5);
    const obj = composeObjective({ policyLoss: clipHigher(), kl: { estimator: 'k3', coef: 0.1 } });
    const taped = await evaluate(obj, x);
    const { loss, metrics } = obj.loss(x);
    expectCloseTo(await read(loss), taped.value, 1e-7);
    expect(await readMetrics(metrics)).toEqual(taped.metrics);
    loss.dispose();
  });
});

describe('options and exports', () => {
  it('rejects unknown keys and bad values, naming the option', () => {
    expect(() => aggregator('token-avg' as any)).toThrow(/aggregator\.mode/);
    expect(() => aggregator('token-mean', { normLength: 8 })).toThrow(/token-mean\.normLength/);
    expect(() => seqMeanTokenSumNorm({ normLength: 0 })).toThrow(/normLength/);
    expect(() => seqMeanTokenSumNorm({ legacy: 'yes' as any })).toThrow(/legacy/);
    expect(() => k3({ clamp: 5 } as any)).toThrow(/k3\.clamp/);
    expect(() => entropyBonus({ coef: -1 })).toThrow(/entropy\.coef/);
    expect(() =>
      composeObjective({ policyLoss: clipHigher(), kl: { estimator: 'k4' as any, coef: 0.1 } }),
    ).toThrow(/kl\.estimator/);
    expect(() => composeObjective({ policyLoss: clipHigher(), kl: { estimator: 'k3', coef: -1 } })).toThrow(
      /kl\.coef/,
    );
    expect(() => composeObjective({ policyLoss: clipHigher(), klCoef: 1 } as any)).toThrow(
      /objective\.klCoef/,
    );
    expect(() => composeObjective({ policyLoss: k3() as any })).toThrow(/policyLoss/);
    expect(() =>
      aggregator('token-mean').reduce(tf.ones([1, 2]) as tf.Tensor2D, tf.ones([1, 2]) as tf.Tensor2D, {
        globalTokens: 0,
      }),
    ).toThrow(/ctx\.globalTokens/);
  });

  it('pins the export list and the plugin records', () => {
    expect(Object.keys(objectives).sort()).toEqual(
      [
        'AGGREGATION_MODES',
        'KL_ESTIMATORS',
        'OBJECTIVE_PATHS',
        'absKl',
        'aggregator',
        'aggregatorPlugins',
        'composeObjective',
        'entropyBonus',
        'k1',
        'k2',
        'k3',
        'klPlugins',
        'seqMeanTokenMean',
        'seqMeanTokenSum',
        'seqMeanTokenSumNorm',
        'tokenMean',
        'tokenSum',
      ].sort(),
    );
    for (const [name, f] of Object.entries(objectives.aggregatorPlugins)) expect(f().name).toBe(name);
    for (const name of ['k1', 'abs', 'k2', 'k3', 'k1+', 'k3+'])
      expect(klPlugins[name as 'k1']().name).toBe(name);
  });
});

// 1,000 calls on wasm (the default backend) on the default path, which there is the fused host kernel;
// 100 on the others and on the tensor path keep the suite short on a busy machine.
describe.each(TEST_BACKENDS.flatMap((b) => (['auto', 'tensor'] as const).map((p) => [b, p] as const)))(
  'memory on %s, path %s',
  (backend, path) => {
    const calls = backend === 'wasm' && path === 'auto' ? 1000 : 100;
    it(
      `tensor count identical before and after ${calls} forward + backward calls of the composed objective`,
      { timeout: 600_000 },
      async () => {
        await useBackend(backend);
        const r = randomLoss(4, 6, 2);
        const mask = t2(r.mask);
        const x = {
          mask,
          oldLogp: t2(r.loss),
          refLogp: t2(r.loss.map((row) => row.map((v) => v + 0.1))),
          entropy: t2(r.loss),
          advantages: tf.mul(mask, 0.5) as tf.Tensor2D,
        };
        const logp = t2(r.loss.map((row) => row.map((v) => v * 0.9)));
        const obj = composeObjective({
          policyLoss: clipHigher(),
          aggregate: 'seq-mean-token-sum-norm',
          kl: { estimator: 'k3+', coef: 0.05 },
          entropy: { coef: 0.01 },
          path,
        });
        expect(obj.usesHostPath()).toBe(path === 'auto');
        const before = tf.memory().numTensors;
        for (let i = 0; i < calls; i++) {
          let metrics: objectives.Objective extends { loss(...a: any[]): { metrics: infer M } } ? M : never =
            {};
          const { value, grad } = tf.valueAndGrad((lp: tf.Tensor) => {
            const out = obj.loss({ ...x, logp: lp as tf.Tensor2D });
            metrics = out.metrics;
            Object.values(metrics).forEach((m) => typeof m !== 'number' && tf.keep(m));
            return out.loss;
          })(logp);
          if (i % 50 === 0) await readMetrics(metrics);
          else disposeMetrics(metrics);
          tf.dispose([value, grad]);
          // and a forward without a tape (no custom-gradient node): nothing left either
          const fwd = obj.loss({ ...x, logp });
          tf.dispose(fwd.loss);
          disposeMetrics(fwd.metrics);
        }
        expect(tf.memory().numTensors).toBe(before);
      },
    );
  },
);
