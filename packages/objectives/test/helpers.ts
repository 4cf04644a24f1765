/** Test-only helpers: random losses (golden loading, t2 and verlCase: testing/). */
import { createRng } from '@grpo-lab/core';
import { t2 } from '../../../testing/index.js';

export { t2, verlCase } from '../../../testing/index.js';

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

/** An ngrpo.json loss case's inputs as tensors; advantages = the golden per-row NGRPO values × mask. */
export function ngrpoCase(c: any) {
  const i = c.inputs;
  const adv = (i.response_mask as number[][]).map((row, b) => row.map((m) => m * c.outputs.advantages[b]));
  return {
    logp: t2(i.log_prob),
    oldLogp: t2(i.old_log_prob),
    mask: t2(i.response_mask),
    advantages: t2(adv),
  };
}
