/**
 * The optimisation phase of one step: μ epochs × mini-batches, each mini-batch one optimizer update
 * accumulated over micro-batches (so a large group batch fits in memory):
 *
 *   L = agg(l_pg) + β·agg(KL(π_θ‖π_ref)) − c_H·agg(H(π_θ))      l_pg from the clipping policy on Â = A·w
 *
 * Aggregation is normalised over the whole mini-batch (ctx.globalRows / globalTokens), so the sum of
 * micro-batch losses equals the mini-batch loss and accumulation changes nothing but memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { Metric, PolicyModel, Rng, SequenceBatch } from '@grpo-lab/core';
import type { Objective } from '@grpo-lab/objectives';
import type { Adam } from './optimizer.js';

/** Step tensors the update reads (all [B, …]; the trainer owns them). */
export interface UpdateBatch {
  readonly seq: SequenceBatch;
  readonly mask: tf.Tensor2D; // [B, T]
  readonly advantages: tf.Tensor2D; // [B, T] already × re-weighter weights
  readonly oldLogp: tf.Tensor2D; // [B, T]
  readonly refLogp?: tf.Tensor2D; // [B, T]
  /** Valid response tokens per row (host). */
  readonly rowTokens: readonly number[];
}

export interface UpdatePlan {
  readonly numIterations: number;
  readonly miniBatchSize: number; // 0 = all rows
  readonly microBatchSize: number; // 0 = the mini-batch
  /** Learning rate of the next optimizer update, given its index. */
  lr(update: number): number;
}

export type UpdateMetrics = Record<string, number>;

const ALIASES: Record<string, string> = {
  clip_frac_upper: 'clip_frac_upper',
  clip_frac_high: 'clip_frac_upper',
  clipfrac_upper: 'clip_frac_upper',
  clip_frac_higher: 'clip_frac_upper',
  clip_frac_lower: 'clip_frac_lower',
  clip_frac_low: 'clip_frac_lower',
  clipfrac_lower: 'clip_frac_lower',
  dual_clip_frac: 'dual_clip_frac',
  clip_frac_dual: 'dual_clip_frac',
  dualclip_frac: 'dual_clip_frac',
  pg_clipfrac_lower: 'dual_clip_frac',
  approx_kl: 'approx_kl',
  ppo_kl: 'approx_kl',
};

/** `clipFracUpper` / `clip_frac_upper` → the metrics-line key. */
export function metricKey(k: string): string {
  const snake = k
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-.\s]/g, '_')
    .toLowerCase();
  return ALIASES[snake] ?? snake;
}

/** Objective metrics aggregated with the global (mini-batch) normalisation: summed over micro-batches. */
const ADDITIVE = new Set(['pg_loss', 'kl', 'entropy']);

function sliceRows(b: UpdateBatch, rows: number[]): Omit<UpdateBatch, 'rowTokens'> {
  return tf.tidy(() => {
    const idx = tf.tensor1d(rows, 'int32');
    const g = <T extends tf.Tensor>(t: T) => tf.gather(t, idx) as T;
    return {
      seq: { tokens: g(b.seq.tokens), attention: g(b.seq.attention), promptLength: b.seq.promptLength },
      mask: g(b.mask),
      advantages: g(b.advantages),
      oldLogp: g(b.oldLogp),
      refLogp: b.refLogp ? g(b.refLogp) : undefined,
    };
  });
}

/** Runs the whole optimisation phase; returns token-weighted means of the loss parts and plugin metrics. */
export async function optimise(
  policy: PolicyModel,
  vars: tf.Variable[],
  adam: Adam,
  obj: Objective,
  b: UpdateBatch,
  plan: UpdatePlan,
  rng: Rng,
): Promise<UpdateMetrics> {
  const B = b.rowTokens.length;
  const mini = plan.miniBatchSize > 0 ? Math.min(plan.miniBatchSize, B) : B;
  const micro = plan.microBatchSize > 0 ? Math.min(plan.microBatchSize, mini) : mini;
  const sums = new Map<string, { v: number; w: number }>();
  const add = (k: string, v: number, w: number) => {
    const s = sums.get(k) ?? { v: 0, w: 0 };
    s.v += v * w;
    s.w += w;
    sums.set(k, s);
  };
  let gradNorm = 0;
  for (let epoch = 0; epoch < plan.numIterations; epoch++) {
    const order = B > mini ? rng.shuffle([...Array(B).keys()]) : [...Array(B).keys()];
    for (let m0 = 0; m0 < B; m0 += mini) {
      const mb = order.slice(m0, m0 + mini);
      const globalTokens = mb.reduce((a, i) => a + b.rowTokens[i]!, 0);
      const globalRows = mb.filter((i) => b.rowTokens[i]! > 0).length;
      if (globalTokens === 0) continue;
      let acc: tf.Tensor[] | null = null;
      for (let c0 = 0; c0 < mb.length; c0 += micro) {
        const rows = mb.slice(c0, c0 + micro);
        const chunkTokens = rows.reduce((a, i) => a + b.rowTokens[i]!, 0);
        if (chunkTokens === 0) continue;
        const part = sliceRows(b, rows);
        const kept: Record<string, tf.Tensor> = {};
        const keep = (k: string, m: Metric) => {
          if (typeof m === 'number') add(k, m, chunkTokens);
          else kept[k] = tf.keep(m);
        };
        const withEntropy = (obj.entropy?.coef ?? 0) > 0;
        const { value, grads } = tf.variableGrads(() => {
          const ctx = { globalRows, globalTokens, normLength: part.mask.shape[1] };
          const out = policy.score(part.seq, withEntropy ? { entropy: true } : undefined);
          const input = {
            logp: out.logp,
            oldLogp: part.oldLogp,
            refLogp: part.refLogp,
            advantages: part.advantages,
            mask: part.mask,
          };
          const { loss, metrics } = obj.loss(withEntropy ? { ...input, entropy: out.entropy } : input, ctx);
          for (const [k, m] of Object.entries(metrics)) keep(metricKey(k), m);
          return loss;
        }, vars);
        const g = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
        if (acc === null) acc = g;
        else {
          const prev: tf.Tensor[] = acc;
          acc = prev.map((a, i) => tf.add(a, g[i]!));
          prev.forEach((t) => t.dispose());
          g.forEach((t) => t.dispose());
        }
        // one host read per micro-batch: the loss and every kept metric
        const keys = Object.keys(kept);
        const packed = tf.tidy(() =>
          tf.concat([tf.reshape(value, [1]), ...keys.map((k) => tf.reshape(kept[k]!, [1]))]),
        );
        const vals = await packed.data();
        packed.dispose();
        value.dispose();
        Object.values(kept).forEach((t) => t.dispose());
        // additive parts (globally normalised) are summed per mini-batch; means are token-weighted
        add('loss', vals[0]! * (globalTokens / chunkTokens), chunkTokens);
        keys.forEach((k, i) => {
          const v = vals[i + 1]!;
          const additive = ADDITIVE.has(k);
          add(k, additive ? v * (globalTokens / chunkTokens) : v, chunkTokens);
        });
        tf.dispose([
          part.seq.tokens,
          part.seq.attention,
          part.mask,
          part.advantages,
          part.oldLogp,
          part.refLogp ?? [],
        ]);
      }
      if (acc) {
        gradNorm = await adam.apply(acc, plan.lr(adam.step));
        acc.forEach((t) => t.dispose());
        add('grad_norm', gradNorm, 1);
      }
    }
  }
  const out: UpdateMetrics = {};
  for (const [k, s] of sums) out[k] = s.w > 0 ? s.v / s.w : 0;
  return out;
}
