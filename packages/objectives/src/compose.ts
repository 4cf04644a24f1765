/**
 * composeObjective: one differentiable scalar from a clipping policy, an aggregator, an optional
 * KL penalty and an optional entropy bonus, with the metrics of every part.
 *
 *   loss = agg(l_pg) + β·agg(kl(logp, refLogp)) − c_H·agg(H)                      scalar
 * with l_pg = policyLoss.perToken(...) [B, T] and one aggregator for all three terms, as verl's
 * actor (dp_actor.py `update_policy`: pg_loss − entropy_coeff·entropy_loss + kl_loss·kl_loss_coef).
 * KL in the loss is GRPO's placement (arXiv 2402.03300); KL in the reward is the trainer's business.
 * Configure once: the parts are validated here and never looked up again.
 *
 * Two paths, the same values, gradients and metrics (to float32 round-off):
 * - tensor: each part's tensor functions, differentiated by tfjs autodiff (every backend);
 * - host: when the policy loss, the aggregator and the KL estimator all have a host form and the
 *   backend keeps tensors in host memory (cpu, wasm), one fused loop over the tokens (fused.ts)
 *   with a custom gradient wrt logp. `path: 'auto'` [default] picks host there, tensor elsewhere
 *   (never host on webgpu, where reading tensors synchronously is not possible).
 * The entropy term stays on the tensor path in both (its gradient flows to the entropy input).
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkKeys,
  checkNumber,
  checkOneOf,
  isHostBackend,
  ValidationError,
  type AggregateContext,
  type Aggregator,
  type KlEstimator,
  type Metrics,
  type PolicyLoss,
} from '@grpo-lab/core';
import { aggregator, checkSameShape, type AggregationMode } from './aggregate.js';
import { entropyBonus, type EntropyBonus } from './entropy.js';
import { fusedObjective, type FusedParts } from './fused.js';
import { klPlugins } from './kl.js';

export const OBJECTIVE_PATHS = ['auto', 'host', 'tensor'] as const;
export type ObjectivePath = (typeof OBJECTIVE_PATHS)[number];

export interface ObjectiveConfig {
  readonly policyLoss: PolicyLoss;
  /** An aggregator or a mode name. [policyLoss.preferredAggregation ?? 'token-mean'] */
  readonly aggregate?: Aggregator | AggregationMode;
  /** KL penalty in the loss: an estimator (or its name, e.g. 'k3', 'k3+') and β ≥ 0. [none] */
  readonly kl?: { readonly estimator: KlEstimator | keyof typeof klPlugins; readonly coef: number };
  /** Entropy bonus coefficient c_H ≥ 0. [none] */
  readonly entropy?: { readonly coef: number };
  /**
   * 'auto': the fused host kernel on cpu/wasm when every part has a host form, else tensors;
   * 'tensor': always tensors (autodiff; e.g. for gradients wrt advantages or refLogp);
   * 'host': always the fused kernel (throws here if a part has no host form, and in `loss` on
   * webgpu). ['auto']
   */
  readonly path?: ObjectivePath;
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
  readonly path: ObjectivePath;
  /** Whether `loss` takes the fused host kernel on `backend` [the active one]. */
  usesHostPath(backend?: string): boolean;
  /**
   * The scalar to minimise and the metrics: pg_loss, kl, entropy (scalar tensors) and the policy
   * loss's (clip fractions, approx_kl: scalar tensors on the tensor path, numbers on the host path).
   */
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
  checkKeys('objective', config, ['policyLoss', 'aggregate', 'kl', 'entropy', 'path']);
  const path = checkOneOf('objective.path', config.path ?? 'auto', OBJECTIVE_PATHS);
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
  const fused: FusedParts | undefined =
    policyLoss.host && aggregate.host && (!kl || kl.estimator.host)
      ? {
          policy: policyLoss.host,
          aggregate: aggregate.host,
          kl: kl ? { host: kl.estimator.host!, coef: kl.coef } : undefined,
        }
      : undefined;
  if (path === 'host' && !fused) {
    const missing = [policyLoss, aggregate, kl?.estimator].filter((p) => p && !p.host).map((p) => p!.name);
    throw new ValidationError(
      'objective.path',
      `"auto" or "tensor" ("host" needs a host form of every part; none in ${missing.join(', ')})`,
      '"host"',
    );
  }
  const usesHostPath = (backend: string = tf.getBackend()) =>
    fused !== undefined && (path === 'host' || (path === 'auto' && isHostBackend(backend)));

  return {
    policyLoss,
    aggregator: aggregate,
    kl,
    entropy,
    path,
    usesHostPath,
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
      const backend = tf.getBackend();
      if (usesHostPath(backend) && mask.dtype === 'float32') {
        if (backend === 'webgpu')
          throw new Error('composeObjective: path "host" reads tensors synchronously, which webgpu cannot');
        return tf.tidy(() => {
          const out = fusedObjective(fused!, { logp, oldLogp, refLogp, advantages, mask }, ctx);
          if (input.entropy === undefined) return out;
          const ent = aggregate.reduce(input.entropy, mask, ctx);
          out.metrics.entropy = ent;
          const loss = entropy && entropy.coef > 0 ? tf.sub(out.loss, tf.mul(ent, entropy.coef)) : out.loss;
          return { loss: loss as tf.Scalar, metrics: out.metrics };
        });
      }
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
