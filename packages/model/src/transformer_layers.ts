/**
 * The decoder-only pre-norm transformer as pure tensor functions (nanoGPT `model.py`, GPT-2):
 *   x₀ = wte[y] + wpe[pos]                                   [B, S, d]   (no wpe with rotary)
 *   x  ← x + Attn(LN₁(x)),  x ← x + W₂·gelu_tanh(W₁·LN₂(x))  per layer
 *   h  = LN_f(x)  (the LM-head input),  logits = h·W_head     [B, S, V]
 * Attn is causal multi-head attention with an additive key mask for left padding; positions are
 * cumsum(attention) − 1 clipped at 0 (Hugging Face `generate`), so a left-padded prompt sees the
 * same positions as an unpadded one. Rotary positions (Su et al., arXiv 2104.09864) use the
 * half-split `rotate_half` form of Llama/Qwen2 with base 10000.
 * Training-path ops are differentiable on cpu and wasm: embeddings go through core's
 * `embeddingLookup` (no tf.gather gradient), weights are stored [in, out] (no transposed matMul).
 */
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from '@grpo-lab/core';
import type { ResolvedConfig } from './transformer_config.js';
import { gelu, layerNorm } from './transformer_ops.js';

export interface LayerWeights {
  readonly ln1: [tf.Tensor1D, tf.Tensor1D];
  readonly qkv: [tf.Tensor2D, tf.Tensor1D];
  readonly proj: [tf.Tensor2D, tf.Tensor1D];
  readonly ln2: [tf.Tensor1D, tf.Tensor1D];
  readonly fc: [tf.Tensor2D, tf.Tensor1D];
  readonly fc2: [tf.Tensor2D, tf.Tensor1D];
}

export interface ModelWeights {
  readonly wte: tf.Tensor2D; // [V, d]
  readonly wpe?: tf.Tensor2D; // [maxContext, d]
  readonly layers: readonly LayerWeights[];
  readonly lnf: [tf.Tensor1D, tf.Tensor1D];
  /** [d, V]; absent when tied (the head is wteᵀ). */
  readonly head?: tf.Tensor2D;
}

/** Groups the named weights of `weightSpecs` into per-layer structs. */
export function structure(named: Record<string, tf.Tensor>, c: ResolvedConfig): ModelWeights {
  const w = (n: string) => named[n] as tf.Tensor2D;
  const v = (n: string) => named[n] as tf.Tensor1D;
  const pair = (p: string): [tf.Tensor2D, tf.Tensor1D] => [w(`${p}.weight`), v(`${p}.bias`)];
  const ln = (p: string): [tf.Tensor1D, tf.Tensor1D] => [v(`${p}.weight`), v(`${p}.bias`)];
  return {
    wte: w('wte.weight'),
    wpe: c.positions === 'learned' ? w('wpe.weight') : undefined,
    layers: Array.from({ length: c.nLayers }, (_, i) => ({
      ln1: ln(`h.${i}.ln_1`),
      qkv: pair(`h.${i}.attn.qkv`),
      proj: pair(`h.${i}.attn.proj`),
      ln2: ln(`h.${i}.ln_2`),
      fc: pair(`h.${i}.mlp.fc`),
      fc2: pair(`h.${i}.mlp.proj`),
    })),
    lnf: ln('ln_f'),
    head: c.tieEmbeddings ? undefined : w('lm_head.weight'),
  };
}

const linear = (x: tf.Tensor, [W, b]: [tf.Tensor2D, tf.Tensor1D]) =>
  tf.add(tf.matMul(x as tf.Tensor2D, W), b);

/** Positions from the attention mask: cumsum − 1, clipped at 0. attention [B, S] → int32 [B, S]. */
export function positionsOf(attention: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.relu(tf.sub(tf.cumsum(attention, 1), 1)), 'int32') as tf.Tensor2D);
}

/** cos/sin of rotary angles: positions int32 [...] → two float32 [..., hd]. */
export function rotaryTables(positions: tf.Tensor, hd: number): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const inv = tf.tensor1d(Array.from({ length: hd / 2 }, (_, i) => Math.pow(10000, (-2 * i) / hd)));
    const ang = tf.mul(tf.expandDims(tf.cast(positions, 'float32'), -1), inv); // [..., hd/2]
    const emb = tf.concat([ang, ang], -1); // [..., hd]
    return [tf.cos(emb), tf.sin(emb)];
  });
}

/** x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁] on the last axis. */
function rotate(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const half = x.shape[x.rank - 1]! / 2;
  const [x1, x2] = tf.split(x, [half, half], -1);
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2!), x1!], -1), sin));
}

/** softmax(q·kᵀ + bias)·v. q [B, H, S, hd] (pre-scaled), kT [B, H, hd, K], v [B, H, K, hd], bias [B, 1, S, K]. */
function attend(q: tf.Tensor, kT: tf.Tensor, v: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const scores = tf.add(tf.matMul(q as tf.Tensor4D, kT as tf.Tensor4D), bias); // [B, H, S, K]
  return tf.matMul(tf.softmax(scores), v as tf.Tensor4D); // [B, H, S, hd]
}

/** Token (+ learned position) embedding: ids int32 [...], positions int32 [...] → [..., d]. */
function embed(w: ModelWeights, ids: tf.Tensor, positions: tf.Tensor): tf.Tensor {
  const x = embeddingLookup(w.wte, ids);
  return w.wpe ? tf.add(x, embeddingLookup(w.wpe, positions)) : x;
}

/** What one layer's attention reads from / appends to: kᵀ [N, H, hd, K], v [N, H, K, hd]. */
export type KvCache = tf.Tensor[]; // [kT₀, v₀, kT₁, v₁, …]

/**
 * Full causal forward pass. tokens int32 [B, S], attention float32 [B, S] → final-normed hidden
 * [B, S, d]. When `cache` is given, each layer's kᵀ and v are pushed to it (prefill).
 */
export function forwardHidden(
  w: ModelWeights,
  c: ResolvedConfig,
  tokens: tf.Tensor2D,
  attention: tf.Tensor2D,
  cache?: KvCache,
): tf.Tensor3D {
  const [B, S] = tokens.shape;
  const d = c.dModel;
  const H = c.nHeads;
  const hd = d / H;
  const pos = positionsOf(attention); // [B, S]
  const causal = tf.linalg.bandPart(tf.ones([S, S]), -1, 0); // [S, S]
  const allowed = tf.mul(causal, tf.reshape(attention, [B, 1, 1, S])); // [B, 1, S, S]
  const bias = tf.mul(tf.sub(allowed, 1), 1e9); // [B, 1, S, S]
  const rot = c.positions === 'rotary' ? rotaryTables(tf.reshape(pos, [B, 1, S]), hd) : undefined; // [B, 1, S, hd]
  let x = tf.reshape(embed(w, tokens, pos), [B * S, d]); // [B·S, d]
  const scale = 1 / Math.sqrt(hd);
  for (const L of w.layers) {
    const [q2, k2, v2] = tf.split(linear(layerNorm(x, ...L.ln1), L.qkv), 3, 1); // 3 × [B·S, d]
    const heads = (t: tf.Tensor, perm: number[]) => tf.transpose(tf.reshape(t, [B, S, H, hd]), perm);
    let q = heads(tf.mul(q2!, scale), [0, 2, 1, 3]); // [B, H, S, hd]
    let k = heads(k2!, [0, 2, 1, 3]); // [B, H, S, hd]
    if (rot) [q, k] = [rotate(q, ...rot), rotate(k, ...rot)];
    const kT = tf.transpose(k, [0, 1, 3, 2]); // [B, H, hd, S]
    const v = heads(v2!, [0, 2, 1, 3]); // [B, H, S, hd]
    if (cache) cache.push(kT, v);
    const o = tf.reshape(tf.transpose(attend(q, kT, v, bias), [0, 2, 1, 3]), [B * S, d]); // [B·S, d]
    x = tf.add(x, linear(o, L.proj));
    x = tf.add(x, linear(gelu(linear(layerNorm(x, ...L.ln2), L.fc)), L.fc2)); // [B·S, d]
  }
  return tf.reshape(layerNorm(x, ...w.lnf), [B, S, d]) as tf.Tensor3D;
}

/** LM head weight [d, V] (wteᵀ when tied). */
export function headWeight(w: ModelWeights): tf.Tensor2D {
  return w.head ?? (tf.transpose(w.wte) as tf.Tensor2D);
}

/**
 * One incremental decoding step for N rows. tokens int32 [N], positions int32 [N], keyMask
 * float32 [N, K + 1] (1 on keys the new token may attend to, including itself). Returns the logits
 * [N, V] of the next token and the extended cache (the old cache is not disposed).
 */
export function decodeStep(
  w: ModelWeights,
  c: ResolvedConfig,
  cache: KvCache,
  tokens: tf.Tensor1D,
  positions: tf.Tensor1D,
  keyMask: tf.Tensor2D,
): { logits: tf.Tensor2D; cache: KvCache } {
  const N = tokens.shape[0];
  const d = c.dModel;
  const H = c.nHeads;
  const hd = d / H;
  const K1 = keyMask.shape[1];
  const bias = tf.reshape(tf.mul(tf.sub(keyMask, 1), 1e9), [N, 1, 1, K1]); // [N, 1, 1, K+1]
  const rot = c.positions === 'rotary' ? rotaryTables(tf.reshape(positions, [N, 1, 1]), hd) : undefined; // [N, 1, 1, hd]
  let x = embed(w, tokens, positions); // [N, d]
  const next: KvCache = [];
  w.layers.forEach((L, i) => {
    const [q2, k2, v2] = tf.split(linear(layerNorm(x, ...L.ln1), L.qkv), 3, 1); // 3 × [N, d]
    let q = tf.reshape(tf.mul(q2!, 1 / Math.sqrt(hd)), [N, H, 1, hd]);
    let k = tf.reshape(k2!, [N, H, 1, hd]);
    if (rot) [q, k] = [rotate(q, ...rot), rotate(k, ...rot)];
    const kT = tf.concat([cache[2 * i]!, tf.reshape(k, [N, H, hd, 1])], 3); // [N, H, hd, K+1]
    const v = tf.concat([cache[2 * i + 1]!, tf.reshape(v2!, [N, H, 1, hd])], 2); // [N, H, K+1, hd]
    next.push(kT, v);
    const o = tf.reshape(attend(q, kT, v, bias), [N, d]); // [N, d]
    x = tf.add(x, linear(o, L.proj));
    x = tf.add(x, linear(gelu(linear(layerNorm(x, ...L.ln2), L.fc)), L.fc2)); // [N, d]
  });
  const h = layerNorm(x, ...w.lnf); // [N, d]
  return { logits: tf.matMul(h as tf.Tensor2D, headWeight(w)), cache: next };
}
