/**
 * REINFORCE++ with a group baseline: subtract the group mean, then whiten over every valid token of
 * the batch.
 *
 *   b_i = r_i − μ_g (μ = 0 for a group of one row)                               [B]
 *   A = (b·m − mean_m) · rsqrt(var_m + 1e-8), var unbiased over valid tokens     [B, T] (× mask)
 *
 * Paper: Hu, "REINFORCE++: A Simple and Efficient Approach for Aligning Large Language Models",
 * arXiv 2501.03262. Matches verl `compute_reinforce_plus_plus_baseline_outcome_advantage` with
 * `masked_whiten` (commit 1dda039).
 */
import { checkKeys, checkNumber, maskedWhiten, type AdvantageEstimator } from '@grpo-lab/core';
import type * as tf from '@tensorflow/tfjs';
import { perSequence } from './estimator.js';
import { groupNormalized } from './grpo.js';

export interface ReinforcePlusPlusBaselineOptions {
  /** ε inside the whitening rsqrt [1e-8, as verl `masked_whiten`]. */
  readonly eps?: number;
}

export function reinforcePlusPlusBaseline(
  options: ReinforcePlusPlusBaselineOptions = {},
): AdvantageEstimator<Required<ReinforcePlusPlusBaselineOptions>> {
  checkKeys('reinforcePlusPlusBaseline', options, ['eps']);
  const o = { eps: checkNumber('reinforcePlusPlusBaseline.eps', options.eps ?? 1e-8, { min: 0 }) };
  const centre = { std: 'none', scale: 'group', eps: 0, virtualCount: 0, rMax: 1 } as const;
  return perSequence(
    'reinforcePlusPlusBaseline',
    o,
    ({ rewards, groupIds }) => groupNormalized(rewards, groupIds, centre), // [B]
    (adv, mask) => maskedWhiten(adv, mask, { eps: o.eps }) as tf.Tensor2D, // [B, T]
  );
}
