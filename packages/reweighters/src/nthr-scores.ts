/**
 * NTHR token scores (Negative Token Hidden Reward; Deng et al., arXiv 2505.18830), matrix form.
 *
 * Per mixed group (0 < p < 1, p = N⁺/G), N = G·T token slots, K = |V*|, d = hidden size:
 *   V*  = distinct token ids at valid positions of the group's rows
 *   π   = exp(logits|V* − lse)                 [N, K]  lse = full-vocabulary log-sum-exp (no [B,T,V] softmax)
 *   g_t = onehot(y_t)|V* − π_t                         prediction errors on V* (no renormalisation)
 *   M   = Σ_{u ∈ correct tokens} g_u h_uᵀ      [K, d]  = E − (H⁺ᵀ·π⁺)ᵀ, E[k] = Σ_{u: y_u = k} h_u (scatter-add)
 *   s   = g_tᵀ M h_t = ⟨h_t, M[y_t] − π_t·M⟩  [N]     = Σ_u ⟨g_u, g_t⟩⟨h_u, h_t⟩
 *   s̄_i = mean_{t ∈ i} s(t) over correct row i (self-term k(t, t) = |g_t|²|h_t|² removed if asked)
 *   τ   = β · min_i s̄_i;  a negative token is selected when s(t) > τ (strict).
 *
 * Cost. The [N, K] matrices dominate, so they are touched as few times as the algebra allows: π is
 * one subtraction and one exp of the logits the source returns, then it is read by H⁺ᵀ·π⁺ (correct
 * rows) and by π·M, an [N, K]·[K, d] product; everything after is [N, d] or smaller. No one-hot
 * matrix exists (onehot(y)ᵀ·H⁺ is a scatter-add of the h_u into [K, d]; ⟨onehot(y_t), ·⟩ is a row
 * gather), and no [N, K] product H·Mᵀ: rowsum(g ⊙ (H·Mᵀ)) = ⟨h_t, M[y_t] − π_t·M⟩.
 * Padding never enters: lse is +∞ there (π = 0), and masked scores are replaced, not multiplied.
 * No `tf.where` with a broadcast condition (wasm tiles it; that cost more than all the math).
 * Rows are laid out per group with the correct rows first, so π⁺ and H⁺ are leading slices.
 * The threshold, the selection and the read-back run once for all groups, not per group.
 * Everything per token runs on the backend; the host only builds the group structure and V*.
 * Groups are processed one at a time with 2-D matMuls: groups differ in |V*|, and tfjs-wasm's batched
 * matMul (batch > 1) leaves XNNPACK for a naive loop (measured ~70× slower than 2-D on this machine).
 * The reference is `../shared/golden/nthr.json` (float64 double loops, no official code exists).
 */
import * as tf from '@tensorflow/tfjs';
import { ValidationError, checkBatch, fmtShape, type Batch, type LogitsSource } from '@grpo-lab/core';
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

/** Host-side layout of one mixed group: its rows with the correct ones first, and per-slot indices. */
interface Layout {
  readonly rows: Int32Array; // batch rows, correct first (then batch order within each part)
  readonly nPos: number; // correct rows (the first nPos of `rows`)
  readonly vstar: Int32Array; // sorted V*
  readonly col: Int32Array; // [G·T] column of y_t in V* at valid slots, 0 at padding (a safe gather index)
  readonly posSlots: Int32Array; // [n⁺] valid slots of the correct rows
  readonly posCols: Int32Array; // [n⁺] their columns in V*
  readonly pad: Float32Array; // [G·T] 0 at valid slots, +∞ at padding (added to lse: π = 0 there)
}

function layoutOf(g: GroupInfo, T: number, mask: ArrayLike<number>, ids: ArrayLike<number>): Layout {
  const order = [...g.rows.keys()].sort((a, b) => Number(g.correct[b]) - Number(g.correct[a]) || a - b);
  const rows = Int32Array.from(order, (k) => g.rows[k]!);
  const set = new Set<number>();
  for (const r of rows) for (let t = 0; t < T; t++) if (mask[r * T + t] === 1) set.add(ids[r * T + t]!);
  const vstar = Int32Array.from(set).sort();
  const index = new Map<number, number>();
  vstar.forEach((v, k) => index.set(v, k));
  const N = rows.length * T;
  const col = new Int32Array(N);
  const pad = new Float32Array(N).fill(Infinity);
  const posSlots: number[] = [];
  const posCols: number[] = [];
  rows.forEach((r, j) => {
    for (let t = 0; t < T; t++) {
      if (mask[r * T + t] !== 1) continue;
      const k = index.get(ids[r * T + t]!)!;
      col[j * T + t] = k;
      pad[j * T + t] = 0;
      if (j < g.nPos) {
        posSlots.push(j * T + t);
        posCols.push(k);
      }
    }
  });
  return {
    rows,
    nPos: g.nPos,
    vstar,
    col,
    posSlots: Int32Array.from(posSlots),
    posCols: Int32Array.from(posCols),
    pad,
  };
}

/**
 * Scores of one mixed group, [G, T] in layout order: s(t) on every slot, the anchor score (s minus the
 * self-term when `includeSelf` is false) on the correct rows. Padding slots hold unspecified values.
 */
function groupScores(
  L: Layout,
  T: number,
  d: number,
  source: LogitsSource,
  hidden: tf.Tensor3D,
  includeSelf: boolean,
): tf.Tensor2D {
  return tf.tidy(() => {
    const G = L.rows.length;
    const N = G * T;
    const K = L.vstar.length;
    const n = L.posSlots.length;
    // No correct token: M = 0, every score is 0 (an empty sum), and there is no anchor.
    if (K === 0 || n === 0) return tf.zeros([G, T]) as tf.Tensor2D;
    const nP = L.nPos * T;
    const rows = tf.tensor1d(L.rows, 'int32');
    const z = source.at(rows, tf.tensor1d(L.vstar, 'int32')); // [G, T, K]
    if (z.rank !== 3 || z.shape[0] !== G || z.shape[1] !== T || z.shape[2] !== K)
      throw new ValidationError(
        'logits.at(rows, ids)',
        `float32 [${G}, ${T}, ${K}] (rows × T × ids)`,
        fmtShape(z.shape),
      );
    const lse = tf.add(tf.reshape(tf.gather(source.lse, rows), [N, 1]), tf.tensor2d(L.pad, [N, 1])); // [N, 1], +∞ at padding
    const pi = tf.exp(tf.sub(tf.reshape(z, [N, K]), lse)); // [N, K], 0 at padding
    const H = tf.reshape(tf.gather(hidden, rows), [N, d]) as tf.Tensor2D; // [N, d]
    const Hp = tf.slice(H, [0, 0], [nP, d]); // [N⁺, d] correct rows
    const piP = tf.slice(pi, [0, 0], [nP, K]); // [N⁺, K] correct rows, 0 at padding
    // M = Σ_u (e_{y_u} − π_u) h_uᵀ: the one-hot part is a scatter-add of the h_u into their rows of V*
    const E = tf.scatterND(
      tf.tensor2d(L.posCols, [n, 1], 'int32'),
      tf.gather(H, tf.tensor1d(L.posSlots, 'int32')),
      [K, d],
    ); // [K, d]
    const M = tf.sub(E, tf.transpose(tf.matMul(tf.transpose(Hp), piP))); // [K, d]
    const v = tf.sub(tf.gather(M, tf.tensor1d(L.col, 'int32')), tf.matMul(pi, M)); // [N, d] = Mᵀg_t = M[y_t] − π_t·M
    const s = tf.sum(tf.mul(H, v), 1); // [N]
    if (includeSelf) return tf.reshape(s, [G, T]) as tf.Tensor2D;
    // self-term k(t, t) = |g_t|²|h_t|², |g_t|² = (1 − π_y)² + Σ_{k≠y} π_k² (y ∈ V* at valid slots)
    const flat = Int32Array.from({ length: nP }, (_, j) => j * K + L.col[j]!);
    const piY = tf.gather(tf.reshape(piP, [nP * K]), tf.tensor1d(flat, 'int32')); // [N⁺]
    const g2 = tf.add(tf.square(tf.sub(1, piY)), tf.sub(tf.sum(tf.square(piP), 1), tf.square(piY))); // [N⁺]
    const anchors = tf.sub(tf.slice(s, [0], [nP]), tf.mul(g2, tf.sum(tf.square(Hp), 1))); // [N⁺]
    return tf.reshape(tf.concat([anchors, tf.slice(s, [nP], [N - nP])]), [G, T]) as tf.Tensor2D;
  });
}

/** Scores every token of every mixed group; one host read of structure, one of results. Caller owns the tensors. */
export async function scoreNthr(batch: Batch, o: NthrScoreOptions, plugin = 'nthr'): Promise<NthrScores> {
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
  const layouts = mixed.map((g) => layoutOf(g, T, mask, ids));

  // Layout: the mixed groups' rows, group after group, correct rows first; R = the default row.
  const R = layouts.reduce((a, L) => a + L.rows.length, 0);
  const at = new Int32Array(B).fill(R); // batch row → layout row
  const etaRow = new Float32Array(B).fill(1);
  const validL = new Uint8Array(R * T); // 1 at valid slots
  const negL = new Uint8Array(R * T); // 1 at valid slots of incorrect rows
  const lenL = new Float32Array(R); // valid tokens (at least 1, a divisor)
  const anchorL = new Uint8Array(R); // correct rows with a token
  const member = new Float32Array(mixed.length * R).fill(Infinity); // [groups, R] 0 where row is an anchor of the group
  const groupL = new Int32Array(R);
  const hasAnchorG = new Uint8Array(mixed.length);
  let pos = 0;
  layouts.forEach((L, gi) => {
    const eta = etaOf(o.eta, mixed[gi]!.p);
    L.rows.forEach((r, j) => {
      at[r] = pos;
      etaRow[r] = eta;
      groupL[pos] = gi;
      let len = 0;
      for (let t = 0; t < T; t++)
        if (mask[r * T + t] === 1) {
          len++;
          validL[pos * T + t] = 1;
          if (j >= L.nPos) negL[pos * T + t] = 1;
        }
      lenL[pos] = Math.max(len, 1);
      if (j < L.nPos && len > 0) {
        anchorL[pos] = 1;
        hasAnchorG[gi] = 1;
        member[gi * R + pos] = 0;
      }
      pos++;
    });
  });

  const perGroup = layouts.map((L) => groupScores(L, T, d, source, hidden, o.includeSelf));

  const [scores, selected, packed] = tf.tidy(() => {
    if (R === 0) {
      const nan = tf.fill([B, T], NaN) as tf.Tensor2D;
      return [nan, tf.zeros([B, T]) as tf.Tensor2D, tf.zeros([0])] as const;
    }
    const S = tf.concat(perGroup, 0) as tf.Tensor2D; // [R, T] layout order
    const valid = tf.tensor2d(validL, [R, T], 'bool');
    const clean = tf.where(valid, S, tf.zerosLike(S)); // [R, T] padding → 0
    const sbar = tf.div(tf.sum(clean, 1), tf.tensor1d(lenL)); // [R]
    // τ_g = β · min over the group's anchor rows of s̄ (+∞ without anchors): a masked min, no loop
    const minS = tf.min(tf.add(tf.reshape(sbar, [1, R]), tf.tensor2d(member, [mixed.length, R])), 1); // [groups]
    const hasAnchor = tf.tensor1d(hasAnchorG, 'bool');
    const tau = tf.where(hasAnchor, tf.mul(minS, o.beta), tf.fill([mixed.length], Infinity)); // [groups]
    const tauRow = tf.reshape(tf.gather(tau, tf.tensor1d(groupL, 'int32')), [R, 1]); // [R, 1]
    const sel = tf.cast(
      tf.logicalAnd(tf.tensor2d(negL, [R, T], 'bool'), tf.greater(S, tauRow)),
      'float32',
    ) as tf.Tensor2D; // [R, T]
    const sc = tf.where(valid, S, tf.fill([R, T], NaN)); // [R, T]
    const isAnchor = tf.tensor1d(anchorL, 'bool');
    const sbarOut = tf.where(isAnchor, sbar, tf.fill([R], NaN)); // [R]
    const idx = tf.tensor1d(at, 'int32');
    const outScores = tf.gather(tf.concat([sc, tf.fill([1, T], NaN)], 0), idx) as tf.Tensor2D; // [B, T]
    const outSel = tf.gather(tf.concat([sel, tf.zeros([1, T])], 0), idx) as tf.Tensor2D; // [B, T]
    return [outScores, outSel, tf.concat([tau, tf.sum(sel, 1), sbarOut])] as const; // [groups + 2R]
  });
  tf.dispose(perGroup);
  const [vals, scoreVals] = await Promise.all([packed.data(), scores.data()]);
  packed.dispose();

  const nG = mixed.length;
  const sbar = new Float32Array(B).fill(NaN);
  const info = new Map<GroupInfo, { tau: number; selected: number; vstar: number[] }>();
  layouts.forEach((L, gi) => {
    let count = 0;
    for (const r of L.rows) {
      count += vals[nG + at[r]!]!;
      sbar[r] = vals[nG + R + at[r]!]!;
    }
    info.set(mixed[gi]!, { tau: vals[gi]!, selected: Math.round(count), vstar: Array.from(L.vstar) });
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
