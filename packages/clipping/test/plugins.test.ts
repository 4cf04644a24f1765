/** Hand-computed cases, loop references on random batches, padding garbage, options, no leaks. */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { disposeMetrics, readMetrics, type PolicyLoss } from '@grpo-lab/core';
import { TEST_BACKENDS, expectCloseTo, read, useBackend } from '../../../testing/index.js';
import * as clipping from '../src/index.js';
import {
  asymmetric,
  cispo,
  clipHigher,
  clippingPlugins,
  dualClip,
  gspo,
  ppoClip,
  reinforce,
  sapo,
} from '../src/index.js';
import { randomBatch, t2 } from './helpers.js';

const ln = Math.log;
const tokenMean = (l: tf.Tensor, m: tf.Tensor) =>
  tf.div(tf.sum(tf.mul(l, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;

/** Float64 per-token references, one loop per formula (SPEC §4). */
type Ref = (lp: number[][], old: number[][], A: number[][], mask: number[][]) => number[][];
const clampLr = (x: number) => Math.min(20, Math.max(-20, x));
const perTokenRef =
  (f: (r: number, A: number, lp: number) => number): Ref =>
  (lp, old, A) =>
    lp.map((row, b) => row.map((x, t) => f(Math.exp(clampLr(x - old[b]![t]!)), A[b]![t]!, x)));
const ppoRef = (low: number, high: number, c?: number) =>
  perTokenRef((r, A) => {
    let l = Math.max(-A * r, -A * Math.min(Math.max(r, 1 - low), 1 + high));
    if (c !== undefined && A < 0) l = Math.min(l, -c * A);
    return l;
  });
const gspoRef =
  (low: number, high: number): Ref =>
  (lp, old, A, mask) =>
    lp.map((row, b) => {
      const n = mask[b]!.reduce((s, m) => s + m, 0);
      let sum = 0;
      row.forEach((x, t) => (sum += mask[b]![t]! ? x - old[b]![t]! : 0));
      const s = Math.exp(Math.min(n ? sum / n : 0, 10));
      return row.map((_, t) => {
        const a = A[b]![t]!;
        return Math.max(-a * s, -a * Math.min(Math.max(s, 1 - low), 1 + high));
      });
    });
const refs: [string, PolicyLoss, Ref][] = [
  ['ppoClip', ppoClip(), ppoRef(0.2, 0.2)],
  ['clipHigher', clipHigher(), ppoRef(0.2, 0.28)],
  ['asymmetric', asymmetric(), ppoRef(0.16, 0.24)],
  ['dualClip', dualClip(), ppoRef(0.2, 0.2, 3)],
  ['gspo', gspo(), gspoRef(3e-4, 4e-4)],
  ['gspo wide', gspo({ low: 0.2, high: 0.28 }), gspoRef(0.2, 0.28)],
  ['cispo', cispo({ high: 0.1 }), perTokenRef((r, A, lp) => -Math.min(r, 1.1) * A * lp)],
  [
    'sapo',
    sapo(),
    perTokenRef((r, A) => {
      const tau = A > 0 ? 1 : 1.05;
      return (-A * 4) / tau / (1 + Math.exp(-tau * (r - 1)));
    }),
  ],
  ['reinforce', reinforce(), perTokenRef((_r, A, lp) => -A * lp)],
];

describe('hand-computed', () => {
  it('ppoClip 0.2: r = [1.5, 0.5, 1.1], A = [1, −1, 2] → l = [−1.2, 0.8, −2.2]', async () => {
    await useBackend('cpu');
    const x = {
      logp: t2([[ln(1.5), ln(0.5), ln(1.1)]]),
      oldLogp: t2([[0, 0, 0]]),
      advantages: t2([[1, -1, 2]]),
      mask: t2([[1, 1, 1]]),
    };
    const { loss, metrics } = ppoClip().perToken(x);
    expectCloseTo(await read(loss), [-1.2, 0.8, -2.2], 1e-6);
    const m = await readMetrics(metrics);
    expectCloseTo(
      [m.clip_frac_upper!, m.clip_frac_lower!, m.pg_clipfrac!, m.dual_clip_frac!],
      [1 / 3, 1 / 3, 2 / 3, 0],
      1e-6,
    );
    expectCloseTo(m.approx_kl!, -(ln(1.5) + ln(0.5) + ln(1.1)) / 3, 1e-6);
    // gradient of Σ l: −A·r where unclipped (token 3 only)
    const g = tf.grad((lp) => tf.sum(ppoClip().perToken({ ...x, logp: lp as tf.Tensor2D }).loss))(x.logp);
    expectCloseTo(await read(g), [0, 0, -2.2], 1e-6);
  });

  it('dualClip c=3: A = −1, r = 4 → l = 3 (not 4), gradient 0; cispo keeps the gradient −clip(r)·A', async () => {
    await useBackend('cpu');
    const x = {
      logp: t2([[ln(4), ln(2)]]),
      oldLogp: t2([[0, 0]]),
      advantages: t2([[-1, -1]]),
      mask: t2([[1, 1]]),
    };
    const { loss, metrics } = dualClip().perToken(x);
    expectCloseTo(await read(loss), [3, 2], 1e-6);
    expect((await readMetrics(metrics)).dual_clip_frac).toBeCloseTo(0.5, 6);
    const g = tf.grad((lp) => tf.sum(dualClip().perToken({ ...x, logp: lp as tf.Tensor2D }).loss))(x.logp);
    expectCloseTo(await read(g), [0, 2], 1e-6);
    const gc = tf.grad((lp) =>
      tf.sum(cispo({ high: 0.28 }).perToken({ ...x, logp: lp as tf.Tensor2D }).loss),
    )(x.logp);
    expectCloseTo(await read(gc), [1.28, 1.28], 1e-6);
  });
});

describe.each(TEST_BACKENDS)('loop references on %s', (backend) => {
  it.each(refs)(
    '%s matches its float64 loop on a random batch with empty rows',
    async (_name, plugin, ref) => {
      await useBackend(backend);
      const r = randomBatch(12, 7, 11);
      const { loss, metrics } = plugin.perToken({
        logp: t2(r.logp),
        oldLogp: t2(r.old),
        advantages: t2(r.adv),
        mask: t2(r.mask),
      });
      const want = ref(r.logp, r.old, r.adv, r.mask).map((row, b) =>
        row.map((v, t) => (r.mask[b]![t] ? v : null)),
      );
      expectCloseTo(await read(loss), want, 1e-5);
      disposeMetrics(metrics);
    },
  );

  it.each(refs)('%s: garbage at padding changes neither the loss nor the gradient', async (_name, plugin) => {
    await useBackend(backend);
    const clean = randomBatch(10, 6, 5);
    const dirty = randomBatch(10, 6, 5, 2e3);
    const mask = t2(clean.mask);
    const run = async (b: typeof clean) => {
      const x = { oldLogp: t2(b.old), advantages: t2(b.adv), mask };
      const f = (lp: tf.Tensor) => tokenMean(plugin.perToken({ ...x, logp: lp as tf.Tensor2D }).loss, mask);
      const { value, grad } = tf.valueAndGrad(f)(t2(b.logp));
      return { value: await read(value), grad: await read(grad) };
    };
    const a = await run(clean);
    const b = await run(dirty);
    expectCloseTo(b.value, a.value, 1e-6, 'loss');
    expectCloseTo(b.grad, a.grad, 1e-6, 'grad');
    const m = await read(mask);
    b.grad.forEach((g, k) => m[k] || expect(Math.abs(g)).toBe(0));
  });
});

/** Runs a plugin's host form over every row of flat float32 copies of a batch. */
function runHost(plugin: PolicyLoss, b: ReturnType<typeof randomBatch>) {
  const host = plugin.host!;
  const B = b.mask.length;
  const T = b.mask[0]!.length;
  const f32 = (m: number[][]) => Float32Array.from(m.flat());
  const [logp, old, adv, mask] = [f32(b.logp), f32(b.old), f32(b.adv), f32(b.mask)];
  const grad = new Float32Array(B * T);
  const sums = new Float64Array(host.tokenMetrics.length);
  const rows = Array.from({ length: B }, (_, i) =>
    host.row(logp, old, adv, mask, i * T, (i + 1) * T, grad, sums),
  );
  const N = Math.max(
    b.mask.flat().reduce<number>((s, m) => s + m, 0),
    1,
  );
  const metrics: Record<string, number> = { ...host.fixedMetrics };
  host.tokenMetrics.forEach((name, j) => (metrics[name] = sums[j]! / N));
  return { rows, grad: Array.from(grad), metrics };
}

describe.each(TEST_BACKENDS)('host forms on %s', (backend) => {
  const withHost = refs.filter(([, p]) => p.host !== undefined);

  it('the ppo family and reinforce have one; gspo, cispo and sapo do not', () => {
    expect(withHost.map(([n]) => n)).toEqual([
      'ppoClip',
      'clipHigher',
      'asymmetric',
      'dualClip',
      'reinforce',
    ]);
  });

  it.each(withHost)(
    '%s: host.row = perToken (Σ m·l per row, ∂/∂logp by autodiff, every metric), garbage at padding',
    async (_name, plugin) => {
      await useBackend(backend);
      // wide log-ratios: every clip region is visited, and the ±20 clamp too
      const r = randomBatch(12, 7, 11, 2e3);
      r.logp = r.logp.map((row, b) =>
        row.map((x, t) =>
          r.mask[b]![t] ? x + 1.5 * Math.sin(7 * b + 3 * t) + (t === 2 ? 25 * Math.sign(b - 5.5) : 0) : x,
        ),
      );
      const mask = t2(r.mask);
      const x = { oldLogp: t2(r.old), advantages: t2(r.adv), mask };
      const masked = (lp: tf.Tensor) => tf.mul(plugin.perToken({ ...x, logp: lp as tf.Tensor2D }).loss, mask);
      const rowSums = await read(tf.sum(masked(t2(r.logp)), 1));
      const grad = await read(tf.grad((lp) => tf.sum(masked(lp)))(t2(r.logp)));
      const { metrics } = plugin.perToken({ ...x, logp: t2(r.logp) });
      const want = await readMetrics(metrics);
      const host = runHost(plugin, r);
      expectCloseTo(host.rows, rowSums, 1e-5, 'Σ m·l per row');
      expectCloseTo(host.grad, grad, 1e-5, 'gradient');
      r.mask.flat().forEach((m, k) => m || expect(host.grad[k]).toBe(0));
      expect(Object.keys(host.metrics).sort()).toEqual(Object.keys(want).sort());
      for (const [k, v] of Object.entries(want)) expectCloseTo(host.metrics[k]!, v, 1e-6, k);
    },
  );

  it('dualClip: A = −1 at r = 4 (dual-clipped), r = 2 (inside), r = 0.5 (clipped low); A = 0; clamp at ±20', () => {
    const host = dualClip().host!;
    const lp = Float32Array.from([ln(4), ln(2), ln(0.5), ln(2), 25, -25]);
    const old = new Float32Array(6);
    const adv = Float32Array.from([-1, -1, -1, 0, 1, -1]);
    const mask = Float32Array.from([1, 1, 1, 1, 1, 1]);
    const grad = new Float32Array(6);
    const sums = new Float64Array(host.tokenMetrics.length);
    const S = host.row(lp, old, adv, mask, 0, 6, grad, sums);
    // l = [3, 2, 0.8, 0, −1.2 (r clipped at 1.2), 0.8 (r = e⁻²⁰ clipped at 0.8)]
    expectCloseTo(S, 3 + 2 + 0.8 + 0 - 1.2 + 0.8, 1e-6);
    expectCloseTo(Array.from(grad), [0, 2, 0, 0, 0, 0], 1e-6);
    const m = Object.fromEntries(host.tokenMetrics.map((k, j) => [k, sums[j]!]));
    expect(m).toMatchObject({ clip_frac_upper: 1, clip_frac_lower: 2, dual_clip_frac: 1, pg_clipfrac: 3 });
    expectCloseTo(m.approx_kl!, -(ln(4) + ln(2) + ln(0.5) + ln(2) + 20 - 20), 1e-6);
  });
});

describe('options and exports', () => {
  it('rejects unknown keys and out-of-range values, naming the option', () => {
    expect(() => ppoClip({ lo: 0.1 } as any)).toThrow(/ppoClip\.lo/);
    expect(() => ppoClip({ low: 1.5 })).toThrow(/ppoClip\.low/);
    expect(() => ppoClip({ high: -0.1 })).toThrow(/ppoClip\.high/);
    expect(() => ppoClip({ dualClip: 1 })).toThrow(/ppoClip\.dualClip/);
    expect(() => dualClip({ c: 0.5 })).toThrow(/dualClip\.c/);
    expect(() => clipHigher({ high: Number.NaN })).toThrow(/clipHigher\.high/);
    expect(() => asymmetric({ x: 1 } as any)).toThrow(/asymmetric\.x/);
    expect(() => gspo({ low: -1 })).toThrow(/gspo\.low/);
    expect(() => cispo({ ratio: 1 } as any)).toThrow(/cispo\.ratio/);
    expect(() => sapo({ tauNeg: 0 })).toThrow(/sapo\.tauNeg/);
    expect(() => reinforce({ a: 1 } as any)).toThrow(/reinforce\.a/);
  });

  it('presets are compositions with the right bounds and names', () => {
    expect(clipHigher().options).toEqual({ low: 0.2, high: 0.28 });
    expect(asymmetric().options).toEqual({ low: 0.16, high: 0.24 });
    expect(dualClip().options).toEqual({ c: 3 });
    expect(clipHigher({ high: 0.3 }).options).toEqual({ low: 0.2, high: 0.3 });
    expect(gspo().preferredAggregation).toBe('seq-mean-token-mean');
    for (const [name, f] of Object.entries(clippingPlugins)) {
      const p = f();
      expect(p.kind).toBe('policyLoss');
      expect(p.name).toBe(name);
    }
  });

  it('pins the export list', () => {
    expect(Object.keys(clipping).sort()).toEqual(
      [
        'LOG_RATIO_LIMIT',
        'asymmetric',
        'cispo',
        'clipHigher',
        'clippingPlugins',
        'dualClip',
        'gspo',
        'importanceRatio',
        'ppoClip',
        'reinforce',
        'sapo',
      ].sort(),
    );
  });
});

describe.each(TEST_BACKENDS)('memory on %s', (backend) => {
  it('no tensor survives forward + backward + metrics of any plugin', async () => {
    await useBackend(backend);
    const r = randomBatch(6, 5, 3);
    const x = { logp: t2(r.logp), oldLogp: t2(r.old), advantages: t2(r.adv), mask: t2(r.mask) };
    for (const [, plugin] of refs) {
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) {
        const { loss, metrics } = plugin.perToken(x);
        const g = tf.grad((lp) => tokenMean(plugin.perToken({ ...x, logp: lp as tf.Tensor2D }).loss, x.mask))(
          x.logp,
        );
        await readMetrics(metrics);
        tf.dispose([loss, g]);
      }
      expect(tf.memory().numTensors, plugin.name).toBe(before);
    }
  });
});
