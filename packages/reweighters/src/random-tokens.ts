/**
 * `randomTokens` — the paper's control for NTHR (Deng et al., arXiv 2505.18830, §5): in each mixed
 * group, the same number of negative tokens as NTHR would select (or `fraction` of them), drawn
 * uniformly without replacement with a seeded RNG, get weight η; everything else 1.
 *   k_g = |{t ∈ negative tokens of g : s(t) > τ_g}|   (or round(fraction · n⁻_g))
 *   weights = η_g on k_g tokens drawn uniformly from g's negative tokens, 1 elsewhere   [B, T]
 * Matching counts needs NTHR's scores (hidden states and logits); a fixed `fraction` needs neither.
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkNumber, createRng, type Batch, type TokenReweighter } from '@grpo-lab/core';
import { checkAdvantages, etaOf, readGroups, type CorrectPredicate, type EtaRule } from './common.js';
import { resolveNthrOptions, selectionMetrics } from './nthr.js';
import { NTHR_NEEDS, scoreNthr, type NthrGroup } from './nthr-scores.js';

export interface RandomTokensOptions {
  /** Fraction of each mixed group's negative tokens to draw; when omitted, NTHR's count per group. */
  readonly fraction?: number;
  /** Seed of the draws (xoshiro128**, core `createRng`); successive calls continue the stream. [0] */
  readonly seed?: number;
  /** NTHR options used to count (β, self-term) and η on drawn tokens, as in `nthr`. */
  readonly beta?: number;
  readonly eta?: EtaRule;
  readonly includeSelf?: boolean;
  /** Which rewards count as correct. [binary rewards, reward > 0.5] */
  readonly correct?: CorrectPredicate;
}

const KEYS = ['fraction', 'seed', 'beta', 'eta', 'includeSelf', 'correct'] as const;

export function randomTokens(options: RandomTokensOptions = {}): TokenReweighter<RandomTokensOptions> {
  checkKeys('randomTokens', options, KEYS);
  const fraction =
    options.fraction === undefined
      ? undefined
      : checkNumber('randomTokens.fraction', options.fraction, { min: 0, max: 1 });
  const seed = checkNumber('randomTokens.seed', options.seed ?? 0, { integer: true, min: 0 });
  const o = resolveNthrOptions('randomTokens', options);
  const rng = createRng(seed);
  return {
    kind: 'reweighter',
    name: 'randomTokens',
    options: Object.freeze({ ...options }),
    needs: fraction === undefined ? NTHR_NEEDS : {},
    async weights(batch: Batch, advantages) {
      const [B, T] = batch.mask.shape;
      checkAdvantages(advantages, B, T);
      let groups: NthrGroup[];
      if (fraction === undefined) {
        const r = await scoreNthr(batch, o, 'randomTokens');
        r.scores.dispose();
        r.selected.dispose();
        groups = r.groups;
      } else {
        const host = await readGroups(batch, o.correct, 'randomTokens');
        groups = host.groups.map((g) => ({
          ...g,
          vstar: [],
          eta: g.mixed ? etaOf(o.eta, g.p) : null,
          tau: null,
          selected: g.mixed ? Math.round(fraction * g.negTokens) : 0,
        }));
      }
      const mask = await batch.mask.data();
      const w = new Float32Array(B * T).fill(1);
      for (const g of groups) {
        if (!g.mixed || g.selected === 0) continue;
        const slots: number[] = []; // flat positions of the group's negative tokens
        g.rows.forEach((r, j) => {
          if (!g.correct[j]) for (let t = 0; t < T; t++) if (mask[r * T + t] === 1) slots.push(r * T + t);
        });
        for (const k of rng.sample(slots.length, g.selected)) w[slots[k]!] = g.eta!;
      }
      const count = groups.reduce((a, g) => a + g.selected, 0);
      return { weights: tf.tensor2d(w, [B, T]), metrics: selectionMetrics(groups, count) };
    },
  };
}
