/**
 * `entropyQuantile` — keep only the highest-entropy tokens ("Beyond the 80/20 Rule", Wang et al.,
 * arXiv 2506.01939; TRL `top_entropy_quantile`, `GRPOTrainer.get_high_entropy_mask`).
 *   θ = quantile_{1−ρ}(entropy at valid tokens)   (linear interpolation, as torch.quantile)
 *   weights[i, t] = 1 where entropy ≥ θ or padding, 0 at the other valid tokens        [B, T]
 * Over the whole batch, as TRL on one process. ρ = 1 keeps everything.
 */
import * as tf from '@tensorflow/tfjs';
import { checkBatch, checkKeys, checkNumber, type TokenReweighter } from '@grpo-lab/core';
import { checkAdvantages, quantileSorted } from './common.js';

export interface EntropyQuantileOptions {
  /** Fraction ρ of valid tokens to keep, by highest old-policy entropy. [0.2] (TRL's example value) */
  readonly rho?: number;
}

export function entropyQuantile(
  options: EntropyQuantileOptions = {},
): TokenReweighter<EntropyQuantileOptions> {
  checkKeys('entropyQuantile', options, ['rho']);
  const rho = checkNumber('entropyQuantile.rho', options.rho ?? 0.2, { min: 0, max: 1, exclusiveMin: true });
  return {
    kind: 'reweighter',
    name: 'entropyQuantile',
    options: Object.freeze({ ...options }),
    needs: { entropy: true },
    async weights(batch, advantages) {
      const { B, T } = checkBatch(batch, { needs: { entropy: true } });
      checkAdvantages(advantages, B, T);
      const [ent, mask] = await Promise.all([batch.entropy!.data(), batch.mask.data()]);
      const vals: number[] = [];
      for (let k = 0; k < ent.length; k++) if (mask[k]! > 0) vals.push(ent[k]!);
      const sorted = Float32Array.from(vals).sort();
      const theta = quantileSorted(sorted, 1 - rho);
      const kept = vals.length === 0 ? 0 : vals.filter((v) => v >= theta).length / vals.length;
      const weights = tf.tidy(() =>
        tf.where(tf.logicalAnd(tf.greater(batch.mask, 0), tf.less(batch.entropy!, theta)), 0, 1),
      ) as tf.Tensor2D; // [B, T]
      return { weights, metrics: { kept_frac: kept, entropy_threshold: Number.isNaN(theta) ? 0 : theta } };
    },
  };
}
