/**
 * `transformer(config)`: a decoder-only pre-norm transformer policy (GPT-2 / nanoGPT architecture,
 * see transformer_layers.ts) implementing core's GenerativePolicy.
 *   score:    logp_t = z_t[y_t] − logsumexp(z_t),  H_t = −Σ_v p_v log p_v,  z = LN_f(x)·W_head
 *             for the response block of a verl-layout sequence (left-padded prompt, then response);
 *   generate: batched sampling with a KV cache (sampler.ts);
 *   clone:    a frozen deep copy (the reference policy).
 * Reference: Karpathy's nanoGPT `model.py`; Hugging Face GPT-2 (`modeling_gpt2.py`) for positions
 * under left padding (cumsum(attention) − 1) and the dotted weight names.
 */
import * as tf from '@tensorflow/tfjs';
import { copyNamedWeights } from './named_weights.js';
import {
  fmtShape,
  GrpoLabError,
  headLogits,
  pickLastAxis,
  ValidationError,
  type GenerateRequest,
  type Generation,
  type GenerativePolicy,
  type LogitsSource,
  type ScoreOutput,
  type ScoreRequest,
  type SequenceBatch,
} from '@grpo-lab/core';
import {
  initWeights,
  resolveConfig,
  uniqueName,
  type ResolvedConfig,
  type TransformerConfig,
} from './transformer_config.js';
import { decodeStep, forwardHidden, headWeight, structure, type ModelWeights } from './transformer_layers.js';
import { generateWithCache, type IncrementalModel } from './sampler.js';
import { checkIdsOnHost, idsCheckedOnBackend, poisonBadRows } from './token_check.js';

export type { TransformerConfig } from './transformer_config.js';

export interface TransformerPolicy extends GenerativePolicy {
  readonly config: Readonly<ResolvedConfig>;
  /** True for a frozen copy (no trainable variables). */
  readonly frozen: boolean;
  /** The weights by stable dotted name (`wte.weight`, `h.0.attn.qkv.weight`, …); linear weights are [in, out]. */
  namedWeights(): Record<string, tf.Variable>;
  /** Logits of every position for full sequences: tokens int32 [B, S], attention [B, S] → [B, S, V]. */
  logits(tokens: tf.Tensor2D, attention: tf.Tensor2D): tf.Tensor3D;
  /** The KV-cache interface the sampler drives (prefill once, then one token per step). */
  readonly incremental: IncrementalModel;
  clone(): TransformerPolicy;
}

export function transformer(config: TransformerConfig): TransformerPolicy {
  const c = resolveConfig(config);
  return build(c, initWeights(c, true), false);
}

function checkSequence(seq: SequenceBatch, c: ResolvedConfig): void {
  const { tokens, attention, promptLength } = seq;
  if (!tokens || tokens.rank !== 2 || tokens.dtype !== 'int32')
    throw new ValidationError(
      'seq.tokens',
      'int32 [B, P + T]',
      tokens ? `${tokens.dtype} ${fmtShape(tokens.shape)}` : String(tokens),
    );
  const [B, S] = tokens.shape;
  if (
    !attention ||
    attention.dtype !== 'float32' ||
    attention.rank !== 2 ||
    attention.shape[0] !== B ||
    attention.shape[1] !== S
  )
    throw new ValidationError(
      'seq.attention',
      `float32 [${B}, ${S}]`,
      attention ? `${attention.dtype} ${fmtShape(attention.shape)}` : String(attention),
    );
  if (!Number.isInteger(promptLength) || promptLength < 1 || promptLength >= S)
    throw new ValidationError(
      'seq.promptLength',
      `an integer in [1, ${S - 1}] (a response needs a prompt token before it)`,
      String(promptLength),
    );
  if (S - 1 > c.maxContext)
    throw new ValidationError(
      'seq.tokens',
      `at most maxContext + 1 = ${c.maxContext + 1} columns (context overflow)`,
      `${S} columns`,
    );
  if (!idsCheckedOnBackend()) checkIdsOnHost('seq.tokens', tokens, c.vocabSize);
}

function build(c: ResolvedConfig, named: Record<string, tf.Variable>, frozen: boolean): TransformerPolicy {
  const w: ModelWeights = structure(named, c);
  const vars = Object.values(named);
  let disposed = false;
  const alive = () => {
    if (disposed) throw new GrpoLabError('transformer: this model has been disposed');
  };

  const incremental: IncrementalModel = {
    vocabSize: c.vocabSize,
    maxContext: c.maxContext,
    prefill: (tokens, attention) =>
      tf.tidy(() => {
        alive();
        const cache: tf.Tensor[] = [];
        const [B, S] = tokens.shape;
        const h = forwardHidden(w, c, tokens, attention, cache); // [B, S, d]
        const last = tf.reshape(tf.slice(h, [0, S - 1, 0], [B, 1, c.dModel]), [B, c.dModel]); // [B, d]
        return { logits: tf.matMul(last, headWeight(w)) as tf.Tensor2D, cache };
      }),
    step: (cache, tokens, positions, keyMask) =>
      tf.tidy(() => decodeStep(w, c, cache, tokens, positions, keyMask)),
  };

  const policy: TransformerPolicy = {
    config: c,
    frozen,
    vocabSize: c.vocabSize,
    hiddenSize: c.dModel,
    maxContext: c.maxContext,
    incremental,
    namedWeights: () => ({ ...named }),
    trainableVariables: () => (frozen ? [] : vars.slice()),

    logits: (tokens, attention) =>
      tf.tidy(() => {
        alive();
        const [B, S] = tokens.shape;
        const h = forwardHidden(w, c, tokens, attention); // [B, S, d]
        return tf.reshape(tf.matMul(tf.reshape(h, [B * S, c.dModel]), headWeight(w)), [
          B,
          S,
          c.vocabSize,
        ]) as tf.Tensor3D;
      }),

    score(seq: SequenceBatch, request: ScoreRequest = {}): ScoreOutput {
      alive();
      checkSequence(seq, c);
      const [B, S] = seq.tokens.shape;
      const P = seq.promptLength;
      const T = S - P;
      const d = c.dModel;
      const out = tf.tidy(() => {
        // Position P−1+t predicts response token t: feed columns 0..S−2, keep the last T.
        const input = tf.slice(seq.tokens, [0, 0], [B, S - 1]); // [B, S−1]
        const att = tf.slice(seq.attention, [0, 0], [B, S - 1]); // [B, S−1]
        const hAll = forwardHidden(w, c, input, att); // [B, S−1, d]
        const hidden = tf.slice(hAll, [0, P - 1, 0], [B, T, d]) as tf.Tensor3D; // [B, T, d]
        const z = tf.matMul(tf.reshape(hidden, [B * T, d]), headWeight(w)); // [B·T, V]
        const lp = tf.logSoftmax(z); // [B·T, V]
        const resp = tf.reshape(tf.slice(seq.tokens, [0, P], [B, T]), [B * T]); // [B·T]
        let logp = tf.reshape(pickLastAxis(lp, resp), [B, T]) as tf.Tensor2D; // [B, T]
        if (idsCheckedOnBackend()) logp = poisonBadRows(logp, seq.tokens, c.vocabSize); // NaN rows = bad ids
        const r: { logp: tf.Tensor2D; hidden: tf.Tensor3D; entropy?: tf.Tensor2D } = { logp, hidden };
        if (request.entropy)
          r.entropy = tf.reshape(tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), -1)), [B, T]) as tf.Tensor2D; // [B, T]
        return r;
      });
      let logits: LogitsSource | undefined;
      if (request.logits) {
        // The source owns handles of its own (tf.clone shares the data), so disposing `hidden` or a
        // later optimizer step does not change what it reads.
        const h = tf.clone(out.hidden);
        const W = w.head ? tf.clone(w.head) : (tf.transpose(w.wte) as tf.Tensor2D);
        const src = headLogits(h, W);
        logits = {
          vocabSize: src.vocabSize,
          lse: src.lse,
          at: src.at,
          dispose: () => (src.dispose(), h.dispose(), W.dispose()),
        };
      }
      if (!request.hidden) out.hidden.dispose();
      return {
        logp: out.logp,
        ...(out.entropy ? { entropy: out.entropy } : {}),
        ...(request.hidden ? { hidden: out.hidden } : {}),
        ...(logits ? { logits } : {}),
      };
    },

    generate(req: GenerateRequest): Promise<Generation[]> {
      alive();
      return generateWithCache(incremental, req);
    },

    clone(): TransformerPolicy {
      alive();
      const copy: Record<string, tf.Variable> = {};
      for (const [name, v] of Object.entries(named)) copy[name] = tf.variable(v, false, uniqueName(name));
      return build(c, copy, true);
    },

    copyFrom(other) {
      alive();
      copyNamedWeights('transformer', named, other as Partial<TransformerPolicy>);
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      vars.forEach((v) => v.dispose());
    },
  };
  return policy;
}
