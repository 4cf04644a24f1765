/**
 * Token ids must lie in [0, V). Where a synchronous read exists (cpu, wasm) the ids are checked on
 * the host and a bad one throws; webgpu in Node has no synchronous read, so there the check stays on
 * the backend: a row holding an id outside [0, V) gets NaN log-probabilities (an out-of-range gather
 * would otherwise give a finite, wrong number).
 */
import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '@grpo-lab/core';

/** True where `checkIdsOnHost` cannot read synchronously and `poisonBadRows` must be used instead. */
export function idsCheckedOnBackend(): boolean {
  return tf.getBackend() === 'webgpu';
}

/** Throws a ValidationError naming the first id outside [0, V) (one synchronous read; not for webgpu). */
export function checkIdsOnHost(field: string, t: tf.Tensor, V: number): void {
  const ids = t.dataSync();
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (!(v >= 0 && v < V && Number.isInteger(v)))
      throw new ValidationError(field, `token ids in [0, ${V})`, `${v} at flat index ${i}`);
  }
}

/** logp [B, T] with NaN in every row whose tokens (int32 [B, S]) hold an id outside [0, V). Call inside tidy. */
export function poisonBadRows(logp: tf.Tensor2D, tokens: tf.Tensor2D, V: number): tf.Tensor2D {
  const ok = tf.all(tf.logicalAnd(tf.greaterEqual(tokens, 0), tf.less(tokens, V)), 1); // bool [B]
  const nanIfBad = tf.where(ok, tf.zeros(ok.shape), tf.fill(ok.shape, NaN)); // [B]
  return tf.add(logp, tf.expandDims(nanIfBad, 1)); // [B, T]
}
