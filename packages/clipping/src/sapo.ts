/**
 * SAPO: soft adaptive policy optimisation, a smooth sigmoid gate in place of the hard clip.
 *
 *   r = exp(clamp(logp − oldLogp, −20, 20))                                     [B, T]
 *   τ = tauPos where A > 0, tauNeg elsewhere                                     [B, T]
 *   l = −σ(τ·(r − 1))·(4/τ)·A                                                    [B, T]
 *   (gradient at r = 1 equals PPO's; it decays smoothly as r leaves 1, faster for A < 0)
 *   aggregated seq-mean-token-mean (set as `preferredAggregation`).
 * Paper: arXiv 2511.20347. Reference: verl `compute_policy_loss_sapo` (core_algos.py @ 1dda039).
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkNumber, type PolicyLoss } from '@grpo-lab/core';
import { importanceRatio, ratioMetrics } from './surrogate.js';

export interface SapoOptions {
  /** Gate temperature for tokens with A > 0. [1] */
  readonly tauPos?: number;
  /** Gate temperature for tokens with A ≤ 0. [1.05] */
  readonly tauNeg?: number;
}

export function sapo(options: SapoOptions = {}): PolicyLoss<SapoOptions> {
  checkKeys('sapo', options, ['tauPos', 'tauNeg']);
  const tauPos = checkNumber('sapo.tauPos', options.tauPos ?? 1, { min: 0, exclusiveMin: true });
  const tauNeg = checkNumber('sapo.tauNeg', options.tauNeg ?? 1.05, { min: 0, exclusiveMin: true });
  return {
    kind: 'policyLoss',
    name: 'sapo',
    options: Object.freeze({ ...options }),
    preferredAggregation: 'seq-mean-token-mean',
    perToken({ logp, oldLogp, advantages, mask }) {
      return tf.tidy(() => {
        const { logRatio, ratio } = importanceRatio(logp, oldLogp); // [B, T]
        const pos = tf.cast(tf.greater(advantages, 0), 'float32'); // [B, T]
        const tau = tf.add(tf.mul(pos, tauPos - tauNeg), tauNeg); // [B, T]
        const gate = tf.div(tf.mul(tf.sigmoid(tf.mul(tau, tf.sub(ratio, 1))), 4), tau); // [B, T]
        const loss = tf.neg(tf.mul(gate, advantages)) as tf.Tensor2D; // [B, T]
        return { loss, metrics: ratioMetrics({ logRatio, advantages, mask, pos: null, bounds: null }) };
      });
    },
  };
}
