/**
 * `positiveOnly` — the "Pos Only" baseline (Deng et al., arXiv 2505.18830; also PSR in Zhu et al.,
 * arXiv 2506.01347): learn from positive samples only by zeroing every negative token.
 *   weights[i, t] = 0 where A[i, t] < 0 at a valid token   (by: 'advantage', default)
 *                 = 0 on every token of an incorrect row    (by: 'correct', reward predicate)
 *                 = 1 elsewhere                                                      [B, T]
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkOneOf, maskedFraction, type TokenReweighter } from '@grpo-lab/core';
import { checkAdvantages, checkCorrect, readGroups, type CorrectPredicate } from './common.js';

export interface PositiveOnlyOptions {
  /** What makes a token negative: its advantage sign [`'advantage'`], or its row being incorrect (`'correct'`). */
  readonly by?: 'advantage' | 'correct';
  /** With `by: 'correct'`: which rewards count as correct. [binary rewards, reward > 0.5] */
  readonly correct?: CorrectPredicate;
}

export function positiveOnly(options: PositiveOnlyOptions = {}): TokenReweighter<PositiveOnlyOptions> {
  checkKeys('positiveOnly', options, ['by', 'correct']);
  const by = checkOneOf('positiveOnly.by', options.by ?? 'advantage', ['advantage', 'correct'] as const);
  const correct = checkCorrect('positiveOnly.correct', options.correct);
  return {
    kind: 'reweighter',
    name: 'positiveOnly',
    options: Object.freeze({ ...options }),
    needs: {},
    async weights(batch, advantages) {
      const [B, T] = batch.mask.shape;
      checkAdvantages(advantages, B, T);
      let negRow: tf.Tensor | undefined;
      if (by === 'correct') {
        const host = await readGroups(batch, correct, 'positiveOnly');
        const neg = new Float32Array(B);
        for (const g of host.groups) g.rows.forEach((r, j) => (neg[r] = g.correct[j] ? 0 : 1));
        negRow = tf.tensor2d(neg, [B, 1]);
      }
      const [weights, zeroed] = tf.tidy(() => {
        const valid = tf.greater(batch.mask, 0); // [B, T]
        const negative = negRow
          ? tf.greater(tf.mul(negRow, tf.onesLike(batch.mask)), 0)
          : tf.less(advantages, 0); // [B, T]
        const drop = tf.logicalAnd(valid, negative); // [B, T]
        return [tf.where(drop, 0, 1), maskedFraction(drop, batch.mask)];
      });
      negRow?.dispose();
      return { weights: weights as tf.Tensor2D, metrics: { zeroed_frac: zeroed as tf.Scalar } };
    },
  };
}
