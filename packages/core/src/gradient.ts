/**
 * Gradient surgery, the tfjs spelling of PyTorch's `.detach()` tricks:
 * - `stopGradient(x)`: the value of x, gradient 0 (torch `x.detach()`).
 * - `straightThrough(value, surrogate)`: the value of `value`, the gradient of `surrogate`
 *   (torch `surrogate − surrogate.detach() + value.detach()`, exact in the forward pass: no
 *   float32 round-off from adding and subtracting the surrogate).
 * Used by GSPO's token-level sequence ratio, CISPO's stop-gradient weight and the `k1+`/`k3+` KL
 * estimators (verl `kl_penalty`).
 */
import * as tf from '@tensorflow/tfjs';

const stop = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as any) as (x: tf.Tensor) => tf.Tensor;

const through = tf.customGrad(((value: tf.Tensor, _surrogate: tf.Tensor) => ({
  value: tf.clone(value),
  gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy), dy],
})) as any) as (value: tf.Tensor, surrogate: tf.Tensor) => tf.Tensor;

/** The value of x with a zero gradient. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stop(x) as T;
}

/** The value of `value` with the gradient of `surrogate` (same shape). */
export function straightThrough<T extends tf.Tensor>(value: T, surrogate: tf.Tensor): T {
  if (value.shape.length !== surrogate.shape.length || value.shape.some((d, i) => d !== surrogate.shape[i]))
    throw new Error(
      `straightThrough: value ${JSON.stringify(value.shape)} and surrogate ${JSON.stringify(surrogate.shape)} differ in shape`,
    );
  return through(value, surrogate) as T;
}
