/**
 * The default registry: every plugin of the grpo-lab packages by its config name, plus the
 * trainer's own `dynamicSampling` group filter. Users pass their own registry to add plugins.
 */
import { createRegistry, type Registry } from '@grpo-lab/core';
import { advantagePlugins } from '@grpo-lab/advantages';
import { clippingPlugins } from '@grpo-lab/clipping';
import { aggregatorPlugins, klPlugins } from '@grpo-lab/objectives';
import { reweighterPlugins } from '@grpo-lab/reweighters';
import { dynamicSampling } from './rollout.js';

export function defaultRegistry(): Registry {
  const r = createRegistry();
  r.registerAll('advantage', advantagePlugins);
  r.registerAll('policyLoss', clippingPlugins);
  r.registerAll('aggregator', aggregatorPlugins);
  r.registerAll('kl', klPlugins);
  r.registerAll('reweighter', reweighterPlugins);
  r.register('groupFilter', 'dynamicSampling', dynamicSampling);
  return r;
}
