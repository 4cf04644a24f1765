/** LogitsSource helpers: restricted-vocabulary logits without a [B, T, V] softmax. */
import * as tf from '@tensorflow/tfjs';
import type { LogitsSource } from './batch.js';

/** From dense logits float32 [B, T, V] (tests, small vocabularies). Owns `lse`; not the logits. */
export function denseLogits(logits: tf.Tensor3D): LogitsSource {
  const lse = tf.tidy(() => tf.logSumExp(logits, -1)) as tf.Tensor2D; // [B, T]
  return {
    vocabSize: logits.shape[2],
    lse,
    at: (rows, ids) => tf.tidy(() => tf.gather(tf.gather(logits, rows, 0), ids, 2)) as tf.Tensor3D, // [n, T, K]
    dispose: () => lse.dispose(),
  };
}

/**
 * From an LM head: logits = hidden · W (+ b), W float32 [d, V]. Only the K requested columns are
 * ever multiplied; lse is computed in row chunks so a [B, T, V] tensor never exists at once.
 */
export function headLogits(
  hidden: tf.Tensor3D,
  weight: tf.Tensor2D,
  bias?: tf.Tensor1D,
  opts: { chunkRows?: number } = {},
): LogitsSource {
  const [B, T, d] = hidden.shape;
  const V = weight.shape[1];
  const chunk = Math.max(1, opts.chunkRows ?? Math.max(1, Math.floor(4_000_000 / Math.max(1, T * V))));
  const parts: tf.Tensor2D[] = [];
  for (let r = 0; r < B; r += chunk) {
    const n = Math.min(chunk, B - r);
    parts.push(
      tf.tidy(() => {
        const h = tf.reshape(tf.slice(hidden, [r, 0, 0], [n, T, d]), [n * T, d]);
        let z = tf.matMul(h, weight); // [n·T, V]
        if (bias) z = tf.add(z, bias);
        return tf.reshape(tf.logSumExp(z, -1), [n, T]) as tf.Tensor2D;
      }),
    );
  }
  const lse = parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D);
  if (parts.length > 1) parts.forEach((p) => p.dispose());
  return {
    vocabSize: V,
    lse,
    at: (rows, ids) =>
      tf.tidy(() => {
        const h = tf.gather(hidden, rows, 0); // [n, T, d]
        const n = h.shape[0];
        let z = tf.matMul(tf.reshape(h, [n * T, d]), tf.gather(weight, ids, 1)); // [n·T, K]
        if (bias) z = tf.add(z, tf.gather(bias, ids));
        return tf.reshape(z, [n, T, ids.shape[0]]) as tf.Tensor3D;
      }),
    dispose: () => lse.dispose(),
  };
}
