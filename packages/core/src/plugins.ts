/**
 * Plugin interfaces (SPEC §3). Every plugin is a plain object made by a factory of typed options:
 * `{ kind, name, options, ...pure tensor functions }`. Plugins never import each other or the
 * trainer; the trainer sees only these interfaces, and each plugin *declares* what it needs.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Batch } from './batch.js';

/** What a plugin asks the trainer to compute (from the old-policy forward pass, no gradient). */
export interface Needs {
  /** Last-layer hidden states (LM-head input), `batch.hidden` [B, T, d]. */
  readonly hidden?: boolean;
  /** Logits at chosen vocabulary ids plus the full-vocabulary log-sum-exp, `batch.logits`. */
  readonly logits?: boolean;
  /** Per-token entropy of the old policy, `batch.entropy` [B, T]. */
  readonly entropy?: boolean;
  /** Response token ids, `batch.tokenIds` [B, T]. */
  readonly tokenIds?: boolean;
}

/** A metric is a number, or a scalar tensor the trainer reads (and disposes) once per step. */
export type Metric = number | tf.Scalar;
export type Metrics = Record<string, Metric>;

interface PluginBase<K extends string, O> {
  readonly kind: K;
  readonly name: string;
  readonly options: Readonly<O>;
}

/** The fields of the batch an advantage estimator may read. */
export type AdvantageInput = Pick<Batch, 'groupIds' | 'rewards' | 'mask' | 'rewardsHost'>;

/** Advantage estimator: `compute(batch) → float32 [B, T]` (per-sequence value × mask, or per-token). */
export interface AdvantageEstimator<O = unknown> extends PluginBase<'advantage', O> {
  compute(batch: AdvantageInput): tf.Tensor2D;
}

export interface ReweightResult {
  /** float32 [B, T]; the trainer optimises with `advantages × weights`. */
  readonly weights: tf.Tensor2D;
  readonly metrics: Metrics;
  /** Optional per-token scores for analysis (e.g. NTHR s(t)), float32 [B, T]; NaN where undefined. */
  readonly scores?: tf.Tensor2D;
}

/** Token re-weighter (NTHR, controls). Computed without gradients; may read the host (async). */
export interface TokenReweighter<O = unknown> extends PluginBase<'reweighter', O> {
  readonly needs: Needs;
  weights(batch: Batch, advantages: tf.Tensor2D): Promise<ReweightResult>;
}

export interface PolicyLossInput {
  readonly logp: tf.Tensor2D; // [B, T] differentiable
  readonly oldLogp: tf.Tensor2D; // [B, T] constant
  readonly advantages: tf.Tensor2D; // [B, T]
  readonly mask: tf.Tensor2D; // [B, T]
}

/**
 * Host (CPU) form of a per-token policy loss, for fused kernels on backends whose tensors live in
 * host memory (cpu, wasm): plain loops over a row's numbers, no tensors. Optional: a loss without it
 * (or one whose value at a token depends on other tokens, as GSPO's) is composed on tensors.
 * It must agree with `perToken` to float32 round-off: value, autodiff gradient wrt logp, metrics.
 */
export interface PolicyLossHost {
  /**
   * The metrics that are means over valid tokens: metric j = Σ m·c_j / max(Σ m, 1), with the
   * per-token contributions c_j summed by `row`; reported as scalars, as the tensor path does.
   */
  readonly tokenMetrics: readonly string[];
  /** Metrics with a fixed value, reported as these numbers (as the tensor path does). */
  readonly fixedMetrics: Readonly<Record<string, number>>;
  /**
   * One row's tokens k, start ≤ k < end, with mask[k] ≠ 0 (the others are not read), of flat
   * row-major [B, T] arrays (read-only): returns the row's S = Σ_k m_k·l_k; adds
   * ∂S/∂logp_k = m_k·∂l_k/∂logp_k (autodiff's conventions at clamp boundaries) to grad[k] when grad
   * is given; adds Σ_k m_k·c_j(k) to sums[j] for each tokenMetrics[j]. Plain loops, no tensor ops
   * (the arrays may be views into a wasm heap that any tensor op can move).
   */
  row(
    logp: Float32Array,
    oldLogp: Float32Array,
    advantages: Float32Array,
    mask: Float32Array,
    start: number,
    end: number,
    grad: Float32Array | null,
    sums: Float64Array,
  ): number;
}

/** Clipping policy: per-token loss to be minimised, plus metrics (clip fractions, approx KL). */
export interface PolicyLoss<O = unknown> extends PluginBase<'policyLoss', O> {
  perToken(input: PolicyLossInput): { loss: tf.Tensor2D; metrics: Metrics };
  /** Set when the loss is aggregated in a fixed way by its paper (e.g. GSPO: seq-mean-token-mean). */
  readonly preferredAggregation?: string;
  /** The same loss per token on host numbers, for fused cpu/wasm kernels (optional). */
  readonly host?: PolicyLossHost;
}

export interface AggregateContext {
  /** Width used by `seq-mean-token-sum-norm` (Dr. GRPO); defaults to the mask width T. */
  readonly normLength?: number;
  /** Number of rows used as B′ in global (gradient-accumulation) normalisation; defaults to this batch's. */
  readonly globalRows?: number;
  /** Number of valid tokens used by token-mean in global normalisation; defaults to this batch's. */
  readonly globalTokens?: number;
}

/**
 * Host form of a linear aggregator, for fused cpu/wasm kernels: per-row weights w with
 * reduce(l, m, ctx) = Σ_b w_b Σ_t m_bt·l_bt.
 */
export interface AggregatorHost {
  /**
   * w [B] from each row's valid-token count n_b = Σ_t m_bt and the mask width T; validates ctx as
   * `reduce` does (same errors).
   */
  rowWeights(rowTokens: Float64Array, T: number, ctx: AggregateContext): Float64Array;
}

/** Loss aggregation: `reduce(loss [B, T], mask [B, T]) → scalar`. */
export interface Aggregator<O = unknown> extends PluginBase<'aggregator', O> {
  reduce(loss: tf.Tensor2D, mask: tf.Tensor2D, ctx?: AggregateContext): tf.Scalar;
  /** The same reduction as row weights, for fused cpu/wasm kernels (optional). */
  readonly host?: AggregatorHost;
}

/** Host form of a KL estimator, for fused cpu/wasm kernels (must agree with `perToken`). */
export interface KlEstimatorHost {
  /**
   * One row's tokens k, start ≤ k < end, with mask[k] ≠ 0 (the others are not read), of flat
   * row-major [B, T] arrays (read-only): returns S = Σ_k m_k·kl_k; adds scale·m_k·∂kl_k/∂logp_k
   * (as autodiff gives it) to grad[k] when grad is given. Plain loops, no tensor ops.
   */
  row(
    logp: Float32Array,
    refLogp: Float32Array,
    mask: Float32Array,
    start: number,
    end: number,
    grad: Float32Array | null,
    scale: number,
  ): number;
}

/** KL estimator between the policy and the reference: `perToken(logp, refLogp) → [B, T]`. */
export interface KlEstimator<O = unknown> extends PluginBase<'kl', O> {
  perToken(logp: tf.Tensor2D, refLogp: tf.Tensor2D): tf.Tensor2D;
  /** The same estimator per token on host numbers, for fused cpu/wasm kernels (optional). */
  readonly host?: KlEstimatorHost;
}

/** Dynamic sampling: which groups to keep (host data: group ids and rewards per row). */
export interface GroupFilter<O = unknown> extends PluginBase<'groupFilter', O> {
  keep(groupIds: ArrayLike<number>, rewards: ArrayLike<number>): Map<number, boolean>;
}

/** One sample as a reward function sees it. */
export interface RewardSample {
  readonly prompt: string;
  readonly completion: string;
  readonly answer: string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** A reward function: sync or async, returns a finite number. */
export type RewardFunction = (sample: RewardSample) => number | Promise<number>;

export type Plugin =
  AdvantageEstimator | TokenReweighter | PolicyLoss | Aggregator | KlEstimator | GroupFilter;

export type PluginKind = Plugin['kind'];

/** An injected logger; library code never prints. */
export interface Logger {
  debug(msg: string, data?: unknown): void;
  info(msg: string, data?: unknown): void;
  warn(msg: string, data?: unknown): void;
  error(msg: string, data?: unknown): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
