/**
 * PPO clipped surrogate, one implementation with the well-known variants as thin presets.
 *
 *   r = exp(clamp(logp − oldLogp, −20, 20))                                   [B, T]
 *   l = max(−A·r, −A·clip(r, 1 − low, 1 + high))                              [B, T]
 *   dual clip (c > 1):  l = min(l, −c·A)  where A < 0
 *
 * - `ppoClip({ low: 0.2, high: 0.2 })` — PPO (Schulman et al., arXiv 1707.06347).
 * - `clipHigher()` — DAPO clip-higher, low 0.2 / high 0.28 (Yu et al., arXiv 2503.14476).
 * - `asymmetric()` — NGRPO asymmetric clipping, low 0.16 / high 0.24 (Nan et al., arXiv 2509.18851).
 * - `dualClip({ c: 3 })` — dual-clip PPO (Ye et al., arXiv 1912.09729); with low 0.2 / high 0.28 it
 *   is verl's default `vanilla` loss.
 * Matches verl `compute_policy_loss_vanilla` (verl/trainer/ppo/core_algos.py @ 1dda039) value for
 * value and gradient for gradient (tested against `golden/verl.json` and `golden/ngrpo.json`).
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkNumber, type PolicyLoss, type PolicyLossInput } from '@grpo-lab/core';
import { clippedSurrogate, importanceRatio, ppoHost, ratioMetrics, type ClipBounds } from './surrogate.js';

export interface PpoClipOptions {
  /** ε_low: the ratio is clipped from below at 1 − low (A < 0). [0.2] */
  readonly low?: number;
  /** ε_high: the ratio is clipped from above at 1 + high (A > 0). [0.2] */
  readonly high?: number;
  /** Dual-clip bound c > 1: for A < 0 the loss is capped at −c·A. [none] */
  readonly dualClip?: number;
}

const PPO_KEYS = ['low', 'high', 'dualClip'] as const;

function bounds(plugin: string, o: PpoClipOptions, dualKey = 'dualClip', dual = o.dualClip): ClipBounds {
  const low = checkNumber(`${plugin}.low`, o.low ?? 0.2, { min: 0, max: 1 });
  const high = checkNumber(`${plugin}.high`, o.high ?? 0.2, { min: 0 });
  if (dual === undefined) return { low, high };
  return { low, high, dual: checkNumber(`${plugin}.${dualKey}`, dual, { min: 1, exclusiveMin: true }) };
}

function makePpo<O extends object>(name: string, options: O, b: ClipBounds): PolicyLoss<O> {
  return {
    kind: 'policyLoss',
    name,
    options: Object.freeze({ ...options }),
    perToken({ logp, oldLogp, advantages, mask }: PolicyLossInput) {
      return tf.tidy(() => {
        const { logRatio, ratio } = importanceRatio(logp, oldLogp); // [B, T]
        const pos = tf.greater(advantages, 0) as tf.Tensor2D; // [B, T]
        const loss = clippedSurrogate(ratio, advantages, pos, b); // [B, T]
        return { loss, metrics: ratioMetrics({ logRatio, ratio, advantages, mask, pos, bounds: b }) };
      });
    },
    host: ppoHost(b),
  };
}

/** PPO clip with separate lower/upper ranges and an optional dual clip. */
export function ppoClip(options: PpoClipOptions = {}): PolicyLoss<PpoClipOptions> {
  checkKeys('ppoClip', options, PPO_KEYS);
  return makePpo('ppoClip', options, bounds('ppoClip', options));
}

/** DAPO clip-higher: low 0.2, high 0.28 (arXiv 2503.14476). Options override the preset. */
export function clipHigher(options: PpoClipOptions = {}): PolicyLoss<PpoClipOptions> {
  checkKeys('clipHigher', options, PPO_KEYS);
  const o = { low: 0.2, high: 0.28, ...options };
  return makePpo('clipHigher', o, bounds('clipHigher', o));
}

/** NGRPO asymmetric clipping: low 0.16, high 0.24 (arXiv 2509.18851). Options override the preset. */
export function asymmetric(options: PpoClipOptions = {}): PolicyLoss<PpoClipOptions> {
  checkKeys('asymmetric', options, PPO_KEYS);
  const o = { low: 0.16, high: 0.24, ...options };
  return makePpo('asymmetric', o, bounds('asymmetric', o));
}

export interface DualClipOptions {
  /** Dual-clip bound, c > 1. [3] */
  readonly c?: number;
  /** [0.2] */
  readonly low?: number;
  /** [0.2] */
  readonly high?: number;
}

/** Dual-clip PPO (arXiv 1912.09729), verl `vanilla`: for A < 0, l = min(l_ppo, −c·A). */
export function dualClip(options: DualClipOptions = {}): PolicyLoss<DualClipOptions> {
  checkKeys('dualClip', options, ['c', 'low', 'high']);
  const o = { c: 3, ...options };
  return makePpo('dualClip', o, bounds('dualClip', o, 'c', o.c));
}
