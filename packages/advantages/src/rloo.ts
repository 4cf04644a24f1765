/**
 * RLOO: leave-one-out baseline.
 *
 *   A_i = r_i − mean_{j ≠ i} r_j = n/(n − 1)·(r_i − μ_g)      r [B] → A [B, T] (× mask)
 *
 * n = size of row i's group. A group of one row has no one to leave out: `singleton: 'reward'`
 * [default] keeps A = r (verl `compute_rloo_outcome_advantage`), `'zero'` gives 0 (verl's vectorised
 * variant).
 *
 * Paper: Ahmadian et al., "Back to Basics: Revisiting REINFORCE Style Optimization for Learning from
 * Human Feedback in LLMs", arXiv 2402.14740. Matches verl core_algos (commit 1dda039).
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkOneOf, groupStats, type AdvantageEstimator } from '@grpo-lab/core';
import { perSequence } from './estimator.js';

export interface RlooOptions {
  /** Advantage of a row alone in its group: its 'reward' [default, verl] or 'zero'. */
  readonly singleton?: 'reward' | 'zero';
}

export function rloo(options: RlooOptions = {}): AdvantageEstimator<Required<RlooOptions>> {
  checkKeys('rloo', options, ['singleton']);
  const o = {
    singleton: checkOneOf('rloo.singleton', options.singleton ?? 'reward', ['reward', 'zero'] as const),
  };
  return perSequence('rloo', o, ({ rewards, groupIds }) => {
    const { mean, count } = groupStats(rewards, groupIds); // [B], [B]
    const loo = tf.mul(tf.div(count, tf.maximum(tf.sub(count, 1), 1)), tf.sub(rewards, mean)); // [B]
    const alone = o.singleton === 'reward' ? rewards : tf.zerosLike(rewards); // [B]
    return tf.where(tf.greater(count, 1), loo, alone) as tf.Tensor1D; // [B]
  });
}
