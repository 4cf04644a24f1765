/**
 * Backend workarounds: matMulT and the overridden BatchMatMul / GatherV2 gradients on wasm equal
 * tfjs's own cpu gradients (all four transpose-flag combinations, 2D and batched 3D);
 * embeddingLookup / pickLastAxis gradients; oneHotF; safeAddN.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  createRng,
  embeddingLookup,
  matMulT,
  oneHotF,
  pickLastAxis,
  safeAddN,
  swapLast2,
} from '@grpo-lab/core';
import { TEST_BACKENDS, expectCloseTo, read, useBackend } from '../../../testing/index.js';

const rng = createRng(11);
const rand = (shape: number[]) => ({
  shape,
  v: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
});
type Host = ReturnType<typeof rand>;
const T = (h: Host) => tf.tensor(h.v, h.shape);

/** Value and gradients (w.r.t. a and b) of Σ w ⊙ mm(a, b) on the active backend. */
async function mmGrads(mm: typeof matMulT, a: Host, b: Host, ta: boolean, tb: boolean, w: Host) {
  const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(mm(x, y, ta, tb), T(w)));
  const out = await read(mm(T(a), T(b), ta, tb));
  const [ga, gb] = tf.grads(f)([T(a), T(b)]);
  return { out, ga: await read(ga!), gb: await read(gb!) };
}

/** Shapes of a, b, out for m×k · k×n with the given flags and batch dims. */
function shapes(batch: number[], ta: boolean, tb: boolean) {
  const [m, k, n] = [3, 4, 5];
  return {
    a: rand([...batch, ...(ta ? [k, m] : [m, k])]),
    b: rand([...batch, ...(tb ? [n, k] : [k, n])]),
    w: rand([...batch, m, n]),
  };
}

describe('matMul on wasm vs tfjs cpu', () => {
  for (const batch of [[], [2]]) {
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      it(`${batch.length ? 'batched 3D' : '2D'}, transposeA=${ta}, transposeB=${tb}`, async () => {
        const { a, b, w } = shapes(batch, ta, tb);
        await useBackend('cpu');
        const ref = await mmGrads(tf.matMul as typeof matMulT, a, b, ta, tb, w);
        await useBackend('wasm');
        const viaFlags = await mmGrads(tf.matMul as typeof matMulT, a, b, ta, tb, w); // the overridden gradient
        const viaT = await mmGrads(matMulT, a, b, ta, tb, w);
        for (const got of [viaFlags, viaT]) {
          expectCloseTo(got.out, ref.out, 1e-5, 'value');
          expectCloseTo(got.ga, ref.ga, 1e-5, 'd/da');
          expectCloseTo(got.gb, ref.gb, 1e-5, 'd/db');
        }
      });
    }
  }
});

describe('gather gradient on wasm vs tfjs cpu', () => {
  const cases: [string, number[], number[], number[], number][] = [
    ['axis 0, repeated ids', [4, 3], [3], [0, 2, 2], 0],
    ['axis 1', [2, 5, 3], [4], [4, 0, 4, 1], 1],
    ['axis 0, 2D ids', [5, 2], [2, 3], [1, 1, 0, 4, 3, 1], 0],
    ['negative axis', [3, 4], [2], [3, 3], -1],
  ];
  for (const [name, xShape, idShape, ids, axis] of cases) {
    it(name, async () => {
      const x = rand(xShape);
      const run = async () => {
        const idx = tf.tensor(ids, idShape, 'int32');
        const out = tf.gather(T(x), idx, axis);
        const w = tf.tensor(
          Array.from({ length: out.size }, (_, i) => (i % 7) - 3),
          out.shape,
        );
        return read(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx, axis), w)))(T(x)));
      };
      await useBackend('cpu');
      const ref = await run();
      await useBackend('wasm');
      expectCloseTo(await run(), ref, 1e-6, name);
    });
  }
});

for (const backend of TEST_BACKENDS) {
  describe(`ops on ${backend}`, () => {
    it('embeddingLookup: values and the scatter-add gradient', async () => {
      await useBackend(backend);
      const table = tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const ids = tf.tensor2d(
        [
          [2, 0],
          [2, 2],
        ],
        [2, 2],
        'int32',
      );
      const out = embeddingLookup(table, ids);
      expect(out.shape).toEqual([2, 2, 2]);
      expect(await read(out)).toEqual([5, 6, 1, 2, 5, 6, 5, 6]);
      const w = tf.tensor3d([
        [
          [1, 10],
          [2, 20],
        ],
        [
          [3, 30],
          [4, 40],
        ],
      ]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), w)))(table);
      expect(await read(g)).toEqual([2, 20, 0, 0, 8, 80]); // row 0 ← (2, 20); row 2 ← (1+3+4, 10+30+40)
    });

    it('pickLastAxis: values and a one-hot gradient', async () => {
      await useBackend(backend);
      const x = tf.tensor3d([
        [
          [0.1, 0.2, 0.3],
          [1, 2, 3],
        ],
      ]); // [1, 2, 3]
      const ids = tf.tensor2d([[2, 0]], [1, 2], 'int32');
      expectCloseTo(await read(pickLastAxis(x, ids)), [0.3, 1]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pickLastAxis(t, ids), tf.tensor2d([[5, 7]]))))(x);
      expect(await read(g)).toEqual([0, 0, 5, 7, 0, 0]);
    });

    it('oneHotF is float32 with real ones; swapLast2 swaps the last two axes', async () => {
      await useBackend(backend);
      const oh = oneHotF(tf.tensor1d([1, 0], 'int32'), 3);
      expect(oh.dtype).toBe('float32');
      expect(await read(oh)).toEqual([0, 1, 0, 1, 0, 0]);
      const s = swapLast2(
        tf.tensor3d([
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
        ]),
      );
      expect(s.shape).toEqual([1, 3, 2]);
      expect(await read(s)).toEqual([1, 4, 2, 5, 3, 6]);
    });

    it('safeAddN: any number of inputs, values as tf.addN on cpu', async () => {
      await useBackend(backend);
      for (const n of [1, 3, 4, 5, 8, 13]) {
        const xs = Array.from({ length: n }, (_, i) => tf.tensor1d([i, 2 * i, -i]));
        expect(await read(safeAddN(xs)), `n=${n}`).toEqual([1, 2, -1].map((c) => (c * n * (n - 1)) / 2));
      }
      expect(() => safeAddN([])).toThrow(/nothing to add/);
      const before = tf.memory().numTensors;
      const xs = Array.from({ length: 9 }, () => tf.ones([2]));
      safeAddN(xs).dispose();
      tf.dispose(xs);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
