/**
 * The shape every estimator here shares: validate the batch with core's `checkBatch`, compute one
 * value per row (float32 [B]) inside `tf.tidy`, broadcast it over the mask → float32 [B, T]
 * (verl's convention: the per-sequence scalar × response_mask). Plus verl's rule for a group of one
 * row, used by every group-baselined estimator: no peers, so μ = 0 and σ = 1.
 */
import * as tf from '@tensorflow/tfjs';
import { broadcastRows, checkBatch, type AdvantageEstimator, type AdvantageInput } from '@grpo-lab/core';

/** Builds the plain estimator object; `rowValues` runs inside `tf.tidy` on a checked batch. */
export function perSequence<O extends object>(
  name: string,
  options: O,
  rowValues: (batch: AdvantageInput) => tf.Tensor1D, // → [B]
  post?: (advantages: tf.Tensor2D, mask: tf.Tensor2D) => tf.Tensor2D, // [B, T] → [B, T]
): AdvantageEstimator<O> {
  return {
    kind: 'advantage',
    name,
    options: Object.freeze({ ...options }),
    compute(batch) {
      checkBatch(batch);
      return tf.tidy(() => {
        const adv = broadcastRows(rowValues(batch), batch.mask); // [B, T]
        return post ? post(adv, batch.mask) : adv;
      });
    },
  };
}

/** verl's singleton rule: where a group has one real row, its mean is 0 and its std is 1. */
export function singletonRule(
  mean: tf.Tensor1D, // [B]
  std: tf.Tensor1D, // [B]
  count: tf.Tensor1D, // [B] real rows in the row's group
): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  return tf.tidy(() => {
    const single = tf.equal(count, 1); // [B] bool
    return {
      mean: tf.where(single, tf.zerosLike(mean), mean) as tf.Tensor1D, // [B]
      std: tf.where(single, tf.onesLike(std), std) as tf.Tensor1D, // [B]
    };
  });
}
