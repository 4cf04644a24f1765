/**
 * CISPO: clipped importance-sampling-weight policy optimisation. The ratio is clipped and detached,
 * so every token keeps a gradient (no token is dropped by the clip, unlike PPO).
 *
 *   r = exp(clamp(logp − oldLogp, −20, 20))                                     [B, T]
 *   l = −sg(clip(r, 1 − low, 1 + high))·A·logp                                  [B, T]
 * Paper: MiniMax-M1, arXiv 2506.13585 (no lower bound: the default low = 1 clips at 0, which a
 * ratio never reaches). Reference: verl `compute_policy_loss_cispo` (core_algos.py @ 1dda039);
 * verl's `pg_clipfrac` = fraction of tokens whose weight was clipped (upper + lower here).
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkNumber, stopGradient, type PolicyLoss } from '@grpo-lab/core';
import { importanceRatio, ratioMetrics } from './surrogate.js';

export interface CispoOptions {
  /** Lower clip range of the IS weight; 1 = no lower bound (the paper). [1] */
  readonly low?: number;
  /** Upper clip range of the IS weight, ε_high. [0.2] */
  readonly high?: number;
}

export function cispo(options: CispoOptions = {}): PolicyLoss<CispoOptions> {
  checkKeys('cispo', options, ['low', 'high']);
  const low = checkNumber('cispo.low', options.low ?? 1, { min: 0, max: 1 });
  const high = checkNumber('cispo.high', options.high ?? 0.2, { min: 0 });
  const b = { low, high };
  return {
    kind: 'policyLoss',
    name: 'cispo',
    options: Object.freeze({ ...options }),
    perToken({ logp, oldLogp, advantages, mask }) {
      return tf.tidy(() => {
        const { logRatio, ratio } = importanceRatio(logp, oldLogp); // [B, T]
        const weight = stopGradient(tf.clipByValue(ratio, 1 - low, 1 + high)); // [B, T]
        const loss = tf.neg(tf.mul(tf.mul(weight, advantages), logp)) as tf.Tensor2D; // [B, T]
        return { loss, metrics: ratioMetrics({ logRatio, ratio, advantages, mask, pos: null, bounds: b }) };
      });
    },
  };
}
