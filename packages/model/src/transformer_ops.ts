/**
 * LayerNorm and tanh-GELU, the two element-wise blocks of the transformer.
 *   LN(x) = (x − μ)/√(σ² + ε)·γ + β over the last axis, ε = 1e-5 (PyTorch nn.LayerNorm),
 *   gelu(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))   (Hendrycks & Gimpel, arXiv 1606.08415;
 *   PyTorch `F.gelu(approximate="tanh")`, GPT-2).
 */
import * as tf from '@tensorflow/tfjs';

export const LN_EPS = 1e-5;

/** LayerNorm over the last axis. x [..., d], γ, β [d]. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const xc = tf.sub(x, mean);
  const inv = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), LN_EPS));
  return tf.add(tf.mul(tf.mul(xc, inv), gamma), beta);
}

const C = Math.sqrt(2 / Math.PI);

/** tanh-approximated GELU. */
export function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), 0.044715)), C);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}
