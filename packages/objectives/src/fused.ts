/**
 * The fused host kernel of `composeObjective` for backends whose tensors live in host memory (cpu,
 * wasm): the policy loss, its derivative wrt logp, the KL estimate and its derivative, the
 * aggregation and every metric in one pass over the rows — per row, the policy loss's loop and the
 * KL estimator's loop over its valid tokens while the row is in cache — instead of one backend
 * kernel per elementwise op plus the autodiff graph (each a pass over B·T floats).
 *
 *   S_b = Σ_t m·(l_pg + β·kl),   loss = Σ_b w_b·S_b            (w from the aggregator's host form)
 *   ∂loss/∂logp_bt = w_b·m_bt·(∂l_pg/∂logp + β·∂kl/∂logp)       (a tf.customGrad: dy × this)
 * Masked positions (m = 0) are never read, so garbage there changes nothing and their gradient is
 * exactly 0. The gradient flows to logp only (oldLogp, refLogp and advantages are constants).
 */
import * as tf from '@tensorflow/tfjs';
import {
  hostValues,
  type AggregateContext,
  type AggregatorHost,
  type KlEstimatorHost,
  type Metrics,
  type PolicyLossHost,
} from '@grpo-lab/core';

export interface FusedParts {
  readonly policy: PolicyLossHost;
  readonly aggregate: AggregatorHost;
  readonly kl?: { readonly host: KlEstimatorHost; readonly coef: number };
}

export interface FusedInput {
  readonly logp: tf.Tensor2D;
  readonly oldLogp: tf.Tensor2D;
  readonly refLogp?: tf.Tensor2D;
  readonly advantages: tf.Tensor2D;
  readonly mask: tf.Tensor2D;
}

interface HostResult {
  readonly loss: number;
  readonly pgLoss: number;
  readonly kl: number;
  /** Σ m·c_j over the valid tokens, per token metric of the policy loss. */
  readonly sums: Float64Array;
  /** Σ m. */
  readonly tokens: number;
  /** w [B]: the aggregator's row weights. */
  readonly weights: Float64Array;
  /** [B·T] ∂(Σ_b S_b)/∂logp with S_b = Σ_t m·(l_pg + β·kl), before the row weights; null = not asked. */
  readonly grad: Float32Array | null;
}

/** Σ x[start..end), four partial sums (a dependent chain of adds is latency-bound). */
function rowSum(x: Float32Array, start: number, end: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let k = start;
  for (; k + 3 < end; k += 4) {
    a += x[k]!;
    b += x[k + 1]!;
    c += x[k + 2]!;
    d += x[k + 3]!;
  }
  for (; k < end; k++) a += x[k]!;
  return a + b + (c + d);
}

/** One pass over the rows (each plugin's loop runs over a row while it is in cache). */
function run(parts: FusedParts, x: FusedInput, ctx: AggregateContext, withGrad: boolean): HostResult {
  const [B, T] = x.mask.shape;
  // views into wasm's heap (or the cpu backend's arrays): no tensor op until the loop is done
  const logp = hostValues(x.logp);
  const oldLogp = hostValues(x.oldLogp);
  const advantages = hostValues(x.advantages);
  const mask = hostValues(x.mask);
  const { policy, kl } = parts;
  const ref = kl ? hostValues(x.refLogp!) : undefined;
  const beta = kl ? kl.coef : 0;
  const sums = new Float64Array(policy.tokenMetrics.length);
  const rowTokens = new Float64Array(B);
  const rowPg = new Float64Array(B);
  const rowKl = new Float64Array(B);
  const grad = withGrad ? new Float32Array(B * T) : null;
  const klGrad = beta !== 0 ? grad : null;
  for (let b = 0; b < B; b++) {
    const start = b * T;
    const end = start + T;
    rowPg[b] = policy.row(logp, oldLogp, advantages, mask, start, end, grad, sums);
    if (ref !== undefined) rowKl[b] = kl!.host.row(logp, ref, mask, start, end, klGrad, beta);
    rowTokens[b] = rowSum(mask, start, end); // the row is in cache by now
  }
  const weights = parts.aggregate.rowWeights(rowTokens, T, ctx);
  let pgLoss = 0;
  let klMean = 0;
  let tokenCount = 0;
  for (let b = 0; b < B; b++) {
    pgLoss += weights[b]! * rowPg[b]!;
    klMean += weights[b]! * rowKl[b]!;
    tokenCount += rowTokens[b]!;
  }
  return { loss: pgLoss + beta * klMean, pgLoss, kl: klMean, sums, tokens: tokenCount, weights, grad };
}

/**
 * The objective without its entropy term: the loss scalar (differentiable wrt logp through a custom
 * gradient while a gradient tape records) and the metrics of the policy loss, `pg_loss` and `kl`,
 * named and typed as the tensor path reports them.
 */
export function fusedObjective(
  parts: FusedParts,
  x: FusedInput,
  ctx: AggregateContext,
): { loss: tf.Scalar; metrics: Metrics } {
  let r: HostResult;
  let loss: tf.Scalar;
  if (!tf.engine().isTapeOn()) {
    // no gradient can be asked for this call: values and metrics only
    r = run(parts, x, ctx, false);
    loss = tf.scalar(r.loss);
  } else {
    let result: HostResult | undefined;
    const f = tf.customGrad(((logp: tf.Tensor2D) => {
      const h = run(parts, { ...x, logp }, ctx, true);
      result = h;
      const [B, T] = logp.shape;
      return {
        value: tf.scalar(h.loss),
        gradFunc: (dy: tf.Scalar) => {
          const s = dy.dataSync()[0]!;
          const g = new Float32Array(B * T);
          for (let b = 0; b < B; b++) {
            const w = s * h.weights[b]!;
            const end = (b + 1) * T;
            for (let k = b * T; k < end; k++) g[k] = h.grad![k]! * w;
          }
          return tf.tensor2d(g, [B, T]);
        },
      };
    }) as any) as (logp: tf.Tensor2D) => tf.Scalar;
    loss = f(x.logp);
    r = result!;
  }
  // The token means (clip fractions, approx_kl) are plain numbers, already on the host; pg_loss and
  // kl stay scalars, as the aggregated loss parts that a trainer rescales across micro-batches.
  const inv = 1 / Math.max(r.tokens, 1);
  const metrics: Metrics = { ...parts.policy.fixedMetrics };
  parts.policy.tokenMetrics.forEach((name, j) => (metrics[name] = r.sums[j]! * inv));
  metrics.pg_loss = tf.scalar(r.pgLoss);
  if (parts.kl) metrics.kl = tf.scalar(r.kl);
  return { loss, metrics };
}
