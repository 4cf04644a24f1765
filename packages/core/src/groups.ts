/**
 * Per-group statistics on the backend, with no host loop: rows with equal group ids form a group,
 * and E = [g_i = g_j] (float32 [B, B]) turns every segment sum into one matMul, broadcast straight
 * back to the rows (E·x gives each row its group's sum). Works on every backend (wasm has no
 * UnsortedSegmentSum) and is differentiable. O(B²) memory, which is small for RL batches
 * (B = 4,096 rows → 64 MiB).
 */
import * as tf from '@tensorflow/tfjs';
import { isHostBackend } from './host.js';

/**
 * E[i, j] = 1 when rows i and j share a group id: float32 [B, B]. On the cpu and wasm backends it
 * is filled on the host from the B ids: wasm's broadcasting Equal ([B, 1] vs [1, B]) takes about
 * 4 ms at B = 256, more than all the rest of a GRPO advantage.
 */
export function sameGroupMatrix(groupIds: tf.Tensor1D): tf.Tensor2D {
  if (isHostBackend()) {
    const ids = groupIds.dataSync();
    const B = ids.length;
    const E = new Float32Array(B * B);
    for (let i = 0; i < B; i++) {
      const g = ids[i];
      for (let j = 0; j < B; j++) if (ids[j] === g) E[i * B + j] = 1;
    }
    return tf.tensor2d(E, [B, B]);
  }
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

/**
 * `groupStats` on the host, in float64, for the cpu and wasm backends when no gradient tape is
 * recording (the statistics are then constants): B numbers in, three [B] tensors out, instead of
 * about fifteen backend kernels (each ≈ 20 µs of tfjs overhead on wasm at B = 256).
 */
function groupStatsHost(values: tf.Tensor1D, groupIds: tf.Tensor1D, ddof: number, k: number, v: number) {
  const x = values.dataSync();
  const ids = groupIds.dataSync();
  const B = ids.length;
  const slot = new Map<number, number>();
  const g = new Int32Array(B); // row → group index
  const sum = new Float64Array(B); // per group (at most B groups)
  const count = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    let j = slot.get(ids[i]!);
    if (j === undefined) slot.set(ids[i]!, (j = slot.size));
    g[i] = j;
    sum[j] = sum[j]! + x[i]!;
    count[j] = count[j]! + 1;
  }
  const mean = sum.map((s, j) => (s + k * v) / (count[j]! + k));
  const ss = mean.map((m) => k * (v - m) * (v - m));
  for (let i = 0; i < B; i++) {
    const j = g[i]!;
    ss[j] = ss[j]! + (x[i]! - mean[j]!) ** 2;
  }
  const std = ss.map((q, j) => {
    const d = count[j]! + k - ddof;
    return d > 0 ? Math.sqrt(q / Math.max(d, 1e-30)) : 0;
  });
  const perRow = (a: Float64Array) => tf.tensor1d(Float32Array.from(g, (j) => a[j]!));
  return { mean: perRow(mean), std: perRow(std), count: perRow(count) };
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
  if (isHostBackend() && !tf.engine().isTapeOn()) return groupStatsHost(values, groupIds, ddof, k, v);
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
