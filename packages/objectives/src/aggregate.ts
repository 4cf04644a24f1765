/**
 * Loss aggregation: the five modes of verl `agg_loss`, reducing a per-token loss l [B, T] with the
 * mask m [B, T] to the scalar that is differentiated.
 *
 *   n_i = Σ_t m_it (valid tokens of row i),  N = Σ_i n_i,  B′ = #{i : n_i > 0} (empty rows excluded)
 *   token-mean                Σ l·m / N                         (DAPO, arXiv 2503.14476; verl default)
 *   token-sum                 Σ l·m
 *   seq-mean-token-mean       Σ_i (Σ_t l·m / n_i) / B′          (GRPO, arXiv 2402.03300)
 *   seq-mean-token-sum        Σ_i Σ_t l·m / B′
 *   seq-mean-token-sum-norm   Σ l·m / (B′·L),  L = normLength [T] (Dr. GRPO, arXiv 2503.20783);
 *                             `legacy: true` gives verl's form before PR #5417, Σ l·m / L.
 * Gradient accumulation: `ctx.globalTokens` replaces N and `ctx.globalRows` replaces B′, so that
 * micro-batches add up to the full-batch loss (verl `batch_num_tokens` / `global_batch_size`).
 * Reference: verl `agg_loss` (verl/trainer/ppo/core_algos.py @ 1dda039); tested against
 * `golden/verl.json` (values and gradients).
 */
import * as tf from '@tensorflow/tfjs';
import {
  ValidationError,
  checkKeys,
  checkNumber,
  checkOneOf,
  fmtShape,
  type AggregateContext,
  type Aggregator,
} from '@grpo-lab/core';

export const AGGREGATION_MODES = [
  'token-mean',
  'token-sum',
  'seq-mean-token-mean',
  'seq-mean-token-sum',
  'seq-mean-token-sum-norm',
] as const;
export type AggregationMode = (typeof AGGREGATION_MODES)[number];

export interface AggregatorOptions {
  /** seq-mean-token-sum-norm only: the constant L (e.g. the maximum completion length). [mask width T] */
  readonly normLength?: number;
  /** seq-mean-token-sum-norm only: verl before PR #5417, Σ l·m / L without the 1/B′. [false] */
  readonly legacy?: boolean;
}

/** Throws a ValidationError naming `field` unless x is [B, T] like the mask. */
export function checkSameShape(field: string, x: tf.Tensor | undefined, mask: tf.Tensor2D): void {
  const want = `float32 ${fmtShape(mask.shape)} (the mask's shape)`;
  if (x === undefined) throw new ValidationError(field, want, 'nothing (field missing)');
  if (x.rank !== 2 || x.shape[0] !== mask.shape[0] || x.shape[1] !== mask.shape[1] || x.dtype !== 'float32')
    throw new ValidationError(field, want, `${x.dtype} ${fmtShape(x.shape)}`);
}

/** max(x, 1): a batch without valid tokens (or rows) aggregates to 0, never to NaN. */
const atLeast1 = (x: tf.Tensor) => tf.maximum(x, 1);

function ctxNumber(field: string, v: number | undefined): number | undefined {
  return v === undefined ? undefined : checkNumber(`ctx.${field}`, v, { min: 0, exclusiveMin: true });
}

/** B′: rows with at least one valid token, as a scalar ≥ 1 (or ctx.globalRows). */
function rowCount(rowTokens: tf.Tensor1D, ctx: AggregateContext): tf.Tensor | number {
  return (
    ctxNumber('globalRows', ctx.globalRows) ?? atLeast1(tf.sum(tf.cast(tf.greater(rowTokens, 0), 'float32')))
  );
}

function reduce(
  mode: AggregationMode,
  o: AggregatorOptions,
  loss: tf.Tensor2D,
  mask: tf.Tensor2D,
  ctx: AggregateContext,
): tf.Scalar {
  const lm = tf.mul(loss, mask); // [B, T] masked positions give 0 (their values are finite by contract)
  switch (mode) {
    case 'token-sum':
      return tf.sum(lm);
    case 'token-mean':
      return tf.div(tf.sum(lm), ctxNumber('globalTokens', ctx.globalTokens) ?? atLeast1(tf.sum(mask)));
    case 'seq-mean-token-mean': {
      const n = tf.sum(mask, 1) as tf.Tensor1D; // [B]
      const rowMeans = tf.div(tf.sum(lm, 1), atLeast1(n)); // [B] an empty row gives 0
      return tf.div(tf.sum(rowMeans), rowCount(n, ctx));
    }
    case 'seq-mean-token-sum':
      return tf.div(tf.sum(lm), rowCount(tf.sum(mask, 1) as tf.Tensor1D, ctx));
    case 'seq-mean-token-sum-norm': {
      const L = o.normLength ?? ctxNumber('normLength', ctx.normLength) ?? loss.shape[1];
      if (o.legacy) return tf.div(tf.sum(lm), L);
      return tf.div(tf.div(tf.sum(lm), rowCount(tf.sum(mask, 1) as tf.Tensor1D, ctx)), L);
    }
  }
}

/**
 * The same reduction as per-row weights (`Aggregator.host`): reduce(l, m, ctx) = Σ_b w_b Σ_t m·l,
 * from n_b = Σ_t m_bt; the same ctx checks, defaults and max(·, 1) guards as `reduce`.
 */
function rowWeights(
  mode: AggregationMode,
  o: AggregatorOptions,
  n: Float64Array,
  T: number,
  ctx: AggregateContext,
): Float64Array {
  const w = new Float64Array(n.length);
  const rows = () => {
    const g = ctxNumber('globalRows', ctx.globalRows);
    if (g !== undefined) return g;
    let r = 0;
    for (const x of n) if (x > 0) r += 1;
    return Math.max(r, 1);
  };
  switch (mode) {
    case 'token-sum':
      w.fill(1);
      break;
    case 'token-mean': {
      let N = 0;
      for (const x of n) N += x;
      w.fill(1 / (ctxNumber('globalTokens', ctx.globalTokens) ?? Math.max(N, 1)));
      break;
    }
    case 'seq-mean-token-mean': {
      const R = rows();
      n.forEach((x, b) => (w[b] = 1 / (Math.max(x, 1) * R)));
      break;
    }
    case 'seq-mean-token-sum':
      w.fill(1 / rows());
      break;
    case 'seq-mean-token-sum-norm': {
      const L = o.normLength ?? ctxNumber('normLength', ctx.normLength) ?? T;
      w.fill(o.legacy ? 1 / L : 1 / (rows() * L));
      break;
    }
  }
  return w;
}

/** One aggregator for any mode; the named factories below are presets of it. */
export function aggregator(
  mode: AggregationMode,
  options: AggregatorOptions = {},
): Aggregator<AggregatorOptions> {
  checkOneOf('aggregator.mode', mode, AGGREGATION_MODES);
  const norm = mode === 'seq-mean-token-sum-norm';
  checkKeys(mode, options, norm ? ['normLength', 'legacy'] : []);
  if (options.normLength !== undefined)
    checkNumber(`${mode}.normLength`, options.normLength, { min: 0, exclusiveMin: true });
  if (options.legacy !== undefined && typeof options.legacy !== 'boolean')
    throw new ValidationError(`${mode}.legacy`, 'a boolean', JSON.stringify(options.legacy));
  return {
    kind: 'aggregator',
    name: mode,
    options: Object.freeze({ ...options }),
    reduce(loss, mask, ctx = {}) {
      checkSameShape('loss', loss, mask);
      return tf.tidy(() => reduce(mode, options, loss, mask, ctx));
    },
    host: { rowWeights: (rowTokens, T, ctx = {}) => rowWeights(mode, options, rowTokens, T, ctx) },
  };
}

export const tokenMean = (options: AggregatorOptions = {}) => aggregator('token-mean', options);
export const tokenSum = (options: AggregatorOptions = {}) => aggregator('token-sum', options);
export const seqMeanTokenMean = (options: AggregatorOptions = {}) =>
  aggregator('seq-mean-token-mean', options);
export const seqMeanTokenSum = (options: AggregatorOptions = {}) => aggregator('seq-mean-token-sum', options);
export const seqMeanTokenSumNorm = (options: AggregatorOptions = {}) =>
  aggregator('seq-mean-token-sum-norm', options);

/** Factories by mode name, for a registry: `registry.registerAll('aggregator', aggregatorPlugins)`. */
export const aggregatorPlugins = {
  'token-mean': tokenMean,
  'token-sum': tokenSum,
  'seq-mean-token-mean': seqMeanTokenMean,
  'seq-mean-token-sum': seqMeanTokenSum,
  'seq-mean-token-sum-norm': seqMeanTokenSumNorm,
} as const satisfies Record<AggregationMode, (o?: AggregatorOptions) => Aggregator<AggregatorOptions>>;
