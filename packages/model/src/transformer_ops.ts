/**
 * LayerNorm and tanh-GELU, the two element-wise blocks of the transformer.
 *   LN(x) = (x − μ)/√(σ² + ε)·γ + β over the last axis, ε = 1e-5 (PyTorch nn.LayerNorm),
 *   gelu(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))   (Hendrycks & Gimpel, arXiv 1606.08415;
 *   PyTorch `F.gelu(approximate="tanh")`, GPT-2).
 * Both carry analytic gradients (tf.customGrad): autodiff through their element-wise chains
 * records about twice as many kernels, each a full pass over the activations.
 *   LN:   x̂ = (x − μ)·r, r = 1/√(σ² + ε);  ∂γ = Σ dy·x̂,  ∂β = Σ dy,
 *         ∂x = r·(g − mean(g) − x̂·mean(g·x̂)),  g = dy·γ   (means over the last axis)
 *   gelu: ½(1 + tanh u) = σ(2u), so gelu(x) = x·s with s = σ(2u), u = √(2/π)(x + 0.044715x³), and
 *         gelu′(x) = s + x·s(1 − s)·2√(2/π)(1 + 3·0.044715x²).
 * The sigmoid form is the same function; on wasm `Sigmoid` is a vectorised kernel where `Tanh` is not.
 */
import * as tf from '@tensorflow/tfjs';

export const LN_EPS = 1e-5;

type Grad = Parameters<typeof tf.customGrad>[0];

const lnGrad = tf.customGrad(((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
  const mean = tf.mean(x, -1, true);
  const xc = tf.sub(x, mean);
  const inv = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), LN_EPS));
  const xhat = tf.mul(xc, inv);
  save([xhat, inv, gamma]);
  return {
    value: tf.add(tf.mul(xhat, gamma), beta),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xh, r, g0] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const d = g0.shape[0]!;
      const g = tf.mul(dy, g0);
      const a = tf.mean(g, -1, true);
      const b = tf.mean(tf.mul(g, xh), -1, true);
      const dx = tf.mul(tf.sub(tf.sub(g, a), tf.mul(xh, b)), r);
      const dGamma = tf.sum(tf.reshape(tf.mul(dy, xh), [-1, d]), 0);
      const dBeta = tf.sum(tf.reshape(dy, [-1, d]), 0);
      return [dx, dGamma, dBeta];
    },
  };
}) as unknown as Grad) as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

/** LayerNorm over the last axis. x [..., d], γ, β [d]. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor {
  return lnGrad(x, gamma, beta);
}

const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;

const geluGrad = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(x2, 2 * C * A), 2 * C))); // σ(2u)
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [x0, sq, s0] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const du = tf.add(tf.mul(sq, 6 * C * A), 2 * C); // d(2u)/dx
      const ds = tf.mul(tf.mul(s0, tf.sub(1, s0)), tf.mul(x0, du)); // x·σ′(2u)·d(2u)/dx
      return [tf.mul(dy, tf.add(s0, ds))];
    },
  };
}) as unknown as Grad) as (x: tf.Tensor) => tf.Tensor;

/** tanh-approximated GELU. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return geluGrad(x);
}
