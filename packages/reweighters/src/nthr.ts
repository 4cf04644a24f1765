/**
 * `nthr` — Negative Token Hidden Reward re-weighting (Deng et al., "On the Effect of Negative Gradient
 * in Group Relative Deep Reinforcement Optimization", NeurIPS 2025, arXiv 2505.18830).
 *
 *   weights[i, t] = η_g   if row i is incorrect, in a mixed group g, and s(t) > τ_g   (selected)
 *                   1     everywhere else (correct rows, other negative tokens, padding, unmixed groups)
 *   η_g = 2|0.5 − p_g| [default], p_g, 1 − p_g or a constant;  τ_g = β · min_i s̄_i  (nthr-scores.ts)
 *
 * The trainer uses `advantages × weights`, so the penalty of incorrect-response tokens whose gradient
 * points the same way as the correct responses' (high s) is scaled down by η. No official code exists;
 * this matches `../shared/golden/nthr.json` (float64 double loops over token pairs).
 * `scoreOnly` returns the scores and metrics with weights 1 everywhere (analysis without effect).
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkBoolean,
  checkKeys,
  checkNumber,
  type Batch,
  type Metrics,
  type ReweightResult,
  type TokenReweighter,
} from '@grpo-lab/core';
import {
  checkAdvantages,
  checkCorrect,
  checkEta,
  quantileSorted,
  type CorrectPredicate,
  type EtaRule,
} from './common.js';
import { NTHR_NEEDS, scoreNthr, type NthrScores } from './nthr-scores.js';

export interface NthrOptions {
  /** Threshold factor: τ = β · min over correct rows of s̄. [1] (β = 0: every negative token with s > 0.) */
  readonly beta?: number;
  /** η on selected tokens: `'two_abs_half_minus_p'` = 2|0.5 − p| [default], `'p'`, `'one_minus_p'`, or a constant ≥ 0. */
  readonly eta?: EtaRule;
  /** Keep the self-term k(t, t) in the anchors s̄ (as the paper's definition does). [true] */
  readonly includeSelf?: boolean;
  /** Return scores and metrics but leave every weight at 1. [false] */
  readonly scoreOnly?: boolean;
  /** Which rewards count as correct. [binary rewards, correct = reward > 0.5; other rewards are rejected] */
  readonly correct?: CorrectPredicate;
}

export interface NthrResult extends ReweightResult {
  readonly scores: tf.Tensor2D;
  /** Per-group detail (host): rows, p, V*, η, τ, selected count. */
  readonly groups: NthrScores['groups'];
  /** [B] s̄ of correct rows of mixed groups, NaN elsewhere. */
  readonly sbar: Float32Array;
}

const KEYS = ['beta', 'eta', 'includeSelf', 'scoreOnly', 'correct'] as const;

export function resolveNthrOptions(plugin: string, options: NthrOptions) {
  return {
    beta: checkNumber(`${plugin}.beta`, options.beta ?? 1),
    eta: checkEta(`${plugin}.eta`, options.eta ?? 'two_abs_half_minus_p'),
    includeSelf: checkBoolean(`${plugin}.includeSelf`, options.includeSelf, true),
    scoreOnly: checkBoolean(`${plugin}.scoreOnly`, options.scoreOnly, false),
    correct: checkCorrect(`${plugin}.correct`, options.correct),
  };
}

/** Summary of a score sample: min, quartiles, max (torch.quantile's linear interpolation). */
export function scoreSummary(values: Float32Array, prefix = 'score_'): Record<string, number> {
  if (values.length === 0) return {};
  const s = Float64Array.from(values).sort();
  return {
    [`${prefix}min`]: s[0]!,
    [`${prefix}p25`]: quantileSorted(s, 0.25),
    [`${prefix}median`]: quantileSorted(s, 0.5),
    [`${prefix}p75`]: quantileSorted(s, 0.75),
    [`${prefix}max`]: s[s.length - 1]!,
  };
}

/** Metrics shared by NTHR and randomTokens: selection fraction and mean η / τ over mixed groups. */
export function selectionMetrics(groups: NthrScores['groups'], selectedCount: number): Metrics {
  const mixed = groups.filter((g) => g.mixed);
  const negTokens = mixed.reduce((a, g) => a + g.negTokens, 0);
  const taus = mixed.map((g) => g.tau).filter((t): t is number => t !== null && Number.isFinite(t));
  const m: Record<string, number> = {
    selected_frac: negTokens > 0 ? selectedCount / negTokens : 0,
    num_selected: selectedCount,
    num_negative_tokens: negTokens,
    mixed_groups: mixed.length,
  };
  if (mixed.length > 0) m.mean_eta = mixed.reduce((a, g) => a + (g.eta ?? 0), 0) / mixed.length;
  if (taus.length > 0) m.mean_tau = taus.reduce((a, t) => a + t, 0) / taus.length;
  return m;
}

/** The NTHR re-weighter: a TokenReweighter whose result also carries scores, groups and s̄. */
export interface NthrReweighter extends TokenReweighter<NthrOptions> {
  weights(batch: Batch, advantages: tf.Tensor2D): Promise<NthrResult>;
}

/**
 * NTHR's scores, threshold and selection without re-weighting anything (for analysis and plots):
 * the same options as `nthr()`, with the same defaults and checks (`scoreOnly` has no effect here).
 */
export async function nthrScores(batch: Batch, options: NthrOptions = {}): Promise<NthrScores> {
  checkKeys('nthrScores', options, KEYS);
  return scoreNthr(batch, resolveNthrOptions('nthrScores', options), 'nthrScores');
}

export function nthr(options: NthrOptions = {}): NthrReweighter {
  checkKeys('nthr', options, KEYS);
  const o = resolveNthrOptions('nthr', options);
  return {
    kind: 'reweighter',
    name: 'nthr',
    options: Object.freeze({ ...options }),
    needs: NTHR_NEEDS,
    async weights(batch, advantages) {
      checkAdvantages(advantages, batch.mask.shape[0], batch.mask.shape[1]);
      const r = await scoreNthr(batch, o, 'nthr');
      const weights = tf.tidy(() =>
        o.scoreOnly
          ? tf.onesLike(r.selected)
          : tf.where(tf.greater(r.selected, 0), tf.expandDims(tf.tensor1d(r.etaRow), 1), 1),
      ) as tf.Tensor2D; // [B, T]
      r.selected.dispose();
      const count = r.groups.reduce((a, g) => a + g.selected, 0);
      const metrics = { ...selectionMetrics(r.groups, count), ...scoreSummary(r.negScores) };
      return { weights, metrics, scores: r.scores, groups: r.groups, sbar: r.sbar };
    },
  };
}
