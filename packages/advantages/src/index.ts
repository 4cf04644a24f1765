/**
 * @grpo-lab/advantages: advantage estimators for GRPO-family training. Each factory takes typed
 * options and returns a plain `AdvantageEstimator` whose `compute(batch)` gives float32 [B, T].
 */
import { drGrpo, grpo, ngrpo } from './grpo.js';
import { rloo } from './rloo.js';
import { reinforcePlusPlusBaseline } from './reinforce-pp.js';
import { nsr, psr, wReinforce } from './w-reinforce.js';
import { opo } from './opo.js';
import { gpg } from './gpg.js';
import { passAtK } from './pass-at-k.js';

export { drGrpo, grpo, groupNormalized, ngrpo } from './grpo.js';
export type { DrGrpoOptions, GrpoOptions, NgrpoOptions, ResolvedGrpoOptions } from './grpo.js';
export { rloo, type RlooOptions } from './rloo.js';
export { reinforcePlusPlusBaseline, type ReinforcePlusPlusBaselineOptions } from './reinforce-pp.js';
export { nsr, psr, wReinforce, type CorrectnessOptions, type WReinforceOptions } from './w-reinforce.js';
export { opo, type OpoOptions } from './opo.js';
export { gpg, type GpgOptions } from './gpg.js';
export { passAtK, type PassAtKOptions } from './pass-at-k.js';

/** Every estimator by its config name, for a core registry: `registry.registerAll('advantage', advantagePlugins)`. */
export const advantagePlugins = {
  grpo,
  drGrpo,
  ngrpo,
  rloo,
  reinforcePlusPlusBaseline,
  wReinforce,
  psr,
  nsr,
  opo,
  gpg,
  passAtK,
} as const;
