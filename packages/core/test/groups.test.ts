/** Per-group statistics on the backend against a brute-force loop (unequal groups, virtual samples). */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { batchStats, createRng, groupStats, sameGroupMatrix } from '@grpo-lab/core';
import { TEST_BACKENDS, expectCloseTo, read, useBackend } from '../../../testing/index.js';

/** Loop reference: per row, the mean / std / size of its group (+ k virtual samples of value v). */
function loopStats(x: number[], ids: number[], ddof: number, k = 0, v = 0) {
  return x.map((_, i) => {
    const g = ids.flatMap((id, j) => (id === ids[i] ? [x[j]!] : []));
    const all = [...g, ...Array<number>(k).fill(v)];
    const mean = all.reduce((s, y) => s + y, 0) / all.length;
    const d = all.length - ddof;
    const std = d > 0 ? Math.sqrt(all.reduce((s, y) => s + (y - mean) ** 2, 0) / d) : 0;
    return { mean, std, count: g.length };
  });
}

function randomGroups(seed: number) {
  const rng = createRng(seed);
  const ids: number[] = [];
  const nGroups = 1 + rng.int(6);
  for (let g = 0; g < nGroups; g++) for (let n = 1 + rng.int(7); n > 0; n--) ids.push(rng.int(1000) * 7 + g); // distinct ids
  rng.shuffle(ids);
  return { ids, x: ids.map(() => rng.normal() * 2) };
}

for (const backend of TEST_BACKENDS) {
  describe(`groupStats on ${backend}`, () => {
    it('hand-computed: unequal groups, a singleton, interleaved rows', async () => {
      await useBackend(backend);
      const ids = tf.tensor1d([5, 2, 5, 2, 5, 9], 'int32');
      const x = tf.tensor1d([1, 10, 2, 20, 3, 7]);
      const s = groupStats(x, ids);
      expect(await read(s.mean)).toEqual([2, 15, 2, 15, 2, 7]);
      expectCloseTo(await read(s.std), [1, Math.sqrt(50), 1, Math.sqrt(50), 1, 0]);
      expect(await read(s.count)).toEqual([3, 2, 3, 2, 3, 1]);
      const b = groupStats(x, ids, { std: 'biased' });
      expectCloseTo(await read(b.std), [Math.sqrt(2 / 3), 5, Math.sqrt(2 / 3), 5, Math.sqrt(2 / 3), 0]);
      expect(await read(sameGroupMatrix(tf.tensor1d([1, 2, 1], 'int32')))).toEqual([
        1, 0, 1, 0, 1, 0, 1, 0, 1,
      ]);
    });

    it('matches a brute-force loop on random unequal groups (unbiased, biased, virtual samples)', async () => {
      await useBackend(backend);
      for (let seed = 0; seed < 8; seed++) {
        const { ids, x } = randomGroups(seed);
        const opts = [
          { std: 'unbiased', ddof: 1, k: 0, v: 0 },
          { std: 'biased', ddof: 0, k: 0, v: 0 },
          { std: 'unbiased', ddof: 1, k: 1, v: 1 },
          { std: 'biased', ddof: 0, k: 3, v: -2.5 },
        ] as const;
        for (const o of opts) {
          const s = groupStats(tf.tensor1d(x), tf.tensor1d(ids, 'int32'), {
            std: o.std,
            virtual: o.k ? { count: o.k, value: o.v } : undefined,
          });
          const ref = loopStats(x, ids, o.ddof, o.k, o.v);
          const tag = `seed ${seed} ${o.std} k=${o.k}`;
          expectCloseTo(
            await read(s.mean),
            ref.map((r) => r.mean),
            1e-5,
            `${tag} mean`,
          );
          expectCloseTo(
            await read(s.std),
            ref.map((r) => r.std),
            1e-5,
            `${tag} std`,
          );
          expect(await read(s.count), tag).toEqual(ref.map((r) => r.count));
        }
      }
    });

    it('is differentiable (d Σ mean / d x = 1 per row) and leaks nothing', async () => {
      await useBackend(backend);
      const ids = tf.tensor1d([0, 0, 1, 1, 1], 'int32');
      const g = tf.grad((x: tf.Tensor) => tf.sum(groupStats(x as tf.Tensor1D, ids).mean))(
        tf.tensor1d([1, 2, 3, 4, 5]),
      );
      expectCloseTo(await read(g), [1, 1, 1, 1, 1]);
      const x = tf.tensor1d([1, 2, 3, 4, 5]);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) {
        const s = groupStats(x, ids, { virtual: { count: 1, value: 1 } });
        tf.dispose([s.mean, s.std, s.count]);
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it('host shortcut (no tape) = tensor formulation (under a tape); sameGroupMatrix on any int32 ids', async () => {
      await useBackend(backend);
      // under a recording tape groupStats stays on tensors (differentiable); outside it, on cpu and
      // wasm, it is computed on the host: both must give the same statistics
      const underTape = (f: () => tf.Tensor[]): tf.Tensor[] => {
        let out: tf.Tensor[] = [];
        const g = tf.grad((z: tf.Tensor) => {
          out = f().map((t) => tf.keep(t));
          return tf.sum(z);
        })(tf.scalar(0));
        g.dispose();
        return out;
      };
      for (let seed = 0; seed < 4; seed++) {
        const { ids, x } = randomGroups(seed + 20);
        const xs = tf.tensor1d(x);
        const is = tf.tensor1d(ids, 'int32');
        for (const o of [{}, { std: 'biased' as const }, { virtual: { count: 2, value: 0.5 } }]) {
          const host = groupStats(xs, is, o);
          const tensor = underTape(() => {
            const s = groupStats(xs, is, o);
            return [s.mean, s.std, s.count];
          });
          expectCloseTo(await read(host.mean), await read(tensor[0]!), 1e-6, `seed ${seed} mean`);
          expectCloseTo(await read(host.std), await read(tensor[1]!), 1e-6, `seed ${seed} std`);
          expect(await read(host.count)).toEqual(await read(tensor[2]!));
          tf.dispose([host.mean, host.std, host.count, ...tensor]);
        }
      }
      const big = [2 ** 30, -5, 2 ** 30 + 1, -5, 2 ** 30, 0];
      const E = await read(sameGroupMatrix(tf.tensor1d(big, 'int32')));
      expect(E).toEqual(big.flatMap((a) => big.map((b) => (a === b ? 1 : 0))));
    });

    it('batchStats: batch mean and std broadcast to every row', async () => {
      await useBackend(backend);
      const x = tf.tensor1d([1, 2, 3, 6]);
      const u = batchStats(x);
      expect(await read(u.mean)).toEqual([3, 3, 3, 3]);
      expectCloseTo(await read(u.std), Array(4).fill(Math.sqrt(14 / 3)));
      expectCloseTo(await read(batchStats(x, 'biased').std), Array(4).fill(Math.sqrt(14 / 4)));
      expect(await read(batchStats(tf.tensor1d([4])).std)).toEqual([0]);
    });
  });
}
