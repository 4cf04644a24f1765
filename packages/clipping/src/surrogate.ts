/**
 * The pieces every clipping policy shares: the clamped importance ratio, the clipped surrogate in
 * its cheap "effective ratio" form, and the metrics (clip fractions, approx KL).
 *
 *   log r = clamp(logp − oldLogp, −20, 20),  r = exp(log r)                 [B, T]
 *   l = max(−A·r, −A·clip(r, 1 − low, 1 + high)),  for A < 0 (dual clip): l = min(l, −c·A)
 *     = −A·ρ  with ρ = min(r, 1 + high) where A > 0,  ρ = clip(r, 1 − low, c) where A ≤ 0     [B, T]
 * (min/max over −A·(·) become max/min over the ratio because −A has a fixed sign per token; the
 * values and the autodiff gradients are the same, with three ops fewer.)
 * Metrics (means over valid tokens, as verl `compute_policy_loss_vanilla`):
 *   clip_frac_upper  [A > 0 and r > 1 + high]      clip_frac_lower  [A < 0 and r < 1 − low]
 *   dual_clip_frac   [A < 0 and r > c]  (verl pg_clipfrac_lower)
 *   pg_clipfrac      [clipped term > unclipped term] = upper + lower (verl pg_clipfrac)
 *   approx_kl        mean(−log r), an estimate of KL(old ‖ θ)  (verl ppo_kl)
 */
import * as tf from '@tensorflow/tfjs';
import { clampedLogRatio, hostExp, type Metrics, type PolicyLossHost } from '@grpo-lab/core';

/** Log-ratio clamp (verl): exp(±20) stays finite in float32 and its gradient is 0 beyond it. */
export const LOG_RATIO_LIMIT = 20;

/** log r and r = exp(log r), both [B, T]. */
export function importanceRatio(
  logp: tf.Tensor2D,
  oldLogp: tf.Tensor2D,
): { logRatio: tf.Tensor2D; ratio: tf.Tensor2D } {
  const logRatio = clampedLogRatio(logp, oldLogp, LOG_RATIO_LIMIT) as tf.Tensor2D; // [B, T]
  return { logRatio, ratio: tf.exp(logRatio) }; // [B, T]
}

export interface ClipBounds {
  readonly low: number;
  readonly high: number;
  /** Dual-clip bound c > 1 for A < 0; undefined = none. */
  readonly dual?: number;
}

/** −A·ρ, the clipped surrogate per token, given `pos` = [A > 0]. All [B, T]. */
export function clippedSurrogate(
  ratio: tf.Tensor2D,
  advantages: tf.Tensor2D,
  pos: tf.Tensor2D,
  { low, high, dual }: ClipBounds,
): tf.Tensor2D {
  // clipByValue, not minimum/maximum with a scalar: the same values and gradients (r > 0 always),
  // 3–30× faster on wasm.
  const rhoPos = tf.clipByValue(ratio, 0, 1 + high); // [B, T] ρ where A > 0
  const rhoNeg = tf.clipByValue(ratio, 1 - low, dual ?? Infinity); // [B, T] ρ where A ≤ 0
  const rho = tf.where(pos, rhoPos, rhoNeg); // [B, T]
  return tf.neg(tf.mul(advantages, rho)) as tf.Tensor2D; // [B, T]
}

/** Σ ind·m / max(Σm, 1) for a bool indicator [B, T]; `inv` = 1 / max(Σm, 1). */
function fraction(ind: tf.Tensor, mask: tf.Tensor2D, inv: tf.Scalar): tf.Scalar {
  return tf.mul(tf.sum(tf.mul(tf.cast(ind, 'float32'), mask)), inv);
}

export interface RatioMetricsInput {
  readonly logRatio: tf.Tensor2D; // [B, T]
  readonly ratio?: tf.Tensor2D; // [B, T] the ratio the clip acts on (needed with bounds)
  readonly advantages: tf.Tensor2D; // [B, T]
  readonly mask: tf.Tensor2D; // [B, T]
  readonly pos: tf.Tensor2D | null; // [B, T] bool [A > 0]; null = clip regardless of the sign of A (CISPO)
  readonly bounds: ClipBounds | null; // null = nothing is clipped (REINFORCE, SAPO)
}

/** The metric set every policy loss reports (scalar tensors; fractions 0 where not applicable). */
export function ratioMetrics({ logRatio, ratio, advantages, mask, pos, bounds }: RatioMetricsInput): Metrics {
  const inv = tf.div(1, tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  const approxKl = tf.neg(tf.mul(tf.sum(tf.mul(logRatio, mask)), inv)) as tf.Scalar;
  if (bounds === null)
    return { clip_frac_upper: 0, clip_frac_lower: 0, dual_clip_frac: 0, pg_clipfrac: 0, approx_kl: approxKl };
  if (ratio === undefined) throw new Error('ratioMetrics: bounds given without the ratio they act on');
  const neg = pos === null ? null : tf.less(advantages, 0); // [B, T]
  const over = tf.greater(ratio, 1 + bounds.high); // [B, T]
  const under = tf.less(ratio, 1 - bounds.low); // [B, T]
  const upper = fraction(pos === null ? over : tf.logicalAnd(pos, over), mask, inv);
  const lower = fraction(neg === null ? under : tf.logicalAnd(neg, under), mask, inv);
  const dual =
    bounds.dual === undefined || neg === null
      ? 0
      : fraction(tf.logicalAnd(neg, tf.greater(ratio, bounds.dual)), mask, inv);
  return {
    clip_frac_upper: upper,
    clip_frac_lower: lower,
    dual_clip_frac: dual,
    pg_clipfrac: tf.add(upper, lower) as tf.Scalar,
    approx_kl: approxKl,
  };
}

/**
 * The clipped surrogate and its metrics on host numbers (`PolicyLoss.host`), for the fused cpu/wasm
 * kernel of @grpo-lab/objectives. The same formula and tfjs's gradient conventions: clipByValue
 * passes the gradient on its closed interval, so the ±20 clamp and the ratio clips are inclusive;
 * the bounds are the float32 values the tensor path compares with. Arithmetic is in float64, so it
 * agrees with the tensor path to float32 round-off.
 */
export function ppoHost({ low, high, dual }: ClipBounds): PolicyLossHost {
  const hi = Math.fround(1 + high);
  const lo = Math.fround(1 - low);
  const c = dual === undefined ? Infinity : Math.fround(dual);
  const L = LOG_RATIO_LIMIT;
  const hasDual = dual !== undefined;
  return {
    tokenMetrics: hasDual
      ? ['clip_frac_upper', 'clip_frac_lower', 'pg_clipfrac', 'approx_kl', 'dual_clip_frac']
      : ['clip_frac_upper', 'clip_frac_lower', 'pg_clipfrac', 'approx_kl'],
    fixedMetrics: hasDual ? {} : { dual_clip_frac: 0 },
    row(logp, oldLogp, advantages, mask, start, end, grad, sums) {
      let total = 0; // Σ m·l
      let upper = 0; // Σ m·[A > 0, r > 1 + high]
      let lower = 0; // Σ m·[A < 0, r < 1 − low]
      let dualHits = 0; // Σ m·[A < 0, r > c]
      let negLogRatio = 0; // Σ m·(−log r)
      for (let k = start; k < end; k++) {
        const m = mask[k]!;
        if (m === 0) continue;
        const A = advantages[k]!;
        let lr = logp[k]! - oldLogp[k]!; // log r
        let dlr = 1; // ∂ clamp / ∂ logp
        if (lr < -L) {
          lr = -L;
          dlr = 0;
        } else if (lr > L) {
          lr = L;
          dlr = 0;
        }
        const r = hostExp(lr);
        let rho = r; // ρ = min(r, 1 + high) for A > 0, clip(r, 1 − low, c) for A ≤ 0
        let drho = 1;
        if (A > 0) {
          if (r > hi) {
            rho = hi;
            drho = 0;
            upper += m;
          }
        } else if (r < lo) {
          rho = lo;
          drho = 0;
          if (A < 0) lower += m;
        } else if (r > c) {
          rho = c;
          drho = 0;
          if (A < 0) dualHits += m;
        }
        total -= m * A * rho; // l = −A·ρ
        negLogRatio -= m * lr;
        if (grad !== null) grad[k] = grad[k]! - m * A * drho * r * dlr;
      }
      sums[0] = sums[0]! + upper;
      sums[1] = sums[1]! + lower;
      sums[2] = sums[2]! + upper + lower;
      sums[3] = sums[3]! + negLogRatio;
      if (hasDual) sums[4] = sums[4]! + dualHits;
      return total;
    },
  };
}
