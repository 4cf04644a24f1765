/** Test helpers: batches from host arrays, and a float64 double-loop NTHR reference from the definitions. */
import * as tf from '@tensorflow/tfjs';
import { denseLogits, type Batch } from '@grpo-lab/core';

export interface NthrInputs {
  group_ids: number[];
  rewards: number[];
  mask: number[][];
  token_ids: number[][];
  hidden: number[][][];
  logits: number[][][];
}

export function batchOf(x: NthrInputs): Batch {
  const dense = tf.tensor3d(x.logits, undefined, 'float32');
  const logits = denseLogits(dense);
  return {
    groupIds: tf.tensor1d(x.group_ids, 'int32'),
    rewards: tf.tensor1d(x.rewards, 'float32'),
    mask: tf.tensor2d(x.mask, undefined, 'float32'),
    tokenIds: tf.tensor2d(x.token_ids, undefined, 'int32'),
    hidden: tf.tensor3d(x.hidden, undefined, 'float32'),
    logits: { ...logits, dispose: () => (logits.dispose(), dense.dispose()) },
  };
}

/** Disposes a test batch, including the dense logits it was built from. */
export function disposeTestBatch(b: Batch): void {
  for (const t of [b.groupIds, b.rewards, b.mask, b.tokenIds, b.hidden, b.entropy]) t?.dispose();
  b.logits?.dispose();
}

export interface Reference {
  scores: (number | null)[][]; // s(t) on incorrect rows, anchor score on correct rows of mixed groups
  sbar: (number | null)[];
  tau: Map<number, number>; // group id → τ
  selected: number[][];
  weights: number[][];
}

/** NTHR by its definitions: explicit double loops over token pairs, float64. */
export function nthrReference(
  x: NthrInputs,
  beta: number,
  eta: (p: number) => number,
  includeSelf = true,
): Reference {
  const B = x.group_ids.length;
  const T = x.mask[0]!.length;
  const scores = x.mask.map((r) => r.map((): number | null => null));
  const sbar: (number | null)[] = Array(B).fill(null);
  const selected = x.mask.map((r) => r.map(() => 0));
  const weights = x.mask.map((r) => r.map(() => 1));
  const tau = new Map<number, number>();
  for (const gid of new Set(x.group_ids)) {
    const rows = x.group_ids.flatMap((g, i) => (g === gid ? [i] : []));
    const pos = rows.filter((r) => x.rewards[r]! > 0.5);
    const p = pos.length / rows.length;
    if (p === 0 || p === 1) continue;
    const vstar = [
      ...new Set(rows.flatMap((r) => x.token_ids[r]!.filter((_, t) => x.mask[r]![t] === 1))),
    ].sort((a, b) => a - b);
    const g = (i: number, t: number) => {
      const z = x.logits[i]![t]!;
      const mx = Math.max(...z);
      const lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0));
      return vstar.map((v) => (v === x.token_ids[i]![t] ? 1 : 0) - Math.exp(z[v]! - lse));
    };
    const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k]!, 0);
    const toks = (rs: number[]) =>
      rs.flatMap((r) => x.mask[r]!.flatMap((m, t) => (m === 1 ? [[r, t] as const] : [])));
    const posToks = toks(pos);
    const score = (i: number, t: number, self: boolean) => {
      let s = 0;
      for (const [u, v] of posToks) {
        if (!self && u === i && v === t) continue;
        s += dot(g(u, v), g(i, t)) * dot(x.hidden[u]![v]!, x.hidden[i]![t]!);
      }
      return s;
    };
    let minS = Infinity;
    for (const r of rows) {
      const isPos = pos.includes(r);
      for (let t = 0; t < T; t++)
        if (x.mask[r]![t] === 1) scores[r]![t] = score(r, t, isPos ? includeSelf : true);
      const n = x.mask[r]!.reduce((a, m) => a + m, 0);
      if (isPos && n > 0) {
        sbar[r] = (scores[r]!.filter((v) => v !== null) as number[]).reduce((a, v) => a + v, 0) / n;
        minS = Math.min(minS, sbar[r]!);
      }
    }
    const th = Number.isFinite(minS) ? beta * minS : Infinity;
    tau.set(gid, th);
    for (const r of rows)
      if (!pos.includes(r))
        for (let t = 0; t < T; t++)
          if (x.mask[r]![t] === 1 && scores[r]![t]! > th) {
            selected[r]![t] = 1;
            weights[r]![t] = eta(p);
          }
  }
  return { scores, sbar, tau, selected, weights };
}

/** Random inputs: unequal groups, interleaved rows, padding with wild (finite) values, an empty row. */
export function randomInputs(seed: number, sizes: number[], T: number, d: number, V: number): NthrInputs {
  let s = seed >>> 0;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const n = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const gids = sizes.flatMap((k, g) => Array<number>(k).fill(g * 7 + 3));
  for (let i = gids.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [gids[i], gids[j]] = [gids[j]!, gids[i]!];
  }
  const rewards = gids.map((g, i) =>
    i === gids.indexOf(g) ? 1 : i === gids.lastIndexOf(g) ? 0 : u() < 0.5 ? 1 : 0,
  );
  const lengths = gids.map((_, i) => (i === 1 ? 0 : 1 + Math.floor(u() * T)));
  const mask = lengths.map((l) => Array.from({ length: T }, (_, t) => (t < l ? 1 : 0)));
  const token_ids = mask.map((r) => r.map((m) => (m ? Math.floor(u() * V) : Math.floor(u() * V))));
  const hidden = mask.map((r) => r.map((m) => Array.from({ length: d }, () => n() * (m ? 1 : 50))));
  const logits = mask.map((r) => r.map((m) => Array.from({ length: V }, () => n() * (m ? 1.5 : 30))));
  return { group_ids: gids, rewards, mask, token_ids, hidden, logits };
}
