/** Test-only helpers: random losses (golden loading, t2, verlCase and ngrpoCase: testing/). */
import { createRng } from '@grpo-lab/core';

export { ngrpoCase, t2, verlCase } from '../../../testing/index.js';

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
