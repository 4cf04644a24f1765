/**
 * composeObjective: one differentiable scalar from a clipping policy, an aggregator, an optional
 * KL penalty and an optional entropy bonus, with the metrics of every part.
 *
 *   loss = agg(l_pg) + β·agg(kl(logp, refLogp)) − c_H·agg(H)                      scalar
 * with l_pg = policyLoss.perToken(...) [B, T] and one aggregator for all three terms, as verl's
 * actor (dp_actor.py `update_policy`: pg_loss − entropy_coeff·entropy_loss + kl_loss·kl_loss_coef).
 * KL in the loss is GRPO's placement (arXiv 2402.03300); KL in the reward is the trainer's business.
 * Configure once: the parts are validated here and never looked up again.
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkKeys,
  checkNumber,
  ValidationError,
  type AggregateContext,
  type Aggregator,
  type KlEstimator,
  type Metrics,
  type PolicyLoss,
} from '@grpo-lab/core';
import { aggregator, checkSameShape, type AggregationMode } from './aggregate.js';
import { entropyBonus, type EntropyBonus } from './entropy.js';
import { klPlugins } from './kl.js';

export interface ObjectiveConfig {
  readonly policyLoss: PolicyLoss;
  /** An aggregator or a mode name. [policyLoss.preferredAggregation ?? 'token-mean'] */
  readonly aggregate?: Aggregator | AggregationMode;
  /** KL penalty in the loss: an estimator (or its name, e.g. 'k3', 'k3+') and β ≥ 0. [none] */
  readonly kl?: { readonly estimator: KlEstimator | keyof typeof klPlugins; readonly coef: number };
  /** Entropy bonus coefficient c_H ≥ 0. [none] */
  readonly entropy?: { readonly coef: number };
}

export interface ObjectiveInput {
  readonly logp: tf.Tensor2D; // [B, T] differentiable
  readonly oldLogp: tf.Tensor2D; // [B, T]
  readonly refLogp?: tf.Tensor2D; // [B, T] needed with kl
  readonly entropy?: tf.Tensor2D; // [B, T] current-policy entropy, needed with entropy.coef > 0
  readonly advantages: tf.Tensor2D; // [B, T]
  readonly mask: tf.Tensor2D; // [B, T]
}

export interface Objective {
  readonly policyLoss: PolicyLoss;
  readonly aggregator: Aggregator;
  readonly kl?: { readonly estimator: KlEstimator; readonly coef: number };
  readonly entropy?: EntropyBonus;
  /** The scalar to minimise and the metrics (scalar tensors: pg_loss, kl, entropy, clip fractions...). */
  loss(input: ObjectiveInput, ctx?: AggregateContext): { loss: tf.Scalar; metrics: Metrics };
}

function resolveKl(spec: NonNullable<ObjectiveConfig['kl']>): { estimator: KlEstimator; coef: number } {
  checkKeys('kl', spec, ['estimator', 'coef']);
  const coef = checkNumber('kl.coef', spec.coef, { min: 0 });
  const e = spec.estimator;
  if (typeof e === 'string') {
    const f = (klPlugins as Record<string, () => KlEstimator>)[e];
    if (!f)
      throw new ValidationError(
        'kl.estimator',
        `one of ${Object.keys(klPlugins)
          .map((n) => `"${n}"`)
          .join(', ')}`,
        JSON.stringify(e),
      );
    return { estimator: f(), coef };
  }
  if (!e || e.kind !== 'kl')
    throw new ValidationError('kl.estimator', 'a KL estimator plugin or its name', String(e));
  return { estimator: e, coef };
}

export function composeObjective(config: ObjectiveConfig): Objective {
  checkKeys('objective', config, ['policyLoss', 'aggregate', 'kl', 'entropy']);
  const { policyLoss } = config;
  if (!policyLoss || policyLoss.kind !== 'policyLoss')
    throw new ValidationError('policyLoss', 'a policy-loss plugin (e.g. ppoClip())', String(policyLoss));
  const agg =
    config.aggregate ?? (policyLoss.preferredAggregation as AggregationMode | undefined) ?? 'token-mean';
  const aggregate = typeof agg === 'string' ? aggregator(agg) : agg;
  if (!aggregate || aggregate.kind !== 'aggregator')
    throw new ValidationError('aggregate', 'an aggregator plugin or a mode name', String(agg));
  const kl = config.kl === undefined ? undefined : resolveKl(config.kl);
  const entropy = config.entropy === undefined ? undefined : entropyBonus(config.entropy);

  return {
    policyLoss,
    aggregator: aggregate,
    kl,
    entropy,
    loss(input, ctx = {}) {
      const { logp, oldLogp, refLogp, advantages, mask } = input;
      if (!mask || mask.rank !== 2)
        throw new ValidationError('mask', 'float32 [B, T]', mask ? `rank ${mask.rank}` : 'nothing');
      checkSameShape('logp', logp, mask);
      checkSameShape('oldLogp', oldLogp, mask);
      checkSameShape('advantages', advantages, mask);
      if (kl) checkSameShape('refLogp', refLogp, mask);
      if (entropy && entropy.coef > 0) checkSameShape('entropy', input.entropy, mask);
      else if (input.entropy !== undefined) checkSameShape('entropy', input.entropy, mask);
      return tf.tidy(() => {
        const pg = policyLoss.perToken({ logp, oldLogp, advantages, mask }); // loss [B, T]
        const pgLoss = aggregate.reduce(pg.loss, mask, ctx);
        const metrics: Metrics = { ...pg.metrics, pg_loss: pgLoss };
        let loss: tf.Scalar = pgLoss;
        if (kl) {
          const klMean = aggregate.reduce(kl.estimator.perToken(logp, refLogp!), mask, ctx);
          metrics.kl = klMean;
          if (kl.coef > 0) loss = tf.add(loss, tf.mul(klMean, kl.coef));
        }
        if (input.entropy !== undefined) {
          const ent = aggregate.reduce(input.entropy, mask, ctx);
          metrics.entropy = ent;
          if (entropy && entropy.coef > 0) loss = tf.sub(loss, tf.mul(ent, entropy.coef));
        }
        return { loss, metrics };
      });
    },
  };
}
