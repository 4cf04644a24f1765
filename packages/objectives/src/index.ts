/**
 * @grpo-lab/objectives — what turns per-token losses into the one scalar that is differentiated:
 * the five aggregation modes, KL estimators (k1/abs/k2/k3, straight-through k1+/k3+), the entropy
 * bonus and `composeObjective`.
 */
export {
  AGGREGATION_MODES,
  aggregator,
  aggregatorPlugins,
  seqMeanTokenMean,
  seqMeanTokenSum,
  seqMeanTokenSumNorm,
  tokenMean,
  tokenSum,
  type AggregationMode,
  type AggregatorOptions,
} from './aggregate.js';
export { KL_ESTIMATORS, absKl, k1, k2, k3, klPlugins, type KlOptions, type KlType } from './kl.js';
export { entropyBonus, type EntropyBonus, type EntropyBonusOptions } from './entropy.js';
export {
  OBJECTIVE_PATHS,
  composeObjective,
  type Objective,
  type ObjectiveConfig,
  type ObjectiveInput,
  type ObjectivePath,
} from './compose.js';
