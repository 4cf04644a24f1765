/**
 * `llama(config)` / the policy behind `loadPretrained`: a Llama/Qwen2-family decoder (layers.ts)
 * implementing core's GenerativePolicy.
 *   score:    logp_t = z_t[y_t] − logsumexp(z_t),  H_t = −Σ_v p_v log p_v,  z = h·W_head, for the
 *             response block of a verl-layout sequence (left-padded prompt, then response);
 *   generate: KV-cache sampling through the shared sampler (sampler.ts, sampling.ts);
 *   clone:    a frozen deep copy (reference policy).
 * Weight names are Hugging Face's (`model.layers.0.self_attn.q_proj.weight`); linear weights are held
 * [in, out] (the transpose of the HF file) — `hfWeights()` gives the HF layout back.
 * Reference: transformers `Qwen2ForCausalLM` / `LlamaForCausalLM`.
 */
import * as tf from '@tensorflow/tfjs';
import { copyNamedWeights } from '../named_weights.js';
import {
  GrpoLabError,
  ValidationError,
  createRng,
  fmtShape,
  headLogits,
  matMulT,
  pickLastAxis,
  type GenerateRequest,
  type Generation,
  type GenerativePolicy,
  type LogitsSource,
  type ScoreOutput,
  type ScoreRequest,
  type SequenceBatch,
} from '@grpo-lab/core';
import { generateWithCache, type IncrementalModel } from '../sampler.js';
import { checkIdsOnHost, idsCheckedOnBackend, poisonBadRows } from '../token_check.js';
import { isLinear, weightShapes, type LlamaConfig } from './config.js';
import { decodeHidden, forwardHidden, structure, type LlamaWeights } from './layers.js';

export interface LlamaPolicy extends GenerativePolicy {
  readonly config: LlamaConfig;
  readonly frozen: boolean;
  /** Weights by HF name; linear weights are [in, out]. */
  namedWeights(): Record<string, tf.Variable>;
  /** New tensors in the HF layout (linear weights [out, in]), ready for safetensors; caller disposes. */
  hfWeights(): Record<string, tf.Tensor>;
  /** Logits of every position: tokens int32 [B, S], attention float32 [B, S] → [B, S, V]. */
  logits(tokens: tf.Tensor2D, attention: tf.Tensor2D): tf.Tensor3D;
  /** prefill / one-token step with the KV cache, as the sampler drives them (for custom decoding loops). */
  readonly incremental: IncrementalModel;
  clone(): LlamaPolicy;
}

/** A randomly initialised model (HF init: N(0, 0.02) matrices, unit norms, zero biases). */
export function llama(config: LlamaConfig, opts: { seed?: number } = {}): LlamaPolicy {
  const rng = createRng(opts.seed ?? 0);
  const named: Record<string, tf.Variable> = {};
  for (const [name, shape] of Object.entries(weightShapes(config))) {
    const s = isLinear(name) ? [shape[1]!, shape[0]!] : shape;
    const init = tf.tidy(() =>
      name.endsWith('norm.weight')
        ? tf.ones(s)
        : name.endsWith('.bias')
          ? tf.zeros(s)
          : tf.randomNormal(s, 0, 0.02, 'float32', rng.seed()),
    );
    named[name] = tf.variable(init, true);
    init.dispose();
  }
  return buildLlama(config, named, false);
}

function checkSequence(seq: SequenceBatch, c: LlamaConfig): void {
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
    attention.shape.join() !== `${B},${S}`
  )
    throw new ValidationError(
      'seq.attention',
      `float32 [${B}, ${S}]`,
      attention ? `${attention.dtype} ${fmtShape(attention.shape)}` : String(attention),
    );
  if (!Number.isInteger(promptLength) || promptLength < 1 || promptLength >= S)
    throw new ValidationError('seq.promptLength', `an integer in [1, ${S - 1}]`, String(promptLength));
  if (S - 1 > c.maxPositions)
    throw new ValidationError(
      'seq.tokens',
      `at most max_position_embeddings + 1 = ${c.maxPositions + 1} columns`,
      `${S} columns`,
    );
  if (!idsCheckedOnBackend()) checkIdsOnHost('seq.tokens', tokens, c.vocabSize); // webgpu: in score()
}

/** Wraps named variables (linear weights [in, out]) as a policy; `frozen` = not trainable. */
export function buildLlama(c: LlamaConfig, named: Record<string, tf.Variable>, frozen: boolean): LlamaPolicy {
  const w: LlamaWeights = structure(named, c);
  const vars = Object.values(named);
  let disposed = false;
  const alive = () => {
    if (disposed) throw new GrpoLabError('llama: this model has been disposed');
  };
  /**
   * h [R, d] → logits [R, V]. `grad` = keep the gradient path to a tied embedding (training score).
   * Otherwise a tied head is computed as (E·hᵀ)ᵀ: E [V, d] is the matMul's left operand, so neither
   * a [d, V] copy nor XNNPACK's packed copy of the 151936×896 embedding is made (at the
   * Qwen2.5-0.5B shape that second copy overflowed the 4 GiB wasm heap and XNNPACK skipped the
   * product, leaving garbage); only hᵀ [d, R] is packed, and the [V, R] result transposed.
   */
  const head = (h: tf.Tensor2D, grad = false) =>
    (w.head
      ? tf.matMul(h, w.head)
      : grad
        ? matMulT(h, w.embed, false, true)
        : tf.transpose(tf.matMul(w.embed, tf.transpose(h)))) as tf.Tensor2D;

  const incremental: IncrementalModel = {
    vocabSize: c.vocabSize,
    maxContext: c.maxPositions,
    prefill: (tokens, attention) =>
      tf.tidy(() => {
        const cache: tf.Tensor[] = [];
        const [B, S] = tokens.shape;
        const h = forwardHidden(w, c, tokens, attention, cache); // [B, S, d]
        const last = tf.reshape(tf.slice(h, [0, S - 1, 0], [B, 1, c.hiddenSize]), [B, c.hiddenSize]); // [B, d]
        return { logits: head(last as tf.Tensor2D), cache }; // the head for the last position only
      }),
    step: (cache, tokens, positions, keyMask) =>
      tf.tidy(() => {
        const r = decodeHidden(w, c, cache, tokens, positions, keyMask);
        return { logits: head(r.hidden), cache: r.cache };
      }),
  };

  const policy: LlamaPolicy = {
    config: c,
    incremental,
    frozen,
    vocabSize: c.vocabSize,
    hiddenSize: c.hiddenSize,
    maxContext: c.maxPositions,
    namedWeights: () => ({ ...named }),
    trainableVariables: () => (frozen ? [] : vars.slice()),
    hfWeights: () =>
      Object.fromEntries(
        Object.entries(named).map(([n, v]) => [n, isLinear(n) ? tf.transpose(v) : tf.clone(v)]),
      ),

    logits: (tokens, attention) =>
      tf.tidy(() => {
        alive();
        const [B, S] = tokens.shape;
        const h = forwardHidden(w, c, tokens, attention); // [B, S, d]
        return tf.reshape(head(tf.reshape(h, [B * S, c.hiddenSize]) as tf.Tensor2D, !frozen), [
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
      const d = c.hiddenSize;
      const out = tf.tidy(() => {
        // Position P−1+t predicts response token t: feed columns 0..S−2, keep the last T.
        const input = tf.slice(seq.tokens, [0, 0], [B, S - 1]); // [B, S−1]
        const att = tf.slice(seq.attention, [0, 0], [B, S - 1]); // [B, S−1]
        const hidden = tf.slice(forwardHidden(w, c, input, att), [0, P - 1, 0], [B, T, d]) as tf.Tensor3D; // [B, T, d]
        const lp = tf.logSoftmax(head(tf.reshape(hidden, [B * T, d]) as tf.Tensor2D, !frozen)); // [B·T, V]
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
        const h = tf.clone(out.hidden); // own handles: later weight updates do not change what it reads
        const W = w.head ? tf.clone(w.head) : (tf.transpose(w.embed) as tf.Tensor2D); // [d, V]
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

    async generate(req: GenerateRequest): Promise<Generation[]> {
      alive();
      return generateWithCache(incremental, req);
    },

    clone(): LlamaPolicy {
      alive();
      const copy: Record<string, tf.Variable> = {};
      for (const [name, v] of Object.entries(named)) copy[name] = tf.variable(v, false);
      return buildLlama(c, copy, true);
    },

    copyFrom(other) {
      alive();
      copyNamedWeights('llama', named, other as Partial<LlamaPolicy>);
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      vars.forEach((v) => v.dispose());
    },
  };
  return policy;
}
