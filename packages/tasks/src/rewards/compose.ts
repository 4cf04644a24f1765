/**
 * Format and combined rewards.
 * - `formatReward(format)`: 1 when the whole completion has the expected shape, else 0. `format` is a
 *   RegExp (e.g. a task's `format`), or a preset: 'boxed' (contains a complete `\boxed{…}`),
 *   'gsm8k' (contains `#### <number>`), 'think' (`<think>…</think><answer>…</answer>`, the
 *   DeepSeek-R1 format, arXiv 2501.12948).
 * - `combineRewards([{ fn, weight }])`: r = Σ_j w_j · r_j(sample); sync when every part is sync.
 *   A part that throws makes the sum throw (wrap the sum in `safeReward` / use `scoreAll`).
 */
import { checkNumber, ValidationError } from '@grpo-lab/core';
import type { RewardFunction } from '@grpo-lab/core';
import { extractBoxed, extractGsm8k, parseNumber } from './extract.js';
import { checkSample } from './match.js';

export type FormatPreset = 'boxed' | 'gsm8k' | 'think';

const THINK = /^\s*<think>[\s\S]*?<\/think>\s*<answer>[\s\S]*?<\/answer>\s*$/;

export function formatReward(format: RegExp | FormatPreset): RewardFunction {
  let test: (t: string) => boolean;
  if (format instanceof RegExp) {
    const re = new RegExp(format.source, format.flags.replace(/[gy]/g, '')); // no lastIndex state
    test = (t) => re.test(t);
  } else if (format === 'boxed') test = (t) => extractBoxed(t) !== null;
  else if (format === 'gsm8k') test = (t) => parseNumber(extractGsm8k(t) ?? '') !== null;
  else if (format === 'think') test = (t) => THINK.test(t);
  else
    throw new ValidationError(
      'formatReward.format',
      'a RegExp or one of "boxed", "gsm8k", "think"',
      JSON.stringify(format),
    );
  return (s) => {
    checkSample(s);
    return test(s.completion) ? 1 : 0;
  };
}

export interface WeightedReward {
  readonly fn: RewardFunction;
  readonly weight: number;
}

export function combineRewards(parts: readonly WeightedReward[]): RewardFunction {
  if (!Array.isArray(parts) || parts.length === 0)
    throw new ValidationError('combineRewards', 'a non-empty array of { fn, weight }', JSON.stringify(parts));
  parts.forEach((p, i) => {
    if (typeof p?.fn !== 'function')
      throw new ValidationError(`combineRewards[${i}].fn`, 'a reward function', typeof p?.fn);
    checkNumber(`combineRewards[${i}].weight`, p.weight);
  });
  const sum = (vs: number[]) => vs.reduce((acc, v, i) => acc + parts[i]!.weight * v, 0);
  return (s) => {
    const vs = parts.map((p) => p.fn(s));
    return vs.some((v) => v instanceof Promise) ? Promise.all(vs).then(sum) : sum(vs as number[]);
  };
}
