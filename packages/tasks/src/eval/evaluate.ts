/**
 * Evaluation of a policy on a set of problems: greedy accuracy (one greedy completion per problem)
 * and unbiased pass@k for each k (n sampled completions per problem, pass@k from passk.ts averaged
 * over problems), overall and per difficulty (`meta.difficulty`; problems without one fall in
 * 'all' only). A completion is correct when its reward ≥ `threshold` [1]. Rewards are scored with
 * `scoreAll`, so a failing reward function counts as wrong and is reported in `rewardErrors`.
 *
 * The policy is injected as a function, so this package does not depend on any model:
 *   generate(prompts, { n, greedy, seed }) → Promise<string[][]>   (n completions per prompt)
 */
import {
  checkKeys,
  checkNumber,
  ValidationError,
  type Logger,
  type Problem,
  type RewardFunction,
} from '@grpo-lab/core';
import { scoreAll, type RewardError } from '../rewards/safe.js';
import { passAtK } from './passk.js';

export interface GenerateOptions {
  /** Completions per prompt. */
  readonly n: number;
  /** Greedy decoding (temperature 0) when true, sampling otherwise. */
  readonly greedy: boolean;
  readonly seed: number;
}

export type GenerateFn = (prompts: string[], options: GenerateOptions) => Promise<string[][]>;

export interface EvaluateOptions {
  /** Scores a completion (e.g. `task.reward`). Required. */
  reward: RewardFunction;
  /** Values of k for pass@k [none: no sampling pass]. */
  k?: number | number[];
  /** Samples per problem for pass@k [max k]; n > k lowers the variance of the estimate. */
  n?: number;
  /** Compute greedy accuracy [true]. */
  greedy?: boolean;
  /** Reward at or above which a completion is correct [1]. */
  threshold?: number;
  /** Prompts per generate call [64]. */
  batchSize?: number;
  /** Seed passed to generate (per batch: seed + batch index) [0]. */
  seed?: number;
  /** Reward-function timeout in ms, as scoreAll [2000]. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface EvalScores {
  /** Problems scored. */
  readonly count: number;
  /** Greedy accuracy (when `greedy`). */
  readonly accuracy?: number;
  /** pass@k keyed by k (when `k` is given). */
  readonly passAtK?: Record<string, number>;
}

/** A reward failure during evaluation: which problem, which pass (index = sample within the pass). */
export interface EvalRewardError extends RewardError {
  readonly problem: number;
  readonly pass: 'greedy' | 'sampled';
}

export interface EvalResult extends EvalScores {
  readonly byDifficulty: Record<string, EvalScores>;
  readonly rewardErrors: EvalRewardError[];
}

const KEYS = ['reward', 'k', 'n', 'greedy', 'threshold', 'batchSize', 'seed', 'timeoutMs', 'logger'];

export async function evaluate(
  generate: GenerateFn,
  problems: readonly Problem[],
  options: EvaluateOptions,
): Promise<EvalResult> {
  checkKeys('evaluate', options, KEYS);
  if (typeof options.reward !== 'function')
    throw new ValidationError('evaluate.reward', 'a reward function', typeof options.reward);
  const ks = options.k === undefined ? [] : Array.isArray(options.k) ? options.k : [options.k];
  ks.forEach((k, i) => checkNumber(`evaluate.k[${i}]`, k, { min: 1, integer: true }));
  const n = checkNumber('evaluate.n', options.n ?? Math.max(1, ...ks), { min: 1, integer: true });
  if (ks.some((k) => k > n)) throw new ValidationError('evaluate.k', `values ≤ n = ${n}`, JSON.stringify(ks));
  const greedy = options.greedy ?? true;
  const threshold = checkNumber('evaluate.threshold', options.threshold ?? 1);
  const batchSize = checkNumber('evaluate.batchSize', options.batchSize ?? 64, { min: 1, integer: true });
  const seed = checkNumber('evaluate.seed', options.seed ?? 0, { integer: true });
  const score = {
    timeoutMs: options.timeoutMs ?? 2000,
    ...(options.logger ? { logger: options.logger } : {}),
  };
  const rewardErrors: EvalRewardError[] = [];

  /** Correct-completion counts per problem for one decoding mode. */
  const correctCounts = async (mode: { n: number; greedy: boolean }): Promise<number[]> => {
    const counts: number[] = [];
    for (let b = 0; b < problems.length; b += batchSize) {
      const batch = problems.slice(b, b + batchSize);
      const outs = await generate(
        batch.map((p) => p.prompt),
        { ...mode, seed: seed + b / batchSize },
      );
      if (
        !Array.isArray(outs) ||
        outs.length !== batch.length ||
        outs.some((o) => !Array.isArray(o) || o.length !== mode.n)
      )
        throw new ValidationError(
          'generate() result',
          `${batch.length} arrays of ${mode.n} completions`,
          'something else',
        );
      const samples = batch.flatMap((p, i) => outs[i]!.map((completion) => ({ ...p, completion })));
      const { rewards, errors } = await scoreAll(samples, options.reward, score);
      const pass = mode.greedy ? 'greedy' : 'sampled';
      for (const e of errors)
        rewardErrors.push({
          ...e,
          index: b * mode.n + e.index,
          problem: b + Math.floor(e.index / mode.n),
          pass,
        });
      for (let i = 0; i < batch.length; i++)
        counts.push(rewards.slice(i * mode.n, (i + 1) * mode.n).filter((r) => r >= threshold).length);
    }
    return counts;
  };
  const greedyCorrect = greedy ? await correctCounts({ n: 1, greedy: true }) : null;
  const sampledCorrect = ks.length > 0 ? await correctCounts({ n, greedy: false }) : null;

  const summarise = (idx: number[]): EvalScores => {
    const mean = (f: (i: number) => number) =>
      idx.length === 0 ? 0 : idx.reduce((a, i) => a + f(i), 0) / idx.length;
    return {
      count: idx.length,
      ...(greedyCorrect ? { accuracy: mean((i) => greedyCorrect[i]!) } : {}),
      ...(sampledCorrect
        ? {
            passAtK: Object.fromEntries(
              ks.map((k) => [String(k), mean((i) => passAtK(n, sampledCorrect[i]!, k))]),
            ),
          }
        : {}),
    };
  };
  const levels = new Map<string, number[]>();
  problems.forEach((p, i) => {
    const d = p.meta?.difficulty;
    if (d === undefined) return;
    const key = String(d);
    if (!levels.has(key)) levels.set(key, []);
    levels.get(key)!.push(i);
  });
  const byDifficulty = Object.fromEntries(
    [...levels]
      .sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b))
      .map(([d, idx]) => [d, summarise(idx)]),
  );
  return { ...summarise(problems.map((_, i) => i)), byDifficulty, rewardErrors };
}
