/**
 * Host rows → the core batch (verl layout): tokens int32 [B, P + T] = left-padded prompt of width P
 * then right-padded response of width T; attention float32 [B, P + T]; response mask float32 [B, T];
 * tokenIds int32 [B, T]; the sampler's log-probs float32 [B, T] (0 at padding).
 */
import * as tf from '@tensorflow/tfjs';
import type { SequenceBatch } from '@grpo-lab/core';

export interface HostRows {
  readonly prompts: readonly (readonly number[])[]; // per row
  readonly responses: readonly (readonly number[])[]; // per row
  /** Per-row, per-token behaviour log-probs (optional). */
  readonly logp?: readonly (readonly number[])[];
  /** Rows whose response tokens are all masked (e.g. truncated completions). */
  readonly maskedRows?: readonly boolean[];
}

export interface StepTensors {
  readonly seq: SequenceBatch;
  readonly mask: tf.Tensor2D; // [B, T]
  readonly tokenIds: tf.Tensor2D; // [B, T]
  readonly samplerLogp?: tf.Tensor2D; // [B, T]
}

export function buildSequences(h: HostRows, padId: number): StepTensors {
  const B = h.prompts.length;
  const P = Math.max(1, ...h.prompts.map((p) => p.length));
  const T = Math.max(1, ...h.responses.map((r) => r.length));
  const tokens = new Int32Array(B * (P + T)).fill(padId);
  const attn = new Float32Array(B * (P + T));
  const mask = new Float32Array(B * T);
  const ids = new Int32Array(B * T).fill(padId);
  const lp = h.logp ? new Float32Array(B * T) : undefined;
  for (let i = 0; i < B; i++) {
    const p = h.prompts[i]!;
    const r = h.responses[i]!;
    const row = i * (P + T);
    p.forEach((t, k) => {
      tokens[row + P - p.length + k] = t;
      attn[row + P - p.length + k] = 1;
    });
    r.forEach((t, k) => {
      tokens[row + P + k] = t;
      attn[row + P + k] = 1;
      ids[i * T + k] = t;
      mask[i * T + k] = h.maskedRows?.[i] ? 0 : 1;
      if (lp) lp[i * T + k] = h.logp![i]![k] ?? 0;
    });
  }
  return {
    seq: {
      tokens: tf.tensor2d(tokens, [B, P + T], 'int32'),
      attention: tf.tensor2d(attn, [B, P + T]),
      promptLength: P,
    },
    mask: tf.tensor2d(mask, [B, T]),
    tokenIds: tf.tensor2d(ids, [B, T], 'int32'),
    samplerLogp: lp ? tf.tensor2d(lp, [B, T]) : undefined,
  };
}

export function disposeStep(s: StepTensors): void {
  s.seq.tokens.dispose();
  s.seq.attention.dispose();
  s.mask.dispose();
  s.tokenIds.dispose();
  s.samplerLogp?.dispose();
}
