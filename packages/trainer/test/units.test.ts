/** Pure-math and one-backend tier: config, LR schedules, the optimizer, LLD statistics, batch layout. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, selectBackend } from '@grpo-lab/core';
import {
  adam,
  groupDeltas,
  learningRate,
  median,
  mixedCorrectRows,
  resolveConfig,
  summarizeLld,
} from '../src/index.js';
import { dynamicSampling } from '../src/rollout.js';
import { buildSequences, disposeStep } from '../src/sequences.js';
import { truncateMetrics } from '../src/runstate.js';
import { metricKey } from '../src/update.js';
import { expectCloseTo } from '../../../testing/index.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('config', () => {
  it('fills documented defaults', () => {
    const c = resolveConfig({ outDir: 'x' });
    expect(c).toMatchObject({
      seed: 0,
      steps: 50,
      promptsPerStep: 8,
      numGenerations: 4,
      numIterations: 1,
      advantage: 'grpo',
      policyLoss: 'ppoClip',
      aggregation: 'token-mean',
      reweighter: null,
      kl: { coef: 0, estimator: 'k3' },
      optimizer: { name: 'adam', lr: 1e-3, maxGradNorm: 1, weightDecay: 0 },
      schedule: { name: 'constant', warmupSteps: 0 },
      lld: { enabled: true, epsilon: 0 },
      resume: false,
    });
    expect(resolveConfig({ outDir: 'x', optimizer: { name: 'adamw' } }).optimizer.weightDecay).toBe(0.01);
  });
  it('rejects bad values, naming the field and what is allowed', () => {
    expect(() => resolveConfig({ outDir: 'x', numGenerations: 0 })).toThrow(
      /numGenerations: expected an integer in \[1/,
    );
    expect(() => resolveConfig({ outDir: 'x', optimizer: { name: 'rmsprop' as never } })).toThrow(
      /optimizer.name: expected one of "adam", "adamw", "sgd"/,
    );
    expect(() => resolveConfig({ outDir: 'x', schedule: { nme: 'cosine' } as never })).toThrow(
      /schedule.nme/,
    );
    expect(() => resolveConfig({ outDir: 'x', numGenerationz: 4 } as never)).toThrow(/config.numGenerationz/);
    expect(() => resolveConfig({ outDir: 'x', optimizer: { weightDecay: 0.1 } })).toThrow(
      /optimizer.weightDecay/,
    );
    expect(() => resolveConfig({ outDir: '' })).toThrow(/outDir/);
    expect(() => resolveConfig({ outDir: 'x', advantage: 3 as never })).toThrow(
      /advantage: expected a plugin name/,
    );
  });
});

describe('learning-rate schedules', () => {
  const s = (name: 'constant' | 'linear' | 'cosine', warmupSteps = 0, minLrRatio = 0) => ({
    name,
    warmupSteps,
    minLrRatio,
  });
  it('constant, warmup, linear and cosine decay (hand-computed)', () => {
    expect(learningRate(7, 10, 0.1, s('constant'))).toBe(0.1);
    expect([0, 1, 3].map((t) => learningRate(t, 10, 0.1, s('constant', 4)))).toEqual([0.025, 0.05, 0.1]);
    expectCloseTo(
      [0, 5, 10].map((t) => learningRate(t, 10, 1, s('linear'))),
      [1, 0.5, 0],
    );
    expectCloseTo(
      [0, 5, 10].map((t) => learningRate(t, 10, 1, s('cosine'))),
      [1, 0.5, 0],
    );
    expectCloseTo(learningRate(10, 10, 1, s('cosine', 0, 0.1)), 0.1);
    expectCloseTo(learningRate(6, 10, 1, s('linear', 2)), 0.5); // (6−2)/(10−2) of the way
  });
});

describe('optimizer', () => {
  it('Adam matches tf.train.adam step for step; clipping scales the global norm', async () => {
    const init = [[0.5, -1, 2]];
    const a = tf.variable(tf.tensor2d(init));
    const b = tf.variable(tf.tensor2d(init));
    const cfg = {
      name: 'adam' as const,
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: 0,
    };
    const mine = adam([a], ['a'], cfg);
    const ref = tf.train.adam(0.1, 0.9, 0.999, 1e-8);
    for (const g of [
      [1, -2, 3],
      [0.5, 0.5, -1],
      [-3, 1, 0.1],
    ]) {
      const gt = tf.tensor2d([g]);
      await mine.apply([gt], 0.1);
      ref.applyGradients([{ name: b.name, tensor: gt }]);
      gt.dispose();
    }
    expectCloseTo(await a.data(), Array.from(await b.data()), 1e-5);
    const c = tf.variable(tf.zeros([2]));
    const sgd = adam([c], ['c'], { ...cfg, name: 'sgd', maxGradNorm: 1 });
    const g = tf.tensor1d([3, 4]);
    expect(await sgd.apply([g], 1)).toBeCloseTo(5);
    expectCloseTo(await c.data(), [-0.6, -0.8], 1e-5); // clipped to norm 1
    tf.dispose([a, b, c, g]);
    mine.dispose();
    ref.dispose();
    sgd.dispose();
  });
  it('AdamW decays decoupled from the gradient; state round-trips', async () => {
    const v = tf.variable(tf.tensor1d([1, -2]));
    const o = adam([v], ['v'], {
      name: 'adamw',
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.5,
      maxGradNorm: 0,
    });
    const zero = tf.zeros([2]);
    await o.apply([zero], 0.1); // zero gradient: only the decay acts → θ·(1 − lr·wd)
    expectCloseTo(await v.data(), [0.95, -1.9], 1e-6);
    const st = o.state();
    expect(st.step).toBe(1);
    expect(Object.keys(st.slots)).toEqual(['v.m', 'v.v']);
    const o2 = adam([v], ['v'], {
      name: 'adamw',
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.5,
      maxGradNorm: 0,
    });
    o2.load(st);
    expect(o2.step).toBe(1);
    tf.dispose([v, zero]);
    o.dispose();
    o2.dispose();
  });
});

describe('LLD statistics (SPEC §5)', () => {
  it('selects the correct rows of mixed groups only', () => {
    // group 0 mixed, group 1 all correct, group 2 all wrong, group 3 mixed
    const sel = mixedCorrectRows(
      [0, 0, 1, 1, 2, 2, 3, 3, 3],
      [true, false, true, true, false, false, false, true, true],
    );
    expect(sel).toEqual({ rows: [0, 7, 8], groups: [0, 3, 3] });
  });
  it('Δ(x) per group, per-token mean, and the summary (hand-computed)', () => {
    const sel = { rows: [0, 7, 8], groups: [0, 3, 3] };
    const d = groupDeltas(sel, [-2, -3, -4], [-1, -3.5, -3.5], [2, 1, 4]);
    expect(d).toEqual([
      { group: 0, deltaSeq: 1, deltaToken: 0.5 },
      { group: 3, deltaSeq: 0, deltaToken: (-0.5 / 1 + 0.5 / 4) / 2 },
    ]);
    const s = summarizeLld([...d, { group: 9, deltaSeq: -1, deltaToken: -1 }]);
    expect(s.lld_mean).toBeCloseTo(0);
    expect(s.lld_median).toBe(0);
    expect(s.lld_frac_neg).toBeCloseTo(1 / 3);
    expect(s.lld_groups).toBe(3);
    expect(summarizeLld([])).toEqual({
      lld_mean: null,
      lld_median: null,
      lld_frac_neg: null,
      lld_token_mean: null,
      lld_groups: 0,
    });
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
});

describe('rollout pieces', () => {
  it('builds the verl layout: left-padded prompt, right-padded response', async () => {
    const s = buildSequences(
      {
        prompts: [
          [1, 5],
          [1, 6, 7],
        ],
        responses: [[8, 2], [9]],
        logp: [[-0.1, -0.2], [-0.3]],
        maskedRows: [false, true],
      },
      0,
    );
    expect(s.seq.promptLength).toBe(3);
    expect(await s.seq.tokens.array()).toEqual([
      [0, 1, 5, 8, 2],
      [1, 6, 7, 9, 0],
    ]);
    expect(await s.seq.attention.array()).toEqual([
      [0, 1, 1, 1, 1],
      [1, 1, 1, 1, 0],
    ]);
    expect(await s.mask.array()).toEqual([
      [1, 1],
      [0, 0],
    ]);
    expect(await s.tokenIds.array()).toEqual([
      [8, 2],
      [9, 0],
    ]);
    expectCloseTo(await s.samplerLogp!.data(), [-0.1, -0.2, -0.3, 0]);
    disposeStep(s);
  });
  it('dynamic sampling keeps groups whose rewards differ', () => {
    const keep = dynamicSampling().keep([0, 0, 1, 1, 2], [1, 0, 1, 1, 0]);
    expect([...keep]).toEqual([
      [0, true],
      [1, false],
      [2, false],
    ]);
  });
  it('metric keys follow the metrics-line schema', () => {
    expect(['clipFracUpper', 'clip_frac_lower', 'ppo_kl', 'selectedFrac', 'mean-eta'].map(metricKey)).toEqual(
      ['clip_frac_upper', 'clip_frac_lower', 'approx_kl', 'selected_frac', 'mean_eta'],
    );
  });
  it('resume truncates metrics written after the checkpoint (and a half-written line)', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'trunc-')), 'metrics.jsonl');
    writeFileSync(
      p,
      [
        '{"type":"sft","sft_step":1}',
        '{"type":"train","step":1}',
        '{"type":"eval","step":2}',
        '{"type":"train","step":3}',
        '{"type":"tr',
      ].join('\n'),
    );
    await truncateMetrics(p, 2);
    expect(readFileSync(p, 'utf8')).toBe(
      '{"type":"sft","sft_step":1}\n{"type":"train","step":1}\n{"type":"eval","step":2}\n',
    );
  });
  it('the seeded RNG state is what resumes the data cursor', () => {
    const a = createRng(3);
    a.int(10);
    const st = a.state();
    const b = createRng(99);
    b.setState(st);
    expect([a.int(1000), a.int(1000)]).toEqual([b.int(1000), b.int(1000)]);
  });
});
