/**
 * REINFORCE: the plain policy gradient, no importance ratio and no clip.
 *
 *   l = −A·logp                                                                  [B, T]
 * Williams 1992; the loss of verl `gpg` / RLVR-Decomposed's W-REINFORCE (arXiv 2506.01347) when
 * paired with their advantages. `approx_kl` is still reported from oldLogp, for monitoring.
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, clampedLogRatio, type PolicyLoss } from '@grpo-lab/core';
import { LOG_RATIO_LIMIT, ratioMetrics } from './surrogate.js';

export type ReinforceOptions = Record<string, never>;

export function reinforce(options: ReinforceOptions = {}): PolicyLoss<ReinforceOptions> {
  checkKeys('reinforce', options, []);
  return {
    kind: 'policyLoss',
    name: 'reinforce',
    options: Object.freeze({ ...options }),
    perToken({ logp, oldLogp, advantages, mask }) {
      return tf.tidy(() => {
        const loss = tf.neg(tf.mul(advantages, logp)) as tf.Tensor2D; // [B, T]
        const logRatio = clampedLogRatio(logp, oldLogp, LOG_RATIO_LIMIT) as tf.Tensor2D; // [B, T] for approx_kl only
        return { loss, metrics: ratioMetrics({ logRatio, advantages, mask, pos: null, bounds: null }) };
      });
    },
  };
}
