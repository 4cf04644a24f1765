/**
 * Rewards by name, for JSON/YAML configs:
 *   reward: 'gsm8kMatch'
 *   reward: { name: 'numericMatch', tol: 0.01 }
 *   reward: { name: 'combineRewards', parts: [{ reward: 'boxedMatch', weight: 1 }, { reward: { name: 'formatReward', format: 'boxed' }, weight: 0.1 }] }
 * An unknown name lists the supported ones.
 */
import { checkKeys, ValidationError, type RewardFunction } from '@grpo-lab/core';
import { combineRewards, formatReward, type FormatPreset } from './compose.js';
import { boxedMatch, exactMatch, gsm8kMatch, numericMatch } from './match.js';

export type RewardSpec = string | ({ name: string } & Record<string, unknown>);

const fixed = (name: string, fn: RewardFunction) => (o: object) => (checkKeys(name, o, []), fn);

export const rewardPlugins: Record<string, (options: Record<string, unknown>) => RewardFunction> = {
  exactMatch: fixed('exactMatch', exactMatch),
  boxedMatch: fixed('boxedMatch', boxedMatch),
  gsm8kMatch: fixed('gsm8kMatch', gsm8kMatch),
  numericMatch: (o) => numericMatch(o),
  formatReward: (o) => {
    checkKeys('formatReward', o, ['format']);
    return formatReward(o.format as FormatPreset);
  },
  combineRewards: (o) => {
    checkKeys('combineRewards', o, ['parts']);
    const parts = o.parts as { reward: RewardSpec; weight: number }[];
    if (!Array.isArray(parts))
      throw new ValidationError(
        'combineRewards.parts',
        'an array of { reward, weight }',
        JSON.stringify(parts),
      );
    return combineRewards(parts.map((p) => ({ fn: createReward(p?.reward), weight: p?.weight })));
  },
};

/** Builds a reward function from its name or `{ name, ...options }`. */
export function createReward(spec: RewardSpec): RewardFunction {
  const { name, ...options } = typeof spec === 'string' ? { name: spec } : (spec ?? { name: undefined });
  const f = typeof name === 'string' ? rewardPlugins[name] : undefined;
  if (!f)
    throw new ValidationError(
      'reward.name',
      `one of ${Object.keys(rewardPlugins)
        .map((n) => `"${n}"`)
        .join(', ')}`,
      JSON.stringify(name),
    );
  return f(options);
}
