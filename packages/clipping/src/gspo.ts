/**
 * GSPO: group sequence policy optimisation, with a sequence-level importance ratio.
 *
 *   s_i = exp(mean_t(logp − oldLogp))          (over the valid tokens of row i)         [B]
 *   token form: log s_{i,t} = sg(log s_i) + logp_t − sg(logp_t), clamped ≤ 10           [B, T]
 *     (value s_i on every token; gradient s_i·∇logp_t, the "GSPO-token" straight-through form)
 *   l = max(−A·s_{i,t}, −A·clip(s_{i,t}, 1 − low, 1 + high))                           [B, T]
 *   aggregated seq-mean-token-mean (set as `preferredAggregation`).
 * Paper: Zheng et al., "Group Sequence Policy Optimization", arXiv 2507.18071 (clip 3e-4 / 4e-4,
 * the defaults here). Reference: verl `compute_policy_loss_gspo` (core_algos.py @ 1dda039), which,
 * like this, does not clamp the token log-ratios before their mean (only log s ≤ 10).
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkNumber, maskedMean, straightThrough, type PolicyLoss } from '@grpo-lab/core';
import { clippedSurrogate, ratioMetrics } from './surrogate.js';

export interface GspoOptions {
  /** Lower clip range on the sequence ratio. [3e-4] */
  readonly low?: number;
  /** Upper clip range on the sequence ratio. [4e-4] */
  readonly high?: number;
}

/** Upper clamp on the sequence log-ratio (verl). */
const SEQ_LOG_RATIO_MAX = 10;

export function gspo(options: GspoOptions = {}): PolicyLoss<GspoOptions> {
  checkKeys('gspo', options, ['low', 'high']);
  const low = checkNumber('gspo.low', options.low ?? 3e-4, { min: 0, max: 1 });
  const high = checkNumber('gspo.high', options.high ?? 4e-4, { min: 0 });
  const b = { low, high };
  return {
    kind: 'policyLoss',
    name: 'gspo',
    options: Object.freeze({ ...options }),
    preferredAggregation: 'seq-mean-token-mean',
    perToken({ logp, oldLogp, advantages, mask }) {
      return tf.tidy(() => {
        const logRatio = tf.sub(logp, oldLogp) as tf.Tensor2D; // [B, T]
        const seqLogRatio = maskedMean(logRatio, mask, 1); // [B]
        const value = tf.mul(tf.expandDims(seqLogRatio, 1), tf.onesLike(logp)); // [B, T] log s_i per token
        const logS = tf.clipByValue(straightThrough(value, logp), -Infinity, SEQ_LOG_RATIO_MAX); // [B, T]
        const s = tf.exp(logS) as tf.Tensor2D; // [B, T]
        const pos = tf.greater(advantages, 0) as tf.Tensor2D; // [B, T]
        const loss = clippedSurrogate(s, advantages, pos, b); // [B, T]
        return { loss, metrics: ratioMetrics({ logRatio, ratio: s, advantages, mask, pos, bounds: b }) };
      });
    },
  };
}
