/** Test-only helpers: NGRPO golden cases as tensors, random batches (golden loading, t2, verlCase and ngrpoCase: testing/). */
import { createRng } from '@grpo-lab/core';

export { ngrpoCase, t2, verlCase } from '../../../testing/index.js';

/** A random batch with empty rows; `garbage` > 0 puts finite junk of that size at padding (mask 0). */
export function randomBatch(B: number, T: number, seed: number, garbage = 0) {
  const rng = createRng(seed);
  const u = () => rng.next();
  const lens = Array.from({ length: B }, (_, b) => (b % 5 === 4 ? 0 : 1 + Math.floor(u() * T)));
  const mask = lens.map((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0)));
  const old = mask.map((r) => r.map(() => -0.2 - 3 * u()));
  const logp = old.map((r) => r.map((x) => x + (u() - 0.5) * 0.8));
  const ref = old.map((r) => r.map((x) => x + (u() - 0.5) * 1.5));
  const rowA = lens.map(() => (u() - 0.5) * 3);
  const adv = mask.map((r, b) => r.map((m) => m * rowA[b]!));
  if (garbage > 0) {
    const junk = createRng(seed + 1);
    for (const x of [old, logp, ref])
      x.forEach((r, b) => r.forEach((_, t) => mask[b]![t] || (r[t] = garbage * (junk.next() - 0.5))));
  }
  return { lens, mask, old, logp, ref, adv };
}
