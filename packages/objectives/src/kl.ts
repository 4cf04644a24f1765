/**
 * KL estimators between the policy and the frozen reference, per token (Schulman, "Approximating
 * KL divergence", http://joschu.net/blog/kl-approx.html), with verl's clamps.
 *
 *   d = logp − refLogp                                                           [B, T]
 *   k1  = d                 abs = |d|                 k2 = ½·d²
 *   k3  = clamp(eˣ − x − 1, −10, 10),  x = clamp(−d, −20, 20)   ("low_var_kl", GRPO arXiv 2402.03300)
 *   straightThrough (`k1+`, `k3+`): the value of the estimator with the gradient of k2, whose
 *   expected gradient is the gradient of KL (verl `kl_penalty` with a '+' suffix).
 * Reference: verl `kl_penalty` / `kl_penalty_forward` (verl/trainer/ppo/core_algos.py @ 1dda039).
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkKeys,
  hostExp,
  straightThrough,
  ValidationError,
  type KlEstimator,
  type KlEstimatorHost,
} from '@grpo-lab/core';

export const KL_ESTIMATORS = ['k1', 'abs', 'k2', 'k3'] as const;
export type KlType = (typeof KL_ESTIMATORS)[number];

export interface KlOptions {
  /** Forward value of the estimator, gradient of k2 (verl 'k1+' / 'k3+'). [false] */
  readonly straightThrough?: boolean;
}

/** k3 clamps (verl): the log-ratio to ±20 before exp, the estimate to ±10. */
const K3_LOG_LIMIT = 20;
const K3_LIMIT = 10;

function forward(type: KlType, logp: tf.Tensor2D, refLogp: tf.Tensor2D): tf.Tensor {
  const d = tf.sub(logp, refLogp); // [B, T]
  switch (type) {
    case 'k1':
      return d;
    case 'abs':
      return tf.abs(d);
    case 'k2':
      return tf.mul(tf.square(d), 0.5);
    case 'k3': {
      const x = tf.clipByValue(tf.neg(d), -K3_LOG_LIMIT, K3_LOG_LIMIT); // [B, T] log(π_ref/π_θ)
      return tf.clipByValue(tf.sub(tf.sub(tf.exp(x), x), 1), -K3_LIMIT, K3_LIMIT); // [B, T]
    }
  }
}

/**
 * The estimator on host numbers (`KlEstimator.host`), for the fused cpu/wasm kernel: value and
 * ∂/∂logp as tfjs autodiff gives them — clamps pass the gradient on their closed interval
 * (clipByValue), |d|' = 1 for d > 0 and −1 otherwise (tfjs Abs: step(d, −1)); with `st` the
 * gradient is k2's, d. One loop per estimator, so each stays a tight loop.
 */
function hostForm(type: KlType, st: boolean): KlEstimatorHost {
  const L = K3_LOG_LIMIT;
  const K = K3_LIMIT;
  switch (type) {
    case 'k1':
      return {
        row(logp, refLogp, mask, start, end, grad, scale) {
          let total = 0;
          for (let k = start; k < end; k++) {
            const m = mask[k]!;
            if (m === 0) continue;
            const d = logp[k]! - refLogp[k]!;
            total += m * d;
            if (grad !== null) grad[k] = grad[k]! + scale * m * (st ? d : 1);
          }
          return total;
        },
      };
    case 'abs':
      return {
        row(logp, refLogp, mask, start, end, grad, scale) {
          let total = 0;
          for (let k = start; k < end; k++) {
            const m = mask[k]!;
            if (m === 0) continue;
            const d = logp[k]! - refLogp[k]!;
            total += m * Math.abs(d);
            if (grad !== null) grad[k] = grad[k]! + scale * m * (st ? d : d > 0 ? 1 : -1);
          }
          return total;
        },
      };
    case 'k2':
      return {
        row(logp, refLogp, mask, start, end, grad, scale) {
          let total = 0;
          for (let k = start; k < end; k++) {
            const m = mask[k]!;
            if (m === 0) continue;
            const d = logp[k]! - refLogp[k]!;
            total += m * 0.5 * d * d;
            if (grad !== null) grad[k] = grad[k]! + scale * m * d;
          }
          return total;
        },
      };
    case 'k3':
      return {
        row(logp, refLogp, mask, start, end, grad, scale) {
          let total = 0;
          for (let k = start; k < end; k++) {
            const m = mask[k]!;
            if (m === 0) continue;
            const d = logp[k]! - refLogp[k]!;
            let x = -d; // log(π_ref/π_θ)
            let dx = -1; // ∂x/∂logp
            if (x < -L) {
              x = -L;
              dx = 0;
            } else if (x > L) {
              x = L;
              dx = 0;
            }
            const e = hostExp(x);
            let v = e - x - 1;
            let dv = 1;
            if (v < -K) {
              v = -K;
              dv = 0;
            } else if (v > K) {
              v = K;
              dv = 0;
            }
            total += m * v;
            if (grad !== null) grad[k] = grad[k]! + scale * m * (st ? d : (e - 1) * dx * dv);
          }
          return total;
        },
      };
  }
}

function estimator(type: KlType, options: KlOptions): KlEstimator<KlOptions> {
  checkKeys(type, options, ['straightThrough']);
  const st = options.straightThrough ?? false;
  if (typeof st !== 'boolean')
    throw new ValidationError(`${type}.straightThrough`, 'a boolean', JSON.stringify(st));
  return {
    kind: 'kl',
    name: st ? `${type}+` : type,
    options: Object.freeze({ ...options }),
    perToken(logp, refLogp) {
      return tf.tidy(() => {
        const value = forward(type, logp, refLogp); // [B, T]
        if (!st || type === 'k2') return value as tf.Tensor2D;
        return straightThrough(value, forward('k2', logp, refLogp)) as tf.Tensor2D; // [B, T]
      });
    },
    host: hostForm(type, st),
  };
}

export const k1 = (options: KlOptions = {}) => estimator('k1', options);
export const absKl = (options: KlOptions = {}) => estimator('abs', options);
export const k2 = (options: KlOptions = {}) => estimator('k2', options);
export const k3 = (options: KlOptions = {}) => estimator('k3', options);

/** Factories by name (verl's names included), for `registry.registerAll('kl', klPlugins)`. */
export const klPlugins = {
  k1,
  abs: absKl,
  k2,
  k3,
  'k1+': (options: KlOptions = {}) => k1({ ...options, straightThrough: true }),
  'k3+': (options: KlOptions = {}) => k3({ ...options, straightThrough: true }),
  kl: k1,
  mse: k2,
  low_var_kl: k3,
} as const;
