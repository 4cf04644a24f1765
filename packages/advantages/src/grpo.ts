/**
 * Group-normalised advantage: one estimator, three presets (GRPO, Dr. GRPO, NGRPO calibration).
 *
 *   A_i = (r_i − μ_g) / (σ + ε)        r float32 [B], groupIds int32 [B] → A float32 [B, T] (× mask)
 *
 * μ_g, σ_g: mean and std of row i's group g (std divisor n − 1 'unbiased' [default, as verl/TRL] or n
 * 'biased'); `std: 'none'` drops the division (A_i = r_i − μ_g). `scale: 'batch'` divides by the
 * std of all B rewards instead of σ_g (TRL `scale_rewards="batch"`). NGRPO calibration adds
 * `virtualCount` virtual samples of reward `rMax` to every group's μ and σ; only real rows get an
 * advantage. A group of one row has μ = 0, σ = 1 and no virtual sample (as verl and NGRPO's code).
 *
 * Papers: GRPO — Shao et al., DeepSeekMath, arXiv 2402.03300. Dr. GRPO — Liu et al., "Understanding
 * R1-Zero-Like Training", arXiv 2503.20783. NGRPO — Nan et al., arXiv 2509.18851.
 * Matches verl `compute_grpo_outcome_advantage` (commit 1dda039, `norm_adv_by_std_in_grpo` on/off)
 * and NGRPO `compute_ngrpo_outcome_advantage` (commit e7a3804). Differences: none known for groups of
 * ≥ 2 rows; TRL never sees singleton groups (its re-implementation gives them 0, we follow verl).
 */
import * as tf from '@tensorflow/tfjs';
import {
  ValidationError,
  batchStats,
  checkKeys,
  checkNumber,
  checkOneOf,
  groupStats,
  type AdvantageEstimator,
} from '@grpo-lab/core';
import { perSequence, singletonRule } from './estimator.js';

export interface GrpoOptions {
  /** σ divisor: 'unbiased' (n − 1) [default, verl/TRL], 'biased' (n), or 'none' (no division: Dr. GRPO). */
  readonly std?: 'unbiased' | 'biased' | 'none';
  /** Where σ comes from: the row's 'group' [default] or the whole 'batch' (TRL). μ is always the group's. */
  readonly scale?: 'group' | 'batch';
  /** ε added to σ [1e-6, as verl; TRL uses 1e-4]. */
  readonly eps?: number;
  /** NGRPO calibration: virtual samples of reward `rMax` in every group's μ, σ [0 = off]. */
  readonly virtualCount?: number;
  /** Reward of the virtual samples [1, the maximum of a 0/1 reward]. */
  readonly rMax?: number;
}

export type ResolvedGrpoOptions = Required<GrpoOptions>;

const KEYS = ['std', 'scale', 'eps', 'virtualCount', 'rMax'] as const;

function resolve(plugin: string, o: GrpoOptions, defaults: ResolvedGrpoOptions): ResolvedGrpoOptions {
  const r: ResolvedGrpoOptions = {
    std: checkOneOf(`${plugin}.std`, o.std ?? defaults.std, ['unbiased', 'biased', 'none'] as const),
    scale: checkOneOf(`${plugin}.scale`, o.scale ?? defaults.scale, ['group', 'batch'] as const),
    eps: checkNumber(`${plugin}.eps`, o.eps ?? defaults.eps, { min: 0 }),
    virtualCount: checkNumber(`${plugin}.virtualCount`, o.virtualCount ?? defaults.virtualCount, {
      min: 0,
      integer: true,
    }),
    rMax: checkNumber(`${plugin}.rMax`, o.rMax ?? defaults.rMax),
  };
  if (r.scale === 'batch' && r.virtualCount > 0)
    throw new ValidationError(
      `${plugin}.scale`,
      '"group" when virtualCount > 0 (calibration is per group)',
      '"batch"',
    );
  return r;
}

/** Per-row group-normalised advantage, float32 [B]. Exported for composition (REINFORCE++, GPG). */
export function groupNormalized(
  rewards: tf.Tensor1D,
  groupIds: tf.Tensor1D,
  o: ResolvedGrpoOptions,
): tf.Tensor1D {
  return tf.tidy(() => {
    const virtual = o.virtualCount > 0 ? { count: o.virtualCount, value: o.rMax } : undefined;
    const ddof = o.std === 'biased' ? 'biased' : 'unbiased';
    const g = groupStats(rewards, groupIds, { std: ddof, virtual }); // each [B]
    const { mean, std } = singletonRule(g.mean, g.std, g.count); // [B], [B]
    const centred = tf.sub(rewards, mean); // [B]
    if (o.std === 'none') return centred as tf.Tensor1D;
    const sigma = o.scale === 'batch' ? batchStats(rewards, ddof).std : std; // [B]
    return tf.div(centred, tf.add(sigma, o.eps)) as tf.Tensor1D; // [B]
  });
}

const GRPO_DEFAULTS: ResolvedGrpoOptions = {
  std: 'unbiased',
  scale: 'group',
  eps: 1e-6,
  virtualCount: 0,
  rMax: 1,
};

function estimator(name: string, o: ResolvedGrpoOptions): AdvantageEstimator<ResolvedGrpoOptions> {
  return perSequence(name, o, (b) => groupNormalized(b.rewards, b.groupIds, o));
}

/** GRPO (Shao et al. 2024): A_i = (r_i − μ_g)/(σ_g + ε). The general estimator; the others are presets. */
export function grpo(options: GrpoOptions = {}): AdvantageEstimator<ResolvedGrpoOptions> {
  checkKeys('grpo', options, KEYS);
  return estimator('grpo', resolve('grpo', options, GRPO_DEFAULTS));
}

export type DrGrpoOptions = Record<string, never>;

/** Dr. GRPO (Liu et al. 2025): A_i = r_i − μ_g, no std division (= `grpo({ std: 'none' })`). */
export function drGrpo(options: DrGrpoOptions = {}): AdvantageEstimator<ResolvedGrpoOptions> {
  checkKeys('drGrpo', options, []);
  return estimator('drGrpo', { ...GRPO_DEFAULTS, std: 'none' });
}

export interface NgrpoOptions {
  /** Reward of the virtual sample [1]. */
  readonly rMax?: number;
  /** How many virtual samples join each group [1]. */
  readonly virtualCount?: number;
  /** ε added to σ′ [1e-6]. */
  readonly eps?: number;
}

/**
 * NGRPO advantage calibration (Nan et al. 2025): μ′, σ′ over the group's real rewards plus
 * `virtualCount` samples of `rMax` (unbiased σ′), A_i = (r_i − μ′)/(σ′ + ε). With 0/1 rewards an
 * all-incorrect group of G gets −1/√(G + 1) instead of 0. (= `grpo({ virtualCount: 1, rMax: 1 })`.)
 */
export function ngrpo(options: NgrpoOptions = {}): AdvantageEstimator<ResolvedGrpoOptions> {
  checkKeys('ngrpo', options, ['rMax', 'virtualCount', 'eps']);
  const o = resolve('ngrpo', options, { ...GRPO_DEFAULTS, virtualCount: 1 });
  if (o.virtualCount < 1)
    throw new ValidationError(
      'ngrpo.virtualCount',
      'an integer ≥ 1 (use grpo for none)',
      String(o.virtualCount),
    );
  return estimator('ngrpo', o);
}
