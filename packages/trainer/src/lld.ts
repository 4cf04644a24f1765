/**
 * Lazy Likelihood Displacement, measured (SPEC §5; Deng et al., arXiv 2505.18830, §3).
 *
 * For a mixed group of prompt x with correct responses y⁺_1..y⁺_N and one optimisation step θ → θ′:
 *   Δ(x)       = (1/N) Σ_i [log π_θ′(y⁺_i|x) − log π_θ(y⁺_i|x)]                 (sequence log-likelihood)
 *   Δ_tok(x)   = (1/N) Σ_i (1/|y⁺_i|) [log π_θ′(y⁺_i|x) − log π_θ(y⁺_i|x)]      (per-token mean)
 * LLD happens when Δ(x) < ε. Per step we log the mean, median and fraction with Δ < ε.
 */
import * as tf from '@tensorflow/tfjs';
import { maskedSum } from '@grpo-lab/core';
import type { PolicyModel, SequenceBatch } from '@grpo-lab/core';

/** Which rows to re-score: the correct responses of the mixed groups. Host data. */
export interface LldRows {
  /** Row indices into the step batch. */
  readonly rows: number[];
  /** Group id of each selected row. */
  readonly groups: number[];
}

/** Correct rows of every group with at least one correct and one incorrect response. */
export function mixedCorrectRows(groupIds: ArrayLike<number>, correct: ArrayLike<boolean>): LldRows {
  const pos = new Map<number, number>();
  const neg = new Map<number, number>();
  for (let i = 0; i < groupIds.length; i++) {
    const g = groupIds[i]!;
    const m = correct[i] ? pos : neg;
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  const rows: number[] = [];
  const groups: number[] = [];
  for (let i = 0; i < groupIds.length; i++) {
    const g = groupIds[i]!;
    if (correct[i] && neg.has(g)) {
      rows.push(i);
      groups.push(g);
    }
  }
  return { rows, groups };
}

/** Slices rows of a SequenceBatch and mask (new tensors). */
export function selectRows(
  seq: SequenceBatch,
  mask: tf.Tensor2D,
  rows: number[],
): { seq: SequenceBatch; mask: tf.Tensor2D } {
  return tf.tidy(() => {
    const idx = tf.tensor1d(rows, 'int32');
    return {
      seq: {
        tokens: tf.gather(seq.tokens, idx) as tf.Tensor2D,
        attention: tf.gather(seq.attention, idx) as tf.Tensor2D,
        promptLength: seq.promptLength,
      },
      mask: tf.gather(mask, idx) as tf.Tensor2D,
    };
  });
}

/** Sequence log-likelihood and length of each row under `policy` (no gradient). */
export async function sequenceLogLik(
  policy: PolicyModel,
  seq: SequenceBatch,
  mask: tf.Tensor2D,
): Promise<{ logLik: number[]; length: number[] }> {
  const [ll, n] = tf.tidy(() => {
    const { logp } = policy.score(seq); // [B, T]
    return [maskedSum(logp, mask, 1), tf.sum(mask, 1)]; // [B], [B]
  });
  const out = { logLik: Array.from(await ll!.data(), Number), length: Array.from(await n!.data(), Number) };
  ll!.dispose();
  n!.dispose();
  return out;
}

export interface GroupDelta {
  readonly group: number;
  readonly deltaSeq: number;
  readonly deltaToken: number;
}

/** Δ(x) per group from before/after sequence log-likelihoods of the selected rows. */
export function groupDeltas(sel: LldRows, before: number[], after: number[], length: number[]): GroupDelta[] {
  const acc = new Map<number, { s: number; t: number; n: number }>();
  sel.groups.forEach((g, k) => {
    const d = after[k]! - before[k]!;
    const a = acc.get(g) ?? { s: 0, t: 0, n: 0 };
    a.s += d;
    a.t += d / Math.max(1, length[k]!);
    a.n += 1;
    acc.set(g, a);
  });
  return [...acc].map(([group, a]) => ({ group, deltaSeq: a.s / a.n, deltaToken: a.t / a.n }));
}

export interface LldSummary {
  lld_mean: number | null;
  lld_median: number | null;
  lld_frac_neg: number | null;
  lld_token_mean: number | null;
  lld_groups: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** mean / median / fraction with Δ < ε over groups; nulls when the step had no mixed group. */
export function summarizeLld(deltas: readonly GroupDelta[], epsilon = 0): LldSummary {
  const n = deltas.length;
  if (n === 0)
    return { lld_mean: null, lld_median: null, lld_frac_neg: null, lld_token_mean: null, lld_groups: 0 };
  const seq = deltas.map((d) => d.deltaSeq);
  return {
    lld_mean: seq.reduce((a, b) => a + b, 0) / n,
    lld_median: median(seq),
    lld_frac_neg: seq.filter((d) => d < epsilon).length / n,
    lld_token_mean: deltas.reduce((a, d) => a + d.deltaToken, 0) / n,
    lld_groups: n,
  };
}
