/**
 * Helpers for host kernels: plain loops over a tensor's numbers on the backends whose tensors live
 * in host memory (cpu, wasm), where one such loop replaces several backend kernels (each a pass over
 * the data) and the autodiff graph. Never on webgpu (or any GPU backend): `dataSync` stalls or, on
 * webgpu in Node, throws.
 */
import * as tf from '@tensorflow/tfjs';

const HOST_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/** Whether `backend` [the active one] keeps tensors in host memory (cpu, wasm). */
export function isHostBackend(backend: string = tf.getBackend()): boolean {
  return HOST_BACKENDS.has(backend);
}

/**
 * A float32 tensor's values without a copy where the backend allows it: wasm keeps them in its heap
 * and `typedArrayFromHeap` views them; elsewhere `dataSync()` (the cpu backend returns its own
 * array). Read-only, and a wasm view is valid only until the next wasm allocation (any tensor op),
 * so read it in a synchronous loop and let it go.
 */
export function hostValues(t: tf.Tensor): Float32Array {
  const be = tf.backend() as {
    dataIdMap?: { has(id: object): boolean };
    typedArrayFromHeap?: (t: tf.TensorInfo) => Float32Array;
  };
  if (t.dtype === 'float32' && typeof be.typedArrayFromHeap === 'function' && be.dataIdMap?.has(t.dataId))
    return be.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array;
}

/** e^(n/32) for n = −640..640 (|x| ≤ 20). */
const EXP_TABLE = Float64Array.from({ length: 1281 }, (_, i) => Math.exp((i - 640) / 32));
const ROUND = 6755399441055744; // 1.5·2⁵²: x + ROUND − ROUND rounds x to an integer

/**
 * e^x for host loops: on |x| ≤ 20 (the clamps of the log-ratio and of k3) a table of e^(n/32) times
 * a degree-4 Taylor polynomial of e^r, |r| ≤ 1/64 (relative error < 1e-11), inlined by the JIT
 * where Math.exp is a C call; Math.exp elsewhere.
 */
export function hostExp(x: number): number {
  if (!(x >= -20 && x <= 20)) return Math.exp(x);
  const n = x * 32 + ROUND - ROUND;
  const r = x - n * 0.03125;
  return EXP_TABLE[(n | 0) + 640]! * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24)))));
}
