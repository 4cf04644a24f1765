/** @grpo-lab/reweighters — token re-weighters: NTHR (arXiv 2505.18830) and its controls. */
import { entropyQuantile } from './entropy-quantile.js';
import { nthr } from './nthr.js';
import { positiveOnly } from './positive-only.js';
import { randomTokens } from './random-tokens.js';

export {
  nthr,
  nthrScores,
  scoreSummary,
  type NthrOptions,
  type NthrResult,
  type NthrReweighter,
} from './nthr.js';
export { NTHR_NEEDS, type NthrScores, type NthrGroup, type NthrScoreOptions } from './nthr-scores.js';
export { randomTokens, type RandomTokensOptions } from './random-tokens.js';
export { positiveOnly, type PositiveOnlyOptions } from './positive-only.js';
export { entropyQuantile, type EntropyQuantileOptions } from './entropy-quantile.js';
export { ETA_RULES, type EtaRule, type CorrectPredicate } from './common.js';

/** Factories by name, for a registry: `registry.registerAll('reweighter', reweighterPlugins)`. */
export const reweighterPlugins = { nthr, randomTokens, positiveOnly, entropyQuantile } as const;
