/**
 * Entropy bonus: −coef · agg(H), with H [B, T] the per-token entropy of the *current* policy
 * (differentiable, e.g. −Σ_v π log π from the same forward pass as logp), aggregated with the
 * objective's aggregator, as verl `entropy_coeff` (dp_actor.py: policy_loss = pg_loss − coef·entropy).
 * A positive coef rewards spread and slows entropy collapse (PPO, arXiv 1707.06347, eq. 9).
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkNumber, type AggregateContext, type Aggregator } from '@grpo-lab/core';

export interface EntropyBonusOptions {
  /** Weight of the bonus; 0 = report entropy only. [0] */
  readonly coef?: number;
}

export interface EntropyBonus {
  readonly kind: 'entropyBonus';
  readonly name: 'entropy';
  readonly options: Readonly<EntropyBonusOptions>;
  readonly coef: number;
  /** agg(H): the scalar the loss subtracts coef times. */
  mean(entropy: tf.Tensor2D, mask: tf.Tensor2D, aggregate: Aggregator, ctx?: AggregateContext): tf.Scalar;
}

export function entropyBonus(options: EntropyBonusOptions = {}): EntropyBonus {
  checkKeys('entropy', options, ['coef']);
  const coef = checkNumber('entropy.coef', options.coef ?? 0, { min: 0 });
  return {
    kind: 'entropyBonus',
    name: 'entropy',
    options: Object.freeze({ ...options }),
    coef,
    mean: (entropy, mask, aggregate, ctx) => aggregate.reduce(entropy, mask, ctx),
  };
}
