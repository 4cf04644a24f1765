/**
 * W-REINFORCE and its two halves, PSR and NSR: a signed reward with no baseline.
 *
 *   A_i = λ⁺ if row i is correct, λ⁻ otherwise      → A [B, T] (× mask)
 *
 * W-REINFORCE: λ⁺ = λ [0.1], λ⁻ = −1. PSR (positive sample reinforcement): 1 / 0. NSR (negative
 * sample reinforcement): 0 / −1. "Correct" is r > `threshold` [0.5] on the backend, or a
 * `correct(r)` predicate on the host: it reads the batch's `rewardsHost` (the trainer supplies it),
 * else one synchronous read of the rewards (not possible on webgpu in Node: a clear error there).
 *
 * Paper: Zhu et al., "The Surprising Effectiveness of Negative Reinforcement in LLM Reasoning",
 * arXiv 2506.01347. Matches RLVR-Decomposed `compute_psr_nsr_outcome_advantage` (commit a5d4e7c,
 * modes positive / negative / weighted) on 0/1 rewards (it covers no others).
 */
import * as tf from '@tensorflow/tfjs';
import { ValidationError, checkKeys, checkNumber, type AdvantageEstimator } from '@grpo-lab/core';
import { perSequence } from './estimator.js';

export interface CorrectnessOptions {
  /** A row is correct when its reward is above this [0.5]. */
  readonly threshold?: number;
  /** Host predicate instead of `threshold` (reads `rewardsHost`, else one synchronous read of the rewards). */
  readonly correct?: (reward: number) => boolean;
}

export interface WReinforceOptions extends CorrectnessOptions {
  /** Advantage of a correct row, λ [0.1]; incorrect rows get −1. */
  readonly lambda?: number;
}

function signedReward<O extends object>(
  name: string,
  options: CorrectnessOptions,
  resolved: O,
  positive: number,
  negative: number,
): AdvantageEstimator<O> {
  const threshold = checkNumber(`${name}.threshold`, options.threshold ?? 0.5);
  const predicate = options.correct;
  if (predicate !== undefined && typeof predicate !== 'function')
    throw new ValidationError(`${name}.correct`, 'a function (reward) => boolean', typeof predicate);
  if (predicate !== undefined && options.threshold !== undefined)
    throw new ValidationError(`${name}.correct`, 'either correct or threshold, not both', 'both');
  const hostRewards = (rewards: tf.Tensor1D, rewardsHost: ArrayLike<number> | undefined) => {
    if (rewardsHost !== undefined) return rewardsHost;
    if (tf.getBackend() === 'webgpu')
      throw new ValidationError(
        `${name}.correct`,
        'the batch to carry rewardsHost (as the trainer does), or the threshold option, on webgpu',
        'a host predicate and rewards only on the GPU (webgpu cannot read synchronously in Node)',
      );
    return rewards.dataSync();
  };
  return perSequence(name, resolved, ({ rewards, rewardsHost }) => {
    const isCorrect = predicate
      ? tf.tensor1d(
          Array.from(hostRewards(rewards, rewardsHost), (r) => (predicate(r) ? 1 : 0)),
          'bool',
        ) // [B] from the host
      : tf.greater(rewards, threshold); // [B]
    return tf.where(
      isCorrect,
      tf.fill(rewards.shape, positive),
      tf.fill(rewards.shape, negative),
    ) as tf.Tensor1D; // [B]
  });
}

/** W-REINFORCE (Zhu et al. 2025): +λ for correct rows, −1 for incorrect ones. */
export function wReinforce(options: WReinforceOptions = {}): AdvantageEstimator<WReinforceOptions> {
  checkKeys('wReinforce', options, ['lambda', 'threshold', 'correct']);
  const lambda = checkNumber('wReinforce.lambda', options.lambda ?? 0.1, { min: 0 });
  return signedReward('wReinforce', options, { ...options, lambda }, lambda, -1);
}

/** PSR: +1 for correct rows, 0 for incorrect ones (learn only from successes). */
export function psr(options: CorrectnessOptions = {}): AdvantageEstimator<CorrectnessOptions> {
  checkKeys('psr', options, ['threshold', 'correct']);
  return signedReward('psr', options, { ...options }, 1, 0);
}

/** NSR: 0 for correct rows, −1 for incorrect ones (learn only from failures). */
export function nsr(options: CorrectnessOptions = {}): AdvantageEstimator<CorrectnessOptions> {
  checkKeys('nsr', options, ['threshold', 'correct']);
  return signedReward('nsr', options, { ...options }, 0, -1);
}
