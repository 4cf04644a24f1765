/**
 * A memory estimate for a Llama/Qwen2 model before any weight is read (tfjs holds everything in
 * float32, whatever the file's dtype):
 *   weights     4·P bytes                     (P = parameter count from the config)
 *   gradients   4·P,  Adam m and v  8·P       (training)
 *   reference   4·P                           (a frozen copy for the KL term / LLD probe)
 *   activations kept for the backward pass, per layer and token ≈ 8d + 6(H + 2H_kv)·hd + 3H·S + 5I
 *               floats, plus 3V per token for logits / log-softmax / entropy (training); for
 *               inference one layer's worth, the KV cache 2·L·H_kv·hd·S and 2V per row.
 *   packed      4·P_lin per model on wasm: XNNPACK keeps a packed copy of every matrix that is the
 *               right-hand operand of a matMul (our linear weights [in, out], an untied LM head)
 *               for as long as the tensor lives; the model and its reference copy each have one.
 *               Measured: 128 MiB of such weights grew the wasm heap by 155 MiB after one product
 *               each; as left operand or with transposeB (the backward pass's dx = dy·Wᵀ) nothing
 *               is kept. A tied embedding is the left operand of its head product, so not packed.
 * The activation term is a rough upper bound from counting the tensors tfjs's autodiff keeps
 * (it is not measured); weights and optimizer state are exact. Near tfjs-wasm's 4 GiB heap XNNPACK
 * fails to allocate without an exception (`xnn_create_fully_connected … status 6`) and the product
 * is left uncomputed, so the packed copies must be in the budget.
 */
import * as tf from '@tensorflow/tfjs';
import { GrpoLabError, checkBoolean, checkKeys, checkNumber } from '@grpo-lab/core';
import { isLinear, weightShapes, countParams, type LlamaConfig } from './config.js';

export interface MemoryOptions {
  /** Sequences per forward/backward pass. [1] */
  readonly batch?: number;
  /** Tokens per sequence (prompt + response). [min(maxPositions, 1024)] */
  readonly seq?: number;
  /** Count gradients, Adam state and backward activations. [true] */
  readonly training?: boolean;
  /** Count a frozen reference copy of the weights. [true when training] */
  readonly reference?: boolean;
  /** Count XNNPACK's packed copies of the linear weights. [true when the active backend is wasm] */
  readonly packedWeights?: boolean;
  /** Refuse to load when the total exceeds this many bytes. [the wasm heap limit (4 GiB) on wasm, else none] */
  readonly budgetBytes?: number;
}

export interface MemoryEstimate {
  readonly params: number;
  readonly weightsBytes: number;
  readonly gradientBytes: number;
  readonly adamBytes: number;
  readonly referenceBytes: number;
  readonly activationBytes: number;
  /** XNNPACK's packed copies of the linear weights (wasm), for the model and its reference copy. */
  readonly packedBytes: number;
  readonly totalBytes: number;
  readonly batch: number;
  readonly seq: number;
  /** One line for the log. */
  readonly summary: string;
}

/** The maximum heap of tfjs-backend-wasm 4.22 (emscripten getHeapMax), in bytes. */
export const WASM_HEAP_LIMIT = 4294901760;

export const fmtBytes = (b: number) =>
  b >= 2 ** 30
    ? `${(b / 2 ** 30).toFixed(2)} GiB`
    : b >= 2 ** 20
      ? `${(b / 2 ** 20).toFixed(1)} MiB`
      : `${(b / 1024).toFixed(1)} KiB`;

export function estimateMemory(c: LlamaConfig, o: MemoryOptions = {}): MemoryEstimate {
  checkKeys('memory', o, ['batch', 'seq', 'training', 'reference', 'packedWeights', 'budgetBytes']);
  const batch = checkNumber('memory.batch', o.batch ?? 1, { min: 1, integer: true });
  const seq = checkNumber('memory.seq', o.seq ?? Math.min(c.maxPositions, 1024), { min: 1, integer: true });
  const training = checkBoolean('memory.training', o.training, true);
  const P = countParams(c);
  const {
    hiddenSize: d,
    numHeads: H,
    numKvHeads: Hkv,
    headDim: hd,
    intermediateSize: I,
    vocabSize: V,
    numLayers: L,
  } = c;
  const perLayerToken = 8 * d + 6 * (H + 2 * Hkv) * hd + 3 * H * seq + 5 * I;
  const tokens = batch * seq;
  const act = training
    ? tokens * (L * perLayerToken + 3 * V)
    : tokens * perLayerToken + batch * (2 * L * Hkv * hd * seq + 2 * V);
  const weightsBytes = 4 * P;
  const gradientBytes = training ? 4 * P : 0;
  const adamBytes = training ? 8 * P : 0;
  const referenceBytes = checkBoolean('memory.reference', o.reference, training) ? 4 * P : 0;
  const activationBytes = 4 * act;
  const linearParams = Object.entries(weightShapes(c))
    .filter(([name]) => isLinear(name))
    .reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
  const packed =
    o.packedWeights === undefined
      ? tf.getBackend() === 'wasm' // asked only when needed: getBackend() may initialise a backend
      : checkBoolean('memory.packedWeights', o.packedWeights);
  const packedBytes = packed ? 4 * linearParams * (referenceBytes ? 2 : 1) : 0;
  const totalBytes =
    weightsBytes + gradientBytes + adamBytes + referenceBytes + packedBytes + activationBytes;
  const summary =
    `${c.modelType} ${(P / 1e6).toFixed(1)}M params (float32): weights ${fmtBytes(weightsBytes)}` +
    (training ? `, gradients ${fmtBytes(gradientBytes)}, Adam state ${fmtBytes(adamBytes)}` : '') +
    (referenceBytes ? `, reference copy ${fmtBytes(referenceBytes)}` : '') +
    (packedBytes ? `, XNNPACK packed weights ${fmtBytes(packedBytes)}` : '') +
    `, activations ≈ ${fmtBytes(activationBytes)} (batch ${batch} × seq ${seq}, ${training ? 'training' : 'inference'})` +
    ` → total ≈ ${fmtBytes(totalBytes)}`;
  return {
    params: P,
    weightsBytes,
    gradientBytes,
    adamBytes,
    referenceBytes,
    activationBytes,
    packedBytes,
    totalBytes,
    batch,
    seq,
    summary,
  };
}

/** Throws when the estimate exceeds the budget, naming the parts and what to change. */
export function checkBudget(e: MemoryEstimate, budgetBytes: number, where: string): void {
  if (e.totalBytes <= budgetBytes) return;
  throw new GrpoLabError(
    `${where}: the model will not fit: ${e.summary}, over the budget of ${fmtBytes(budgetBytes)}. ` +
      'Lower memory.batch or memory.seq, load for inference (memory.training: false), use a smaller model, ' +
      'or a backend with more memory (wasm is limited to a 4 GiB heap).',
  );
}
