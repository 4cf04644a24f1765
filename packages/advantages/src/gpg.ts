/**
 * GPG (Group Policy Gradient): the group-centred reward, rescaled by how many rows carry a reward.
 *
 *   A_i = α·(r_i − μ_g),  α = B / max(#{j : r_j ≠ 0}, 1)      r [B] → A [B, T] (× mask)
 *
 * μ = 0 for a group of one row. Paper: Chu et al., "GPG: A Simple and Strong Reinforcement Learning
 * Baseline for Model Reasoning", arXiv 2504.02546. Matches verl `compute_gpg_outcome_advantage`
 * (commit 1dda039, f_norm = 1).
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, type AdvantageEstimator } from '@grpo-lab/core';
import { perSequence } from './estimator.js';
import { groupNormalized } from './grpo.js';

export type GpgOptions = Record<string, never>;

export function gpg(options: GpgOptions = {}): AdvantageEstimator<GpgOptions> {
  checkKeys('gpg', options, []);
  const centre = { std: 'none', scale: 'group', eps: 0, virtualCount: 0, rMax: 1 } as const;
  return perSequence('gpg', {}, ({ rewards, groupIds }) => {
    const B = rewards.shape[0];
    const nonZero = tf.sum(tf.cast(tf.notEqual(rewards, 0), 'float32')); // scalar
    const alpha = tf.div(B, tf.maximum(nonZero, 1)); // scalar
    return tf.mul(alpha, groupNormalized(rewards, groupIds, centre)) as tf.Tensor1D; // [B]
  });
}
