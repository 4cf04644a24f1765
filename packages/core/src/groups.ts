/**
 * Per-group statistics on the backend, with no host loop: rows with equal group ids form a group,
 * and E = [g_i = g_j] (float32 [B, B]) turns every segment sum into one matMul, broadcast straight
 * back to the rows (E·x gives each row its group's sum). Works on every backend (wasm has no
 * UnsortedSegmentSum) and is differentiable. O(B²) memory, which is small for RL batches
 * (B = 4,096 rows → 64 MiB).
 */
import * as tf from '@tensorflow/tfjs';

/** E[i, j] = 1 when rows i and j share a group id: float32 [B, B]. */
export function sameGroupMatrix(groupIds: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() =>
    tf.cast(tf.equal(tf.expandDims(groupIds, 1), tf.expandDims(groupIds, 0)), 'float32'),
  ) as tf.Tensor2D;
}

export interface GroupStatsOptions {
  /** Divisor n − 1 (`unbiased`, verl/TRL default) or n (`biased`). */
  readonly std?: 'unbiased' | 'biased';
  /** Extra virtual samples added to every group's mean/std (NGRPO calibration). */
  readonly virtual?: { readonly count: number; readonly value: number };
}

export interface GroupStats {
  readonly mean: tf.Tensor1D; // [B] the row's group mean
  readonly std: tf.Tensor1D; // [B] the row's group std (0 when the divisor would be ≤ 0)
  readonly count: tf.Tensor1D; // [B] real rows in the row's group
}

/** Mean / std / size of each row's group, per row. values float32 [B], groupIds int32 [B]. */
export function groupStats(
  values: tf.Tensor1D,
  groupIds: tf.Tensor1D,
  opts: GroupStatsOptions = {},
): GroupStats {
  const ddof = (opts.std ?? 'unbiased') === 'unbiased' ? 1 : 0;
  const k = opts.virtual?.count ?? 0;
  const v = opts.virtual?.value ?? 0;
  return tf.tidy(() => {
    const E = sameGroupMatrix(groupIds); // [B, B]
    const col = tf.expandDims(values, 1); // [B, 1]
    const count = tf.sum(E, 1) as tf.Tensor1D; // [B]
    const n = tf.add(count, k); // [B]
    const sum = tf.add(tf.squeeze(tf.matMul(E, col), [1]), k * v); // [B]
    const mean = tf.div(sum, n) as tf.Tensor1D; // [B]
    const dev2 = tf.square(tf.sub(values, mean)); // [B] (x_j − μ_g)², μ_g is the same for all rows of g
    let ss = tf.squeeze(tf.matMul(E, tf.expandDims(dev2, 1)), [1]); // [B]
    if (k > 0) ss = tf.add(ss, tf.mul(tf.square(tf.sub(v, mean)), k));
    const denom = tf.sub(n, ddof);
    const std = tf.where(
      tf.greater(denom, 0),
      tf.sqrt(tf.div(ss, tf.maximum(denom, 1e-30))),
      tf.zerosLike(denom),
    ) as tf.Tensor1D;
    return { mean, std, count };
  });
}

/** Batch-level mean and std (over all rows) broadcast to [B], for TRL's `scale_rewards: 'batch'`. */
export function batchStats(
  values: tf.Tensor1D,
  std: 'unbiased' | 'biased' = 'unbiased',
): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  return tf.tidy(() => {
    const B = values.shape[0];
    const mean = tf.mean(values);
    const ss = tf.sum(tf.square(tf.sub(values, mean)));
    const d = std === 'unbiased' ? Math.max(B - 1, 1) : B;
    const s = tf.sqrt(tf.div(ss, d));
    return { mean: tf.fill([B], 0).add(mean) as tf.Tensor1D, std: tf.fill([B], 0).add(s) as tf.Tensor1D };
  });
}
