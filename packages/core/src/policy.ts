/**
 * What the trainer needs from a policy model (implemented by @grpo-lab/model; any model that
 * implements it can be trained). Sequences are laid out as verl does: a left-padded prompt of width
 * P, then a right-padded response of width T; responses start at column P in every row.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LogitsSource } from './batch.js';

export interface SequenceBatch {
  /** int32 [B, P + T]: left-padded prompt tokens, then right-padded response tokens. */
  readonly tokens: tf.Tensor2D;
  /** float32 [B, P + T]: 1 on real tokens (prompt and response), 0 on padding. */
  readonly attention: tf.Tensor2D;
  /** P: width of the prompt block. The response block is columns P..P+T−1. */
  readonly promptLength: number;
}

export interface ScoreRequest {
  /** Per-token entropy of the predicted distribution, [B, T]. */
  readonly entropy?: boolean;
  /** Last-layer hidden states that predict each response token (LM-head input), [B, T, d]. */
  readonly hidden?: boolean;
  /** Restricted logits + full-vocabulary log-sum-exp (NTHR). */
  readonly logits?: boolean;
}

export interface ScoreOutput {
  /** log π(y_t | prefix) of each response token: float32 [B, T] (garbage-free 0 at padding not guaranteed). */
  readonly logp: tf.Tensor2D;
  readonly entropy?: tf.Tensor2D; // [B, T]
  readonly hidden?: tf.Tensor3D; // [B, T, d]
  readonly logits?: LogitsSource;
}

export interface PolicyModel {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly maxContext: number;
  /** The trainable weights (what the optimizer updates). */
  trainableVariables(): tf.Variable[];
  /**
   * Scores the response block of `seq`. Synchronous and differentiable with respect to the
   * variables (call it inside `tf.variableGrads`/`optimizer.minimize`).
   */
  score(seq: SequenceBatch, request?: ScoreRequest): ScoreOutput;
  /** A frozen deep copy (the reference policy, or a snapshot for the LLD probe). */
  clone(): PolicyModel;
  /** Copies the weights of `other` (same architecture) into this model. */
  copyFrom(other: PolicyModel): void;
  dispose(): void;
}

export interface GenerateRequest {
  /** Prompt token ids, one array per prompt (no padding). */
  readonly prompts: readonly (readonly number[])[];
  /** G completions per prompt. */
  readonly numSamples: number;
  readonly maxNewTokens: number;
  /** 0 = greedy. [1] */
  readonly temperature?: number;
  /** Nucleus sampling mass (1 = off). [1] */
  readonly topP?: number;
  /** Keep the k most likely tokens (0 = off). [0] */
  readonly topK?: number;
  /** Generation of a row stops after it emits one of these (the stop token is part of the completion). */
  readonly stopTokens?: readonly number[];
  readonly seed: number;
}

export interface Generation {
  /** Index into `prompts`. Generations come grouped: prompt 0's G samples first. */
  readonly promptIndex: number;
  readonly tokens: number[];
  /** Behaviour log-probs of the sampled tokens under the sampling distribution's model (temperature 1 log-softmax of the logits divided by the temperature). */
  readonly logp: number[];
  /** True when the completion hit maxNewTokens without a stop token. */
  readonly truncated: boolean;
}

/** A policy that can also sample (with a KV cache). */
export interface GenerativePolicy extends PolicyModel {
  generate(req: GenerateRequest): Promise<Generation[]>;
  clone(): GenerativePolicy;
}

/** One tokenizer interface for the built-in character tokenizer and Hugging Face tokenizer.json. */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly eosId: number;
  /** Beginning-of-sequence id, when the tokenizer has one. */
  readonly bosId?: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}
