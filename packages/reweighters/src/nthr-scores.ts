/**
 * NTHR token scores (Negative Token Hidden Reward; Deng et al., arXiv 2505.18830), matrix form.
 *
 * Per mixed group (0 < p < 1, p = N⁺/G), N = G·T token slots, K = |V*|, d = hidden size:
 *   V*  = distinct token ids at valid positions of the group's rows
 *   π   = exp(logits|V* − lse)                 [N, K]  lse = full-vocabulary log-sum-exp (no [B,T,V] softmax)
 *   Gm  = onehot(y)|V* − π, 0 at padding       [N, K]  prediction errors g_t on V* (no renormalisation)
 *   Mᵀ  = Σ_{u ∈ correct tokens} h_u g_uᵀ      [d, K]  = H⁺ᵀ · Gm
 *   s   = rowsum(Gm ⊙ (H · Mᵀ))                [N]     s(t) = g_tᵀ M h_t = Σ_u ⟨g_u, g_t⟩⟨h_u, h_t⟩
 *   s̄_i = mean_{t ∈ i} s(t) over correct row i (self-term k(t, t) = |g_t|²|h_t|² removed if asked)
 *   τ   = β · min_i s̄_i;  a negative token is selected when s(t) > τ (strict).
 * Everything per token runs on the backend; the host only builds the group structure and V*.
 * Groups are processed one at a time with 2-D matMuls: groups differ in |V*|, and tfjs-wasm's batched
 * matMul (batch > 1) leaves XNNPACK for a naive loop (measured ~70× slower than 2-D on this machine).
 * The reference is `../shared/golden/nthr.json` (float64 double loops, no official code exists).
 */
import * as tf from '@tensorflow/tfjs';
import { ValidationError, checkBatch, fmtShape, type Batch } from '@grpo-lab/core';
import { etaOf, readGroups, type CorrectPredicate, type EtaRule, type GroupInfo } from './common.js';

export interface NthrScoreOptions {
  readonly beta: number;
  readonly eta: EtaRule;
  readonly includeSelf: boolean;
  readonly correct?: CorrectPredicate;
}

export interface NthrGroup extends GroupInfo {
  readonly vstar: number[]; // sorted V* (empty for groups that are not mixed)
  readonly eta: number | null; // null when not mixed
  readonly tau: number | null; // +Infinity when no correct row has a token
  readonly selected: number; // selected negative tokens
}

export interface NthrScores {
  /** [B, T] s(t) on incorrect rows, the anchor score (self-term per option) on correct rows of mixed groups; NaN elsewhere. */
  readonly scores: tf.Tensor2D;
  /** [B, T] 1 where a negative token is selected (s > τ), else 0. */
  readonly selected: tf.Tensor2D;
  /** [B] η of the row's group (1 for rows of groups that are not mixed). */
  readonly etaRow: Float32Array;
  /** [B] s̄ of correct rows of mixed groups; NaN elsewhere. */
  readonly sbar: Float32Array;
  readonly groups: NthrGroup[];
  /** Host copy of the scores of negative tokens of mixed groups (for summaries). */
  readonly negScores: Float32Array;
}

export const NTHR_NEEDS = { hidden: true, logits: true, tokenIds: true } as const;

/** Scores every token of every mixed group; one host read of structure, one of results. Caller owns the tensors. */
export async function nthrScores(batch: Batch, o: NthrScoreOptions, plugin = 'nthr'): Promise<NthrScores> {
  const { B, T } = checkBatch(batch, { needs: NTHR_NEEDS });
  const source = batch.logits!;
  const hidden = batch.hidden!;
  const d = hidden.shape[2];
  const [host, ids] = await Promise.all([readGroups(batch, o.correct, plugin), batch.tokenIds!.data()]);
  const { mask } = host;
  const V = source.vocabSize;
  for (let k = 0; k < ids.length; k++)
    if (mask[k] === 1 && !(ids[k]! >= 0 && ids[k]! < V))
      throw new ValidationError(
        'tokenIds',
        `ids in [0, ${V}) at valid positions (logits.vocabSize = ${V})`,
        `${ids[k]} at row ${Math.floor(k / T)}, t ${k % T}`,
      );

  const mixed = host.groups.filter((g) => g.mixed);
  const vstars = mixed.map((g) => {
    const set = new Set<number>();
    for (const r of g.rows) for (let t = 0; t < T; t++) if (mask[r * T + t] === 1) set.add(ids[r * T + t]!);
    return Int32Array.from(set).sort();
  });

  // Per group: [G, T] outputs, stacked later in group order ("layout") and gathered back to batch rows.
  const perGroup = mixed.map((g, gi) =>
    tf.tidy(() => {
      const G = g.rows.length;
      const N = G * T;
      const vstar = vstars[gi]!;
      const K = vstar.length;
      const rows = tf.tensor1d(g.rows, 'int32');
      const z = source.at(rows, tf.tensor1d(vstar, 'int32')); // [G, T, K]
      if (z.rank !== 3 || z.shape[0] !== G || z.shape[1] !== T || z.shape[2] !== K)
        throw new ValidationError(
          'logits.at(rows, ids)',
          `float32 [${G}, ${T}, ${K}] (rows × T × ids)`,
          fmtShape(z.shape),
        );
      const valid2 = tf.greater(tf.gather(batch.mask, rows), 0); // [G, T] bool
      const valid = tf.reshape(valid2, [N, 1]); // [N, 1]
      const lse = tf.reshape(tf.gather(source.lse, rows), [N, 1]); // [N, 1]
      const pi = tf.exp(tf.sub(tf.reshape(z, [N, K]), lse)); // [N, K]
      const y = tf.reshape(tf.gather(batch.tokenIds!, rows), [N, 1]); // [N, 1]
      const onehot = tf.cast(tf.equal(y, tf.tensor2d(vstar, [1, K], 'int32')), 'float32'); // [N, K]
      const Gm = tf.where(valid, tf.sub(onehot, pi), 0) as tf.Tensor2D; // [N, K]
      const H = tf.where(valid, tf.reshape(tf.gather(hidden, rows), [N, d]), 0) as tf.Tensor2D; // [N, d]
      const posTok = tf.tensor2d(
        g.correct.flatMap((c) => Array<number>(T).fill(c ? 1 : 0)),
        [N, 1],
      ); // [N, 1]
      const Mt = tf.matMul(tf.transpose(tf.mul(H, posTok)), Gm); // [d, K] = Mᵀ
      const s = tf.sum(tf.mul(Gm, tf.matMul(H, Mt)), 1); // [N]
      const anchor = o.includeSelf ? s : tf.sub(s, tf.mul(tf.sum(tf.square(Gm), 1), tf.sum(tf.square(H), 1))); // [N]
      const s2 = tf.reshape(s, [G, T]); // [G, T]
      const a2 = tf.reshape(anchor, [G, T]); // [G, T]
      const len = tf.tensor1d(g.lengths.map((l) => Math.max(l, 1))); // [G]
      const sbar = tf.div(tf.sum(tf.where(valid2, a2, 0), 1), len); // [G]
      const anchorRows = g.rows.map((_, k) => k).filter((k) => g.correct[k] && g.lengths[k]! > 0);
      const tau =
        anchorRows.length > 0
          ? tf.mul(tf.min(tf.gather(sbar, tf.tensor1d(anchorRows, 'int32'))), o.beta)
          : tf.scalar(Infinity); // []
      const negRow = tf
        .tensor2d(
          g.correct.map((c) => [c ? 0 : 1]),
          [G, 1],
        )
        .greater(0); // [G, 1]
      const negTok = tf.logicalAnd(valid2, negRow); // [G, T]
      const selected = tf.cast(tf.logicalAnd(negTok, tf.greater(s2, tau)), 'float32'); // [G, T]
      const scores = tf.where(valid2, tf.where(negRow, s2, a2), NaN); // [G, T]
      const isAnchor = tf.tensor1d(g.rows.map((_, k) => anchorRows.includes(k))); // [G] bool
      const sbarOut = tf.where(isAnchor, sbar, NaN); // [G]
      return {
        scores,
        selected,
        sbar: sbarOut,
        tau: tf.reshape(tau, [1]),
        count: tf.reshape(tf.sum(selected), [1]),
      };
    }),
  );

  // Layout row of each batch row (R = default row: NaN score, not selected).
  const R = mixed.reduce((a, g) => a + g.rows.length, 0);
  const at = new Int32Array(B).fill(R);
  const etaRow = new Float32Array(B).fill(1);
  let pos = 0;
  mixed.forEach((g) => g.rows.forEach((r) => ((at[r] = pos++), (etaRow[r] = etaOf(o.eta, g.p)))));
  const [scores, selected, packed] = tf.tidy(() => {
    const idx = tf.tensor1d(at, 'int32');
    const cat = (xs: tf.Tensor[], fill: number) => tf.concat([...xs, tf.fill([1, T], fill)], 0);
    const sc = tf.gather(
      cat(
        perGroup.map((p) => p.scores),
        NaN,
      ),
      idx,
    ) as tf.Tensor2D; // [B, T]
    const se = tf.gather(
      cat(
        perGroup.map((p) => p.selected),
        0,
      ),
      idx,
    ) as tf.Tensor2D; // [B, T]
    const parts = perGroup.flatMap((p) => [p.tau, p.count, p.sbar]);
    return [sc, se, parts.length > 0 ? tf.concat(parts) : tf.zeros([0])] as const;
  });
  perGroup.forEach((p) => tf.dispose(p as unknown as tf.Tensor[]));
  const [vals, scoreVals] = await Promise.all([packed.data(), scores.data()]);
  packed.dispose();

  const sbar = new Float32Array(B).fill(NaN);
  const info = new Map<GroupInfo, { tau: number; selected: number; vstar: number[] }>();
  let k = 0;
  mixed.forEach((g, gi) => {
    const tau = vals[k++]!;
    const count = vals[k++]!;
    for (const r of g.rows) sbar[r] = vals[k++]!;
    info.set(g, { tau, selected: Math.round(count), vstar: Array.from(vstars[gi]!) });
  });
  const negScores: number[] = [];
  for (const g of mixed)
    g.rows.forEach((r, j) => {
      if (g.correct[j]) return;
      for (let t = 0; t < T; t++) if (mask[r * T + t] === 1) negScores.push(scoreVals[r * T + t]!);
    });
  const groups: NthrGroup[] = host.groups.map((g) => {
    const x = info.get(g);
    return {
      ...g,
      vstar: x?.vstar ?? [],
      eta: x ? etaOf(o.eta, g.p) : null,
      tau: x?.tau ?? null,
      selected: x?.selected ?? 0,
    };
  });
  return { scores, selected, etaRow, sbar, groups, negScores: Float32Array.from(negScores) };
}
