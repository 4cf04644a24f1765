/**
 * The batch contract: checkBatch (shapes/dtypes, no host read), validateBatch (values) and
 * batchFromHost (host arrays) throw a ValidationError naming the field and the expected shape.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  ValidationError,
  batchFromHost,
  checkBatch,
  denseLogits,
  disposeBatch,
  validateBatch,
  type Batch,
  type HostBatch,
} from '@grpo-lab/core';
import { useBackend } from '../../../testing/index.js';

const host = (): HostBatch => ({
  groupIds: [0, 0, 1],
  rewards: [1, 0, 0.5],
  mask: [
    [1, 1, 0],
    [1, 0, 0],
    [0, 0, 0],
  ],
  logp: [
    [-1, -2, 99],
    [-0.5, 7, 7],
    [3, 3, 3],
  ],
});

/** Runs `f`, expects a ValidationError on `field` whose message matches `msg`. */
async function expectInvalid(f: () => unknown, field: string, msg: RegExp): Promise<void> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ValidationError on ${field}`).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).field).toBe(field);
  expect((err as Error).message).toMatch(msg);
}

describe('batch contract', () => {
  it('a good batch passes every check and reports {B, T}', async () => {
    await useBackend('cpu');
    const b = batchFromHost(host());
    expect(checkBatch(b)).toEqual({ B: 3, T: 3 });
    expect(await validateBatch(b, { require: ['logp'] })).toEqual({ B: 3, T: 3 });
    expect(b.groupIds.dtype).toBe('int32');
    expect(b.mask.dtype).toBe('float32');
    disposeBatch(b);
  });

  it('NaN / Inf rewards: validateBatch and batchFromHost name rewards', async () => {
    await useBackend('cpu');
    for (const bad of [NaN, Infinity, -Infinity]) {
      await expectInvalid(
        () => batchFromHost({ ...host(), rewards: [1, bad, 0] }),
        'rewards',
        /rewards: expected finite float32 \[3\], got .* at row 1/,
      );
      const b = batchFromHost(host());
      const withBad: Batch = { ...b, rewards: tf.tensor1d([1, 0, bad]) };
      expect(() => checkBatch(withBad)).not.toThrow(); // shapes are fine: no host read here
      await expectInvalid(
        () => validateBatch(withBad),
        'rewards',
        /finite float32 \[B\], got (NaN|-?Infinity) at row 2/,
      );
      disposeBatch(withBad);
      b.rewards.dispose();
    }
  });

  it('rewards / groupIds length mismatch names rewards and the expected length', async () => {
    await useBackend('cpu');
    await expectInvalid(
      () => batchFromHost({ ...host(), rewards: [1, 0] }),
      'rewards',
      /length 3 \(= groupIds\.length\), got length 2/,
    );
    const b = batchFromHost(host());
    const bad = { ...b, rewards: tf.tensor1d([1, 0]) };
    await expectInvalid(
      () => checkBatch(bad),
      'rewards',
      /rewards: expected float32 \[3\], got float32 \[2\]/,
    );
    await expectInvalid(() => validateBatch(bad), 'rewards', /float32 \[3\]/);
    await expectInvalid(
      () => checkBatch({ ...b, rewards: tf.tensor1d([1, 0, 1], 'int32') }),
      'rewards',
      /got int32 \[3\]/,
    );
    disposeBatch(b);
  });

  it('a mask of the wrong shape names mask and [B, T]', async () => {
    await useBackend('cpu');
    await expectInvalid(
      () =>
        batchFromHost({
          ...host(),
          mask: [
            [1, 1, 0],
            [1, 0, 0],
          ],
        }),
      'mask',
      /3 rows \(= groupIds\.length\), got 2 rows/,
    );
    await expectInvalid(
      () =>
        batchFromHost({
          ...host(),
          mask: [
            [1, 1, 0],
            [1, 0],
            [0, 0, 0],
          ],
        }),
      'mask',
      /\[3, 3\], got 3 rows of lengths 3\/2/,
    );
    const b = batchFromHost(host());
    await expectInvalid(
      () => checkBatch({ ...b, mask: tf.ones([2, 3]) as tf.Tensor2D }),
      'mask',
      /mask: expected float32 \[3, T\], got float32 \[2, 3\]/,
    );
    await expectInvalid(
      () => checkBatch({ ...b, mask: tf.ones([3]) as any }),
      'mask',
      /\[3, T\], got float32 \[3\]/,
    );
    await expectInvalid(
      () => checkBatch({ ...b, mask: undefined as any }),
      'mask',
      /got nothing \(field missing\)/,
    );
    // the other [B, T] fields must match the mask's T
    await expectInvalid(
      () => checkBatch({ ...b, logp: tf.zeros([3, 4]) as tf.Tensor2D }),
      'logp',
      /logp: expected float32 \[3, 3\], got float32 \[3, 4\]/,
    );
    await expectInvalid(() => batchFromHost({ ...host(), logp: [[0], [0], [0]] }), 'logp', /\[3, 3\]/);
    disposeBatch(b);
  });

  it('mask values other than 0/1 name mask, the row and t', async () => {
    await useBackend('cpu');
    const m = host().mask;
    m[1]![2] = 0.5;
    await expectInvalid(
      () => batchFromHost({ ...host(), mask: m }),
      'mask',
      /values in \{0, 1\}, float32 \[3, 3\], got 0.5 at row 1, t 2/,
    );
    const b = batchFromHost(host());
    const bad = { ...b, mask: tf.tensor2d(m) };
    expect(() => checkBatch(bad)).not.toThrow();
    await expectInvalid(() => validateBatch(bad), 'mask', /got 0.5 at row 1, t 2/);
    await expectInvalid(
      () => validateBatch({ ...b, mask: tf.fill([3, 3], NaN) as tf.Tensor2D }),
      'mask',
      /got NaN at row 0, t 0/,
    );
    disposeBatch(b);
  });

  it('an empty batch names groupIds and B ≥ 1', async () => {
    await useBackend('cpu');
    await expectInvalid(
      () => batchFromHost({ groupIds: [], rewards: [], mask: [] }),
      'groupIds',
      /at least one row \(B ≥ 1\), got an empty batch/,
    );
    const empty: Batch = {
      groupIds: tf.tensor1d([], 'int32'),
      rewards: tf.tensor1d([]),
      mask: tf.zeros([0, 3]) as tf.Tensor2D,
    };
    await expectInvalid(() => checkBatch(empty), 'groupIds', /B ≥ 1/);
    await expectInvalid(() => validateBatch(empty), 'groupIds', /B ≥ 1/);
    disposeBatch(empty);
  });

  it('other fields: group ids, dtypes, disposed tensors, missing required fields, values', async () => {
    await useBackend('cpu');
    await expectInvalid(
      () => batchFromHost({ ...host(), groupIds: [0, 0.5, 1] }),
      'groupIds',
      /int32 ids, \[3\], got 0.5 at row 1/,
    );
    const b = batchFromHost(host());
    await expectInvalid(() => checkBatch(null as any), 'batch', /an object/);
    await expectInvalid(
      () => checkBatch({ ...b, groupIds: tf.tensor1d([0, 0, 1]) }),
      'groupIds',
      /expected int32 \[B\], got float32 \[3\]/,
    );
    await expectInvalid(
      () => checkBatch(b, { require: ['oldLogp'] }),
      'oldLogp',
      /float32 \[3, 3\], got nothing/,
    );
    await expectInvalid(() => checkBatch(b, { needs: { hidden: true } }), 'hidden', /float32 \[3, 3, d\]/);
    await expectInvalid(() => checkBatch(b, { needs: { logits: true } }), 'tokenIds', /int32 \[3, 3\]/);
    const gone = tf.ones([3, 3]) as tf.Tensor2D;
    gone.dispose();
    await expectInvalid(() => checkBatch({ ...b, refLogp: gone }), 'refLogp', /a disposed tensor/);
    // NaN logp at a valid position is an error; at padding it is allowed (masked positions never matter)
    const lp = host().logp!;
    lp[2]![0] = NaN;
    const padNaN = { ...b, logp: tf.tensor2d(lp) };
    await expect(validateBatch(padNaN)).resolves.toEqual({ B: 3, T: 3 });
    lp[0]![1] = Infinity;
    await expectInvalid(
      () => validateBatch({ ...b, logp: tf.tensor2d(lp) }),
      'logp',
      /finite values at valid positions, got Infinity at row 0, t 1/,
    );
    // token ids outside the vocabulary at a valid position
    const logits = denseLogits(tf.zeros([3, 3, 4]) as tf.Tensor3D);
    const ids = tf.tensor2d(
      [
        [0, 3, 99],
        [4, 0, 0],
        [0, 0, 0],
      ],
      [3, 3],
      'int32',
    );
    await expectInvalid(
      () => validateBatch({ ...b, tokenIds: ids, logits }),
      'tokenIds',
      /ids in \[0, 4\) at valid positions, got 4 at row 1, t 0/,
    );
    logits.dispose();
    disposeBatch(b);
  });
});
