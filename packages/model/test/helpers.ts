/** Small helpers for the model tests: left-padded sequence batches and host reads. */
import * as tf from '@tensorflow/tfjs';
import type { SequenceBatch } from '@grpo-lab/core';

/** Left-pads prompts to P and right-pads responses to T (pad id 0), verl layout. */
export function sequences(prompts: number[][], responses: number[][], P?: number, T?: number): SequenceBatch {
  const p = P ?? Math.max(...prompts.map((x) => x.length));
  const t = T ?? Math.max(...responses.map((x) => x.length));
  const S = p + t;
  const ids: number[] = [];
  const att: number[] = [];
  prompts.forEach((pr, i) => {
    const resp = responses[i]!;
    for (let j = 0; j < S; j++) {
      if (j < p) {
        const k = j - (p - pr.length);
        ids.push(k >= 0 ? pr[k]! : 0);
        att.push(k >= 0 ? 1 : 0);
      } else {
        const k = j - p;
        ids.push(k < resp.length ? resp[k]! : 0);
        att.push(k < resp.length ? 1 : 0);
      }
    }
  });
  return {
    tokens: tf.tensor2d(ids, [prompts.length, S], 'int32'),
    attention: tf.tensor2d(att, [prompts.length, S]),
    promptLength: p,
  };
}

export function disposeSeq(s: SequenceBatch): void {
  s.tokens.dispose();
  s.attention.dispose();
}

export async function read2(t: tf.Tensor): Promise<number[][]> {
  return (await t.array()) as number[][];
}

export function logSoftmaxRow(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}
