/**
 * OPO (On-Policy RL with Optimal reward baseline): a length-weighted group baseline.
 *
 *   A_i = r_i − Σ_{j∈g} ℓ_j·r_j / Σ_{j∈g} ℓ_j,  ℓ_j = valid tokens of row j      → A [B, T] (× mask)
 *
 * Baseline 0 for a group of one row (and for a group whose rows are all empty). Paper: Hao et al.,
 * "On-Policy RL with Optimal Reward Baseline", arXiv 2505.23585. Matches verl
 * `compute_opo_outcome_advantage` (commit 1dda039).
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, maskCount, sameGroupMatrix, type AdvantageEstimator } from '@grpo-lab/core';
import { perSequence } from './estimator.js';

export type OpoOptions = Record<string, never>;

export function opo(options: OpoOptions = {}): AdvantageEstimator<OpoOptions> {
  checkKeys('opo', options, []);
  return perSequence('opo', {}, ({ rewards, groupIds, mask }) => {
    const E = sameGroupMatrix(groupIds); // [B, B]
    const len = maskCount(mask, 1); // [B]
    const groupSum = (x: tf.Tensor) => tf.squeeze(tf.matMul(E, tf.expandDims(x, 1)), [1]); // [B] → [B]
    const baseline = tf.div(groupSum(tf.mul(len, rewards)), tf.maximum(groupSum(len), 1)); // [B]
    const alone = tf.equal(tf.sum(E, 1), 1); // [B]
    return tf.sub(rewards, tf.where(alone, tf.zerosLike(baseline), baseline)) as tf.Tensor1D; // [B]
  });
}
