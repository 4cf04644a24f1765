/** Test-only helpers: golden cases as tensors and random batches. */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@grpo-lab/core';

export type Matrix = (number | null)[][];

export const t2 = (m: Matrix) =>
  tf.tensor2d(
    m.map((r) => r.map((x) => x ?? 0)),
    undefined,
    'float32',
  );

/** The verl.json inputs as tensors (advantages = verl GRPO, as the golden policy loss uses). */
export function verlCase(c: any) {
  const i = c.inputs;
  return {
    logp: t2(i.log_prob),
    oldLogp: t2(i.old_log_prob),
    refLogp: t2(i.ref_log_prob),
    mask: t2(i.response_mask),
    advantages: t2(c.outputs.advantages.grpo),
  };
}

/** A random [B, T] loss and mask with empty rows (every 4th row); junk of size `garbage` at padding. */
export function randomLoss(B: number, T: number, seed: number, garbage = 0) {
  const rng = createRng(seed);
  const lens = Array.from({ length: B }, (_, b) => (b % 4 === 3 ? 0 : 1 + Math.floor(rng.next() * T)));
  const mask = lens.map((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0)));
  const junk = createRng(seed + 1);
  const loss = mask.map((r) =>
    r.map((m) => {
      const v = 4 * rng.next() - 2;
      return m || garbage === 0 ? v : garbage * (junk.next() - 0.5);
    }),
  );
  return { lens, mask, loss };
}
