/**
 * Backend workarounds (SPEC §6), in one place:
 * - wasm: matMul with transpose flags is 10–18× slower than an explicit transpose, and tfjs's own
 *   BatchMatMul gradient uses the flags → a gradient that transposes explicitly on wasm
 *   (measured: a tiny-transformer training step 3.5 s → 0.8 s).
 * - wasm has no UnsortedSegmentSum, so the gradient of `tf.gather` throws → a GatherV2 gradient
 *   that scatters with oneHot·matMul on wasm.
 * - webgpu: `addN` with ≥ 8 inputs silently returns wrong values → `safeAddN` adds in chunks of 4.
 * Each fix checks the active backend when it runs, so other backends keep tfjs's own path.
 */
import * as tf from '@tensorflow/tfjs';

const onWasm = () => tf.getBackend() === 'wasm';

/** Swaps the last two axes. */
export function swapLast2(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return tf.transpose(x, perm);
}

/** matMul that never hands transpose flags to wasm (explicit transposes are much faster there). */
export function matMulT(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (!onWasm() || (!transposeA && !transposeB)) return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => tf.matMul(transposeA ? swapLast2(a) : a, transposeB ? swapLast2(b) : b));
}

let installed = false;

/** Installs the gradient overrides once (idempotent; called by `selectBackend`). */
export function installGradientFixes(): void {
  if (installed) return;
  installed = true;
  const mm = tf.getGradient('BatchMatMul');
  if (mm) {
    tf.registerGradient({
      ...mm,
      gradFunc: (dy, saved, attrs) => {
        if (!onWasm()) return mm.gradFunc(dy, saved, attrs);
        const [a, b] = saved as [tf.Tensor, tf.Tensor];
        const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
        const d = dy as tf.Tensor;
        if (!transposeA && !transposeB)
          return { a: () => tf.matMul(d, swapLast2(b)), b: () => tf.matMul(swapLast2(a), d) };
        if (!transposeA && transposeB)
          return { a: () => tf.matMul(d, b), b: () => tf.matMul(swapLast2(d), a) };
        if (transposeA && !transposeB)
          return { a: () => tf.matMul(b, swapLast2(d)), b: () => tf.matMul(a, d) };
        return { a: () => swapLast2(tf.matMul(d, b)), b: () => swapLast2(tf.matMul(a, d)) };
      },
    });
  }
  const gather = tf.getGradient('GatherV2');
  if (gather) {
    tf.registerGradient({
      ...gather,
      gradFunc: (dy, saved, attrs) => {
        const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
        if (!onWasm() || batchDims !== 0) return gather.gradFunc(dy, saved, attrs);
        const [x, indices] = saved as [tf.Tensor, tf.Tensor];
        return {
          x: () => scatterRows(x.shape, axis < 0 ? axis + x.rank : axis, indices, dy as tf.Tensor),
          indices: () => indices,
        };
      },
    });
  }
}

/** Gradient of gather along `axis`: Σ of dy slices into their source positions, via oneHot·matMul. */
function scatterRows(shape: number[], axis: number, indices: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const n = shape[axis]!;
    const k = indices.size;
    const outer = shape.slice(0, axis);
    const inner = shape.slice(axis + 1);
    const vals = tf.reshape(dy, [...outer, k, ...inner]);
    // bring the gathered axis to the front: [k, outer..., inner...]
    const perm = [outer.length, ...outer.map((_, i) => i), ...inner.map((_, i) => outer.length + 1 + i)];
    const front = tf.reshape(tf.transpose(vals, perm), [k, -1]); // [k, rest]
    const oh = oneHotF(tf.reshape(tf.cast(indices, 'int32'), [k]), n); // [k, n]
    const summed = tf.matMul(swapLast2(oh) as tf.Tensor2D, front); // [n, rest]
    const back = tf.reshape(summed, [n, ...outer, ...inner]);
    const inv = perm.map((_, i) => perm.indexOf(i));
    return tf.transpose(back, inv);
  });
}

/**
 * float32 one-hot. (tfjs-wasm 4.22's OneHot ignores the dtype argument and returns int32 bits, so
 * `tf.oneHot(ids, n, 1, 0, 'float32')` reads as 1.4e-45 there; cast instead.)
 */
export function oneHotF(ids: tf.Tensor, n: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.cast(ids, 'int32'), n), 'float32'));
}

/** Embedding lookup `table[ids]` with a gradient on every backend: oneHot(ids)·table. ids int32 [...]. */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [V, d] = table.shape;
    const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
    const out = tf.matMul(oneHotF(flat, V), table); // [N, d]
    return tf.reshape(out, [...ids.shape, d]);
  });
}

/** x[..., ids] along the last axis: x float32 [..., V], ids int32 [...] → [...]. Differentiable. */
export function pickLastAxis(x: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.mul(x, oneHotF(ids, x.shape[x.rank - 1]!)), -1));
}

/** Sum of tensors, adding at most 4 at a time (webgpu addN with ≥ 8 inputs is wrong in tfjs 4.22). */
export function safeAddN<T extends tf.Tensor>(xs: T[]): T {
  if (xs.length === 0) throw new RangeError('safeAddN: nothing to add');
  return tf.tidy(() => {
    let acc = xs.slice() as tf.Tensor[];
    while (acc.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < acc.length; i += 4) {
        const chunk = acc.slice(i, i + 4);
        next.push(chunk.length === 1 ? chunk[0]! : tf.addN(chunk));
      }
      acc = next;
    }
    return acc[0] as T;
  });
}
