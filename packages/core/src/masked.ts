/**
 * Masked reductions: the primitives every plugin is built from (tinygrad-style: few, tested).
 * Masked positions may hold any value (even NaN/Inf); `where` keeps them out of every result and
 * out of every gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { hostValues, isHostBackend } from './host.js';

/** x at valid positions, 0 elsewhere. x, mask: same shape. */
export function applyMask<T extends tf.Tensor>(x: T, mask: tf.Tensor): T {
  return tf.tidy(() => tf.where(tf.greater(mask, 0), x, tf.zerosLike(x))) as T;
}

/** Σ x·m over `axis` (all axes when omitted). */
export function maskedSum(x: tf.Tensor, mask: tf.Tensor, axis?: number | number[]): tf.Tensor {
  return tf.tidy(() => tf.sum(applyMask(x, mask), axis));
}

/** Σ m over `axis`. */
export function maskCount(mask: tf.Tensor, axis?: number | number[]): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.cast(tf.greater(mask, 0), 'float32'), axis));
}

/** Σ x·m / Σ m over `axis`; 0 where Σ m = 0 (an empty row never divides by zero). */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor, axis?: number | number[]): tf.Tensor {
  return tf.tidy(() => tf.div(maskedSum(x, mask, axis), tf.maximum(maskCount(mask, axis), 1)));
}

/** Masked variance over all valid positions; unbiased (n − 1) by default, as verl `masked_var`. */
export function maskedVar(x: tf.Tensor, mask: tf.Tensor, unbiased = true): tf.Scalar {
  return tf.tidy(() => {
    x = applyMask(x, mask); // garbage out first, so no NaN/Inf reaches the gradient of the mean
    const mean = maskedMean(x, mask);
    const n = maskCount(mask);
    const ss = maskedSum(tf.square(tf.sub(x, mean)), mask);
    const denom = unbiased ? tf.maximum(tf.sub(n, 1), 1) : tf.maximum(n, 1);
    return tf.div(ss, denom) as tf.Scalar;
  });
}

/**
 * Whitening over all valid positions (verl `masked_whiten`): (x − μ)·rsqrt(var + eps), unbiased var.
 * With `shiftMean: false` the mean is added back. Masked positions come out 0.
 */
export function maskedWhiten(
  x: tf.Tensor,
  mask: tf.Tensor,
  opts: { shiftMean?: boolean; eps?: number } = {},
): tf.Tensor {
  const { shiftMean = true, eps = 1e-8 } = opts;
  return tf.tidy(() => {
    x = applyMask(x, mask); // garbage out first (see maskedVar)
    const mean = maskedMean(x, mask);
    const v = maskedVar(x, mask, true);
    let w = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(v, eps)));
    if (!shiftMean) w = tf.add(w, mean);
    return applyMask(w, mask);
  });
}

/** Mean over valid positions of a 0/1 indicator, as a scalar (clip fractions and the like). */
export function maskedFraction(indicator: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => maskedMean(tf.cast(indicator, 'float32'), mask) as tf.Scalar);
}

/** log r = clamp(logp − oldLogp, −limit, limit); the clamp's gradient is 0 where it is active. */
export function clampedLogRatio(logp: tf.Tensor, oldLogp: tf.Tensor, limit = 20): tf.Tensor {
  return tf.tidy(() => tf.clipByValue(tf.sub(logp, oldLogp), -limit, limit));
}

/**
 * `broadcastRows` on the host (cpu, wasm; no gradient tape recording): one pass instead of four
 * [B, T] kernels (wasm's Greater and Select alone take ≈ 1.5 ms at 256 × 1024).
 */
function broadcastRowsHost(values: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = mask.shape;
  const v = values.dataSync();
  const out = new Float32Array(B * T);
  const m = hostValues(mask); // may view wasm's heap: no tensor op until the loop is done
  for (let b = 0; b < B; b++) {
    const x = v[b]!;
    const end = (b + 1) * T;
    // runs of valid positions, each filled at once (a prefix mask is one run)
    for (let k = b * T; k < end;) {
      while (k < end && !(m[k]! > 0)) k++;
      const run = k;
      while (k < end && m[k]! > 0) k++;
      if (k > run) out.fill(x, run, k);
    }
  }
  return tf.tensor2d(out, [B, T]);
}

/** Row-wise per-sequence values [B] broadcast over the mask → [B, T] (0 where the mask is not > 0). */
export function broadcastRows(values: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor2D {
  if (isHostBackend() && !tf.engine().isTapeOn() && mask.dtype === 'float32')
    return broadcastRowsHost(values, mask);
  return tf.tidy(() => applyMask(tf.mul(tf.expandDims(values, 1), tf.onesLike(mask)), mask) as tf.Tensor2D);
}
