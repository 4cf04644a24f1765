/**
 * The Llama / Qwen2 decoder as pure tensor functions (Touvron et al., arXiv 2302.13971;
 * Qwen2 technical report, arXiv 2407.10671):
 *   x₀ = E[y]                                                         [B, S, d]
 *   per layer:  x ← x + W_o·Attn(rope(W_q·n₁ + b_q), rope(W_k·n₁ + b_k), W_v·n₁ + b_v),  n₁ = RMSNorm(x)
 *               x ← x + W_down·(silu(W_gate·n₂) ⊙ W_up·n₂),                                n₂ = RMSNorm(x)
 *   h = RMSNorm(x) (the LM-head input),  logits = h·W_head (W_head = Eᵀ when tied)   [B, S, V]
 *   RMSNorm(x) = x / √(mean(x²) + ε) · w;  rope: x·cos + rotate_half(x)·sin with angles
 *   pos · θ^(−2i/hd) (Su et al., arXiv 2104.09864; the half-split layout of HF `rotate_half`).
 * Grouped-query attention (Ainslie et al., arXiv 2305.13245): H query heads share H_kv key/value
 * heads, query head h reading kv head ⌊h / g⌋ (g = H / H_kv), as HF `repeat_kv`; done here by
 * folding the g query heads of a group into the row axis, so K and V are never repeated.
 * Reference: transformers `modeling_qwen2.py` / `modeling_llama.py` (eager attention path).
 * Linear weights are held [in, out] (no transposed matMul on wasm); positions under left padding
 * are cumsum(attention) − 1, as HF `generate`.
 */
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config.js';

type Linear = readonly [tf.Tensor2D, tf.Tensor1D | undefined]; // W [in, out], b [out]

export interface LlamaLayer {
  readonly inNorm: tf.Tensor1D;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly postNorm: tf.Tensor1D;
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;
}

export interface LlamaWeights {
  readonly embed: tf.Tensor2D; // [V, d]
  readonly layers: readonly LlamaLayer[];
  readonly norm: tf.Tensor1D; // [d]
  /** [d, V]; absent when tied (the head is Eᵀ). */
  readonly head?: tf.Tensor2D;
}

/** Groups HF-named weights (linear weights already [in, out]) into per-layer structs. */
export function structure(named: Record<string, tf.Tensor>, c: LlamaConfig): LlamaWeights {
  const t = (n: string) => named[n] as tf.Tensor2D;
  const lin = (p: string, bias = false): Linear => [
    t(`${p}.weight`),
    bias ? (named[`${p}.bias`] as tf.Tensor1D) : undefined,
  ];
  return {
    embed: t('model.embed_tokens.weight'),
    layers: Array.from({ length: c.numLayers }, (_, i) => {
      const p = `model.layers.${i}`;
      return {
        inNorm: named[`${p}.input_layernorm.weight`] as tf.Tensor1D,
        q: lin(`${p}.self_attn.q_proj`, c.qkvBias),
        k: lin(`${p}.self_attn.k_proj`, c.qkvBias),
        v: lin(`${p}.self_attn.v_proj`, c.qkvBias),
        o: lin(`${p}.self_attn.o_proj`),
        postNorm: named[`${p}.post_attention_layernorm.weight`] as tf.Tensor1D,
        gate: lin(`${p}.mlp.gate_proj`),
        up: lin(`${p}.mlp.up_proj`),
        down: lin(`${p}.mlp.down_proj`),
      };
    }),
    norm: named['model.norm.weight'] as tf.Tensor1D,
    head: c.tieEmbeddings ? undefined : t('lm_head.weight'),
  };
}

const linear = (x: tf.Tensor, [W, b]: Linear) =>
  b ? tf.add(tf.matMul(x as tf.Tensor2D, W), b) : tf.matMul(x as tf.Tensor2D, W);

export function rmsNorm(x: tf.Tensor, w: tf.Tensor1D, eps: number): tf.Tensor {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w);
}

const silu = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));

/** cos/sin of the rotary angles: positions int32 [...] → two float32 [..., hd]. */
export function rotaryTables(positions: tf.Tensor, hd: number, theta: number): [tf.Tensor, tf.Tensor] {
  const inv = tf.tensor1d(Array.from({ length: hd / 2 }, (_, i) => 1 / Math.pow(theta, (2 * i) / hd))); // [hd/2]
  const ang = tf.mul(tf.expandDims(tf.cast(positions, 'float32'), -1), inv); // [..., hd/2]
  const emb = tf.concat([ang, ang], -1); // [..., hd]
  return [tf.cos(emb), tf.sin(emb)];
}

/** x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁] on the last axis. */
function rope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const half = x.shape[x.rank - 1]! / 2;
  const [x1, x2] = tf.split(x, [half, half], -1);
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2!), x1!], -1), sin));
}

/**
 * Grouped-query attention. q [B, H, S, hd] (pre-scaled), kT [B, Hkv, hd, K], v [B, Hkv, K, hd],
 * bias [B, 1, S, K] (0 or −1e9) → [B, H, S, hd].
 */
function attend(q: tf.Tensor, kT: tf.Tensor, v: tf.Tensor, bias: tf.Tensor, Hkv: number): tf.Tensor {
  const [B, H, S, hd] = q.shape as number[] as [number, number, number, number];
  const K = kT.shape[3]!;
  const g = H / Hkv;
  const qg = tf.reshape(q, [B, Hkv, g * S, hd]); // [B, Hkv, g·S, hd]
  const scores = tf.reshape(tf.matMul(qg as tf.Tensor4D, kT as tf.Tensor4D), [B, Hkv, g, S, K]); // [B, Hkv, g, S, K]
  const p = tf.softmax(tf.add(scores, tf.reshape(bias, [B, 1, 1, S, K]))); // [B, Hkv, g, S, K]
  const o = tf.matMul(tf.reshape(p, [B, Hkv, g * S, K]) as tf.Tensor4D, v as tf.Tensor4D); // [B, Hkv, g·S, hd]
  return tf.reshape(o, [B, H, S, hd]);
}

/** Positions from the attention mask: cumsum − 1, clipped at 0. attention [B, S] → int32 [B, S]. */
export function positionsOf(attention: tf.Tensor2D): tf.Tensor2D {
  return tf.cast(tf.relu(tf.sub(tf.cumsum(attention, 1), 1)), 'int32') as tf.Tensor2D;
}

/** One layer's cache: kᵀ [N, Hkv, hd, K] and v [N, Hkv, K, hd], layers in order. */
export type LlamaCache = tf.Tensor[];

/** Attention + MLP sub-blocks of one layer for rows x [R, d]; `qkv` maps (q, k, v) to head layout. */
function block(
  L: LlamaLayer,
  c: LlamaConfig,
  x: tf.Tensor,
  heads: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor, // → attention output [R, H·hd]
): tf.Tensor {
  const n1 = rmsNorm(x, L.inNorm, c.rmsNormEps); // [R, d]
  const a = heads(linear(n1, L.q), linear(n1, L.k), linear(n1, L.v));
  const x1 = tf.add(x, linear(a, L.o)); // [R, d]
  const n2 = rmsNorm(x1, L.postNorm, c.rmsNormEps);
  return tf.add(x1, linear(tf.mul(silu(linear(n2, L.gate)), linear(n2, L.up)), L.down)); // [R, d]
}

/**
 * Full causal forward. tokens int32 [B, S], attention float32 [B, S] → final-normed hidden
 * [B, S, d]. With `cache`, each layer's kᵀ and v are pushed to it (prefill).
 * The embedding uses tf.gather: its gradient is fixed for wasm by core's selectBackend, and a
 * one-hot lookup would cost B·S·V·d for a 150k vocabulary.
 */
export function forwardHidden(
  w: LlamaWeights,
  c: LlamaConfig,
  tokens: tf.Tensor2D,
  attention: tf.Tensor2D,
  cache?: LlamaCache,
): tf.Tensor3D {
  const [B, S] = tokens.shape;
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd } = c;
  const causal = tf.linalg.bandPart(tf.ones([S, S]), -1, 0); // [S, S]
  const allowed = tf.mul(causal, tf.reshape(attention, [B, 1, 1, S])); // [B, 1, S, S]
  const bias = tf.mul(tf.sub(allowed, 1), 1e9); // [B, 1, S, S]
  const [cos, sin] = rotaryTables(tf.reshape(positionsOf(attention), [B, 1, S]), hd, c.ropeTheta); // [B, 1, S, hd]
  const scale = 1 / Math.sqrt(hd);
  const toHeads = (t: tf.Tensor, n: number) => tf.transpose(tf.reshape(t, [B, S, n, hd]), [0, 2, 1, 3]); // [B, n, S, hd]
  let x: tf.Tensor = tf.gather(w.embed, tf.reshape(tokens, [B * S])); // [B·S, d]
  for (const L of w.layers) {
    x = block(L, c, x, (q2, k2, v2) => {
      const q = tf.mul(rope(toHeads(q2, H), cos, sin), scale); // [B, H, S, hd]
      const kT = tf.transpose(rope(toHeads(k2, Hkv), cos, sin), [0, 1, 3, 2]); // [B, Hkv, hd, S]
      const v = toHeads(v2, Hkv); // [B, Hkv, S, hd]
      if (cache) cache.push(kT, v);
      return tf.reshape(tf.transpose(attend(q, kT, v, bias, Hkv), [0, 2, 1, 3]), [B * S, H * hd]); // [B·S, H·hd]
    });
  }
  return tf.reshape(rmsNorm(x, w.norm, c.rmsNormEps), [B, S, d]) as tf.Tensor3D;
}

/**
 * One decoding step for N rows: tokens int32 [N], positions int32 [N], keyMask float32 [N, K + 1]
 * (1 on the keys the new token may see, itself included) → final-normed hidden [N, d] and the
 * extended cache (the old cache is left to the caller).
 */
export function decodeHidden(
  w: LlamaWeights,
  c: LlamaConfig,
  cache: LlamaCache,
  tokens: tf.Tensor1D,
  positions: tf.Tensor1D,
  keyMask: tf.Tensor2D,
): { hidden: tf.Tensor2D; cache: LlamaCache } {
  const N = tokens.shape[0];
  const { numHeads: H, numKvHeads: Hkv, headDim: hd } = c;
  const K1 = keyMask.shape[1];
  const bias = tf.reshape(tf.mul(tf.sub(keyMask, 1), 1e9), [N, 1, 1, K1]); // [N, 1, 1, K+1]
  const [cos, sin] = rotaryTables(tf.reshape(positions, [N, 1, 1]), hd, c.ropeTheta); // [N, 1, 1, hd]
  let x: tf.Tensor = tf.gather(w.embed, tokens); // [N, d]
  const next: LlamaCache = [];
  w.layers.forEach((L, i) => {
    x = block(L, c, x, (q2, k2, v2) => {
      const q = tf.mul(rope(tf.reshape(q2, [N, H, 1, hd]), cos, sin), 1 / Math.sqrt(hd)); // [N, H, 1, hd]
      const k = rope(tf.reshape(k2, [N, Hkv, 1, hd]), cos, sin); // [N, Hkv, 1, hd]
      const kT = tf.concat([cache[2 * i]!, tf.reshape(k, [N, Hkv, hd, 1])], 3); // [N, Hkv, hd, K+1]
      const v = tf.concat([cache[2 * i + 1]!, tf.reshape(v2, [N, Hkv, 1, hd])], 2); // [N, Hkv, K+1, hd]
      next.push(kT, v);
      return tf.reshape(attend(q, kT, v, bias, Hkv), [N, H * hd]); // [N, H·hd]
    });
  });
  return { hidden: rmsNorm(x, w.norm, c.rmsNormEps) as tf.Tensor2D, cache: next };
}
