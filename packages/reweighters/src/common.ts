/**
 * Shared pieces of the re-weighters: the η rule, the correct/incorrect split of rewards, and the
 * host-side group structure (rows, positive rows, valid lengths, V*) that NTHR and its controls read.
 * Only structure is computed here; the math runs on the tensor backend (nthr-scores.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ValidationError, checkNumber, checkOneOf, type Batch } from '@grpo-lab/core';

/** η rule: `two_abs_half_minus_p` = 2|0.5 − p| (NTHR default), `p`, `one_minus_p`, or a constant. */
export type EtaRule = 'two_abs_half_minus_p' | 'p' | 'one_minus_p' | number;
export const ETA_RULES = ['two_abs_half_minus_p', 'p', 'one_minus_p'] as const;

/** Which responses are correct (anchors); the default `r > 0.5` expects binary {0, 1} rewards. */
export type CorrectPredicate = (reward: number) => boolean;

export function checkEta(field: string, v: unknown): EtaRule {
  if (typeof v === 'number') return checkNumber(field, v, { min: 0 });
  if (typeof v !== 'string')
    throw new ValidationError(
      field,
      `one of ${ETA_RULES.map((r) => `"${r}"`).join(', ')} or a number ≥ 0`,
      JSON.stringify(v),
    );
  return checkOneOf(field, v, ETA_RULES);
}

export function checkCorrect(field: string, v: unknown): CorrectPredicate | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function')
    throw new ValidationError(field, 'a function (reward: number) => boolean', typeof v);
  return v as CorrectPredicate;
}

export function etaOf(rule: EtaRule, p: number): number {
  if (typeof rule === 'number') return rule;
  if (rule === 'p') return p;
  if (rule === 'one_minus_p') return 1 - p;
  return 2 * Math.abs(0.5 - p);
}

/** One prompt's group as the host sees it. Rows are in batch order; groups in order of first appearance. */
export interface GroupInfo {
  readonly groupId: number;
  readonly rows: number[];
  readonly correct: boolean[]; // per row of `rows`
  readonly lengths: number[]; // valid tokens per row of `rows`
  readonly G: number; // rows in the group (an empty row counts)
  readonly nPos: number;
  readonly p: number; // nPos / G
  readonly mixed: boolean; // 0 < p < 1
  readonly negTokens: number; // valid tokens of the incorrect rows
}

export interface HostBatch {
  readonly B: number;
  readonly T: number;
  readonly mask: Float32Array | Int32Array | Uint8Array;
  readonly groups: GroupInfo[];
}

/** Reads groupIds, rewards and mask once and builds the groups. Rejects non-binary rewards unless `correct` is given. */
export async function readGroups(
  batch: Batch,
  correct: CorrectPredicate | undefined,
  plugin: string,
): Promise<HostBatch> {
  const [B, T] = batch.mask.shape;
  const [gids, rewards, mask] = await Promise.all([
    batch.groupIds.data(),
    batch.rewards.data(),
    batch.mask.data(),
  ]);
  const isCorrect = correct ?? ((r: number) => r > 0.5);
  const byId = new Map<number, { rows: number[]; correct: boolean[]; lengths: number[] }>();
  for (let i = 0; i < B; i++) {
    const r = rewards[i]!;
    if (!Number.isFinite(r)) throw new ValidationError('rewards', 'finite float32 [B]', `${r} at row ${i}`);
    if (correct === undefined && r !== 0 && r !== 1)
      throw new ValidationError(
        'rewards',
        `binary rewards in {0, 1}: ${plugin} splits each group into correct and incorrect responses ` +
          '(default: correct = reward > 0.5); for other rewards pass the option `correct: (reward) => boolean`',
        `${r} at row ${i}`,
      );
    let len = 0;
    for (let t = 0; t < T; t++) {
      const m = mask[i * T + t]!;
      if (m !== 0 && m !== 1)
        throw new ValidationError(
          'mask',
          `values in {0, 1}, float32 [${B}, ${T}]`,
          `${m} at row ${i}, t ${t}`,
        );
      len += m;
    }
    const g = byId.get(gids[i]!) ?? { rows: [], correct: [], lengths: [] };
    byId.set(gids[i]!, g);
    g.rows.push(i);
    g.correct.push(isCorrect(r));
    g.lengths.push(len);
  }
  const groups: GroupInfo[] = [];
  for (const [groupId, g] of byId) {
    const G = g.rows.length;
    const nPos = g.correct.filter(Boolean).length;
    const negTokens = g.lengths.reduce((a, l, k) => a + (g.correct[k] ? 0 : l), 0);
    groups.push({ groupId, ...g, G, nPos, p: nPos / G, mixed: nPos > 0 && nPos < G, negTokens });
  }
  return { B, T, mask: mask as Float32Array, groups };
}

/** Checks `advantages` is float32 [B, T] like the mask. */
export function checkAdvantages(advantages: tf.Tensor2D, B: number, T: number): void {
  if (
    !(advantages instanceof tf.Tensor) ||
    advantages.rank !== 2 ||
    advantages.shape[0] !== B ||
    advantages.shape[1] !== T
  )
    throw new ValidationError(
      'advantages',
      `float32 [${B}, ${T}]`,
      advantages instanceof tf.Tensor ? `[${advantages.shape.join(', ')}]` : String(advantages),
    );
}

/** Linear-interpolation quantile (torch.quantile's default) of sorted values; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
