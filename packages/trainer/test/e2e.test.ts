/** End-to-end tier (wasm, measured faster than cpu for this tiny model): every plugin family swapped in, reward rising, the probe. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type GenerativePolicy } from '@grpo-lab/core';
import { advantagePlugins } from '@grpo-lab/advantages';
import { clippingPlugins } from '@grpo-lab/clipping';
import { aggregatorPlugins } from '@grpo-lab/objectives';
import { reweighterPlugins } from '@grpo-lab/reweighters';
import { transformer } from '@grpo-lab/model';
import { lldProbe, train, type TrainConfig } from '../src/index.js';
import { charTok, copyTask, readLines, tinyModel, tmpDir } from './helpers.js';

const task = copyTask();
const tokenizer = charTok(task.alphabet);
let base: GenerativePolicy;
let policy: GenerativePolicy;

beforeAll(async () => {
  await selectBackend('wasm');
  policy = transformer({ ...tinyModel, vocabSize: tokenizer.vocabSize, seed: 1 });
  // a short warm start so that groups are mixed (the regime where re-weighters act)
  await train(
    { outDir: tmpDir('warm'), steps: 0, sft: { steps: 15, batchSize: 8, lr: 1e-2 } },
    { policy, task, tokenizer },
  );
  base = policy.clone();
});

const tiny: Omit<TrainConfig, 'outDir'> = {
  steps: 2,
  promptsPerStep: 3,
  numGenerations: 4,
  maxCompletionLength: 3,
};

async function run(name: string, cfg: Omit<TrainConfig, 'outDir'>) {
  policy.copyFrom(base);
  const outDir = tmpDir(name);
  const s = await train({ ...tiny, ...cfg, outDir }, { policy, task, tokenizer });
  const lines = readLines(outDir).filter((l) => l.type === 'train');
  expect(s.step, name).toBe(cfg.steps ?? 2);
  expect(existsSync(join(outDir, 'summary.json'))).toBe(true);
  for (const l of lines) {
    for (const k of ['loss', 'pg_loss', 'reward_mean', 'accuracy', 'adv_abs_mean', 'entropy', 'approx_kl'])
      expect(Number.isFinite(l[k]), `${name}: ${k} = ${l[k]}`).toBe(true);
    expect(l.lld_groups).toBe(l.mixed_groups);
  }
  return lines;
}

const variants: [string, Omit<TrainConfig, 'outDir'>][] = [
  ...Object.keys(advantagePlugins).map(
    (n) => [`advantage ${n}`, { advantage: n }] as [string, Omit<TrainConfig, 'outDir'>],
  ),
  ...Object.keys(reweighterPlugins).map(
    (n) => [`reweighter ${n}`, { reweighter: n }] as [string, Omit<TrainConfig, 'outDir'>],
  ),
  ...Object.keys(clippingPlugins).map(
    (n) => [`policyLoss ${n}`, { policyLoss: n }] as [string, Omit<TrainConfig, 'outDir'>],
  ),
  ...Object.keys(aggregatorPlugins).map(
    (n) => [`aggregation ${n}`, { aggregation: n }] as [string, Omit<TrainConfig, 'outDir'>],
  ),
  ...['k1', 'k2', 'k3', 'abs'].map(
    (k) => [`kl ${k}`, { kl: { coef: 0.1, estimator: k } }] as [string, Omit<TrainConfig, 'outDir'>],
  ),
  [
    'entropy bonus + μ = 2, mini/micro-batches',
    { entropyCoef: 0.01, numIterations: 2, miniBatchSize: 6, microBatchSize: 4 },
  ],
  [
    'dynamic sampling + truncation masking + adamw cosine',
    {
      groupFilter: 'dynamicSampling',
      maskTruncated: true,
      optimizer: { name: 'adamw' },
      schedule: { name: 'cosine', warmupSteps: 1 },
    },
  ],
  ['temperature 0.7 + eval', { temperature: 0.7, eval: { every: 1, size: 6 } }],
];

describe('every plugin family swapped in', () => {
  it.each(variants)('%s', async (name, cfg) => {
    const before = tf.memory().numTensors;
    const lines = await run(name.replace(/\W+/g, '-'), cfg);
    expect(tf.memory().numTensors).toBe(before);
    if (name === 'reweighter nthr')
      expect(
        lines.some((l) => 'nthr_selected_frac' in l || Object.keys(l).some((k) => k.startsWith('nthr_'))),
      ).toBe(true);
    if (name.startsWith('kl')) expect(lines.every((l) => Number.isFinite(l.kl))).toBe(true);
  });
});

describe('SFT only', () => {
  it('steps: 0 with eval on still reports the greedy accuracy of the warm-started model', async () => {
    policy.copyFrom(base);
    const outDir = tmpDir('sft-only');
    const s = await train(
      { ...tiny, outDir, steps: 0, sft: { steps: 1, batchSize: 4 }, eval: { every: 1, size: 3 } },
      { policy, task, tokenizer },
    );
    expect(s.step).toBe(0);
    expect(s.eval?.accuracy).toBeGreaterThanOrEqual(0);
    expect(readLines(outDir).filter((l) => l.type === 'eval')).toHaveLength(1);
    policy.copyFrom(base);
  });
});

describe('reward isolation', () => {
  it('a reward that throws, returns NaN or never settles scores 0, is counted, and the run goes on', async () => {
    let calls = 0;
    const flaky = {
      ...task,
      reward: (s: Parameters<typeof task.reward>[0]) => {
        calls += 1;
        if (calls % 4 === 1) throw new Error('verifier crashed');
        if (calls % 4 === 2) return NaN;
        if (calls % 4 === 3) return new Promise<number>(() => {}); // hangs
        return task.reward(s);
      },
    };
    policy.copyFrom(base);
    const outDir = tmpDir('flaky-reward');
    const s = await train({ ...tiny, outDir, reward: { timeoutMs: 50 } }, { policy, task: flaky, tokenizer });
    expect(s.step).toBe(2);
    // 3 prompts × 4 generations = 12 calls per step, 3 of every 4 fail
    const lines = readLines(outDir).filter((l) => l.type === 'train');
    expect(lines.map((l) => l.reward_errors)).toEqual([9, 9]);
    expect(lines.every((l) => Number.isFinite(l.reward_mean))).toBe(true);
  });
});

describe('learning', () => {
  it('reward rises on an easy task after a short warm start', async () => {
    const p = transformer({ ...tinyModel, vocabSize: tokenizer.vocabSize, seed: 1 });
    const outDir = tmpDir('rise');
    await train(
      {
        outDir,
        seed: 1,
        steps: 40,
        promptsPerStep: 4,
        numGenerations: 4,
        maxCompletionLength: 3,
        sft: { steps: 20, batchSize: 8, lr: 1e-2 },
        optimizer: { lr: 3e-3 },
      },
      { policy: p, task, tokenizer },
    );
    const acc = readLines(outDir)
      .filter((l) => l.type === 'train')
      .map((l) => l.accuracy as number);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(acc.slice(0, 8));
    const last = mean(acc.slice(-8));
    expect(last, `accuracy ${first.toFixed(2)} → ${last.toFixed(2)}`).toBeGreaterThan(first + 0.1);
    p.dispose();
  });

  it('paired probe: same groups for every method, parameters restored after', async () => {
    policy.copyFrom(base);
    const w0 = await (Object.values((policy as any).namedWeights())[0] as tf.Variable).data();
    const before = tf.memory().numTensors;
    const r = await lldProbe({
      model: policy,
      task,
      tokenizer,
      groups: 4,
      numGenerations: 4,
      maxCompletionLength: 3,
      methods: {
        grpo: {},
        nthr: { reweighter: 'nthr' },
        randomTokens: { reweighter: 'randomTokens' },
        positiveOnly: { reweighter: 'positiveOnly' },
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.groups).toBe(4);
    const groupsOf = (m: string) => r.methods[m]!.deltas.map((d) => d.group);
    for (const m of ['nthr', 'randomTokens', 'positiveOnly']) expect(groupsOf(m)).toEqual(groupsOf('grpo'));
    for (const m of Object.values(r.methods))
      expect(m.deltas.every((d) => Number.isFinite(d.deltaSeq))).toBe(true);
    expect(
      Array.from(await (Object.values((policy as any).namedWeights())[0] as tf.Variable).data()),
    ).toEqual(Array.from(w0));
  });
});
