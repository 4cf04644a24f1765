/**
 * @grpo-lab/clipping — policy-loss (clipping) plugins: `perToken({ logp, oldLogp, advantages, mask })
 * → { loss [B, T], metrics }`, aggregated afterwards by an @grpo-lab/objectives aggregator.
 */
import type { Factory, PolicyLoss } from '@grpo-lab/core';
import { asymmetric, clipHigher, dualClip, ppoClip } from './ppo.js';
import { gspo } from './gspo.js';
import { cispo } from './cispo.js';
import { sapo } from './sapo.js';
import { reinforce } from './reinforce.js';

export {
  asymmetric,
  clipHigher,
  dualClip,
  ppoClip,
  type DualClipOptions,
  type PpoClipOptions,
} from './ppo.js';
export { gspo, type GspoOptions } from './gspo.js';
export { cispo, type CispoOptions } from './cispo.js';
export { sapo, type SapoOptions } from './sapo.js';
export { reinforce, type ReinforceOptions } from './reinforce.js';
export { LOG_RATIO_LIMIT, importanceRatio } from './surrogate.js';

/** Factories by name, for a registry: `registry.registerAll('policyLoss', clippingPlugins)`. */
export const clippingPlugins: Record<string, Factory<PolicyLoss>> = {
  ppoClip,
  clipHigher,
  asymmetric,
  dualClip,
  gspo,
  cispo,
  sapo,
  reinforce,
};
