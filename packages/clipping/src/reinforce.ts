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
    host: {
      tokenMetrics: ['approx_kl'],
      fixedMetrics: { clip_frac_upper: 0, clip_frac_lower: 0, dual_clip_frac: 0, pg_clipfrac: 0 },
      row(logp, oldLogp, advantages, mask, start, end, grad, sums) {
        const L = LOG_RATIO_LIMIT;
        let total = 0;
        let negLogRatio = 0;
        for (let k = start; k < end; k++) {
          const m = mask[k]!;
          if (m === 0) continue;
          const A = advantages[k]!;
          total -= m * A * logp[k]!; // l = −A·logp
          negLogRatio -= m * Math.min(L, Math.max(-L, logp[k]! - oldLogp[k]!));
          if (grad !== null) grad[k] = grad[k]! - m * A;
        }
        sums[0] = sums[0]! + negLogRatio;
        return total;
      },
    },
  };
}
