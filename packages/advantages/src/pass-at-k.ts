/**
 * Pass@k advantage: only each group's best row is rewarded, by its margin over the runner-up.
 *
 *   A_i = max(0, r_i − max_{j∈g, j≠i} r_j) / (σ_g + ε)      r [B] → A [B, T] (× mask)
 *
 * σ_g unbiased (`std: 'none'` drops the division). Ties for the best give 0 to every row, as in
 * verl (r_max − r_second_max = 0). Paper: Tang et al., "Optimizing Language Models for Inference
 * Time Objectives using Reinforcement Learning", arXiv 2503.19595. Matches verl
 * `compute_grpo_passk_outcome_advantage` (commit 1dda039). Known difference: verl raises on a group
 * of one row; here such a row gets 0 (there is no runner-up to beat).
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkKeys,
  checkNumber,
  checkOneOf,
  groupStats,
  sameGroupMatrix,
  type AdvantageEstimator,
} from '@grpo-lab/core';
import { perSequence } from './estimator.js';

export interface PassAtKOptions {
  /** Divide by the group's std: 'unbiased' [default, verl `norm_adv_by_std_in_grpo`] or 'none'. */
  readonly std?: 'unbiased' | 'none';
  /** ε added to σ [1e-6]. */
  readonly eps?: number;
}

export function passAtK(options: PassAtKOptions = {}): AdvantageEstimator<Required<PassAtKOptions>> {
  checkKeys('passAtK', options, ['std', 'eps']);
  const o = {
    std: checkOneOf('passAtK.std', options.std ?? 'unbiased', ['unbiased', 'none'] as const),
    eps: checkNumber('passAtK.eps', options.eps ?? 1e-6, { min: 0 }),
  };
  return perSequence('passAtK', o, ({ rewards, groupIds }) => {
    const B = rewards.shape[0];
    const others = tf.greater(tf.sub(sameGroupMatrix(groupIds), tf.eye(B)), 0); // [B, B] j ≠ i in i's group
    const low = tf.sub(tf.min(rewards), 1); // scalar below every reward
    const row = tf.broadcastTo(tf.expandDims(rewards, 0), [B, B]); // [B, B] r_j
    const runnerUp = tf.max(tf.where(others, row, tf.broadcastTo(low, [B, B])), 1); // [B]
    const { std, count } = groupStats(rewards, groupIds); // [B], [B]
    const margin = tf.where(tf.greater(count, 1), tf.relu(tf.sub(rewards, runnerUp)), tf.zerosLike(rewards)); // [B]
    return (o.std === 'none' ? margin : tf.div(margin, tf.add(std, o.eps))) as tf.Tensor1D; // [B]
  });
}
