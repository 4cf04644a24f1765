/**
 * The batch contract (SPEC §2). B rows (responses), T padded response length, V vocab, d hidden.
 * Masked positions may hold any finite value and must never change a result.
 *
 * `checkBatch` checks shapes and dtypes (no host read, safe anywhere); `validateBatch` also reads
 * the values once (NaN/Inf rewards, a mask that is not 0/1, token ids outside the vocabulary).
 */
import * as tf from '@tensorflow/tfjs';
import { ValidationError, fmtShape } from './errors.js';
import type { Needs } from './plugins.js';

/** Logits at chosen vocabulary ids, without materialising a [B, T, V] softmax. */
export interface LogitsSource {
  readonly vocabSize: number;
  /** Full-vocabulary log-sum-exp per token: float32 [B, T]. */
  readonly lse: tf.Tensor2D;
  /** Logits of rows `rows` (int32 [n]) at vocabulary ids `ids` (int32 [K]) → float32 [n, T, K]. */
  at(rows: tf.Tensor1D, ids: tf.Tensor1D): tf.Tensor3D;
  dispose(): void;
}

export interface Batch {
  readonly groupIds: tf.Tensor1D; // int32 [B]
  readonly rewards: tf.Tensor1D; // float32 [B]
  /**
   * The same rewards as host numbers, when the caller has them (the trainer does): a plugin that
   * needs them on the host (a `correct(r)` predicate) reads these instead of a synchronous read of
   * `rewards`, which webgpu in Node cannot do. Length B.
   */
  readonly rewardsHost?: ArrayLike<number>;
  readonly mask: tf.Tensor2D; // float32 [B, T]
  readonly tokenIds?: tf.Tensor2D; // int32 [B, T]
  readonly logp?: tf.Tensor2D; // float32 [B, T]
  readonly oldLogp?: tf.Tensor2D; // float32 [B, T]
  readonly refLogp?: tf.Tensor2D; // float32 [B, T]
  readonly hidden?: tf.Tensor3D; // float32 [B, T, d]
  readonly entropy?: tf.Tensor2D; // float32 [B, T]
  readonly logits?: LogitsSource;
}

export interface CheckOptions {
  readonly needs?: Needs;
  /** Fields that must be present, e.g. ['logp', 'oldLogp']. */
  readonly require?: readonly (keyof Batch)[];
}

function expectTensor(
  field: string,
  t: tf.Tensor | undefined,
  shape: readonly (number | string)[],
  dtype: tf.DataType,
  dims: number[],
): void {
  const want = `${dtype} [${shape.join(', ')}]`;
  if (t === undefined) throw new ValidationError(field, want, 'nothing (field missing)');
  if (t.isDisposed) throw new ValidationError(field, want, 'a disposed tensor');
  if (t.dtype !== dtype) throw new ValidationError(field, want, `${t.dtype} ${fmtShape(t.shape)}`);
  const bad = t.rank !== dims.length || dims.some((d, i) => d >= 0 && t.shape[i] !== d);
  if (bad) throw new ValidationError(field, want, `${t.dtype} ${fmtShape(t.shape)}`);
}

/** Shape/dtype check of every present field and every needed one. No host read. Returns {B, T}. */
export function checkBatch(batch: Batch, opts: CheckOptions = {}): { B: number; T: number } {
  if (batch === null || typeof batch !== 'object')
    throw new ValidationError('batch', 'an object', String(batch));
  expectTensor('groupIds', batch.groupIds, ['B'], 'int32', [-1]);
  const B = batch.groupIds.shape[0];
  if (B === 0) throw new ValidationError('groupIds', 'at least one row (B ≥ 1)', 'an empty batch (B = 0)');
  expectTensor('rewards', batch.rewards, [B], 'float32', [B]);
  const host = batch.rewardsHost as ArrayLike<number> | null | undefined;
  if (host !== undefined && host?.length !== B)
    throw new ValidationError('rewardsHost', `${B} host numbers (one per row)`, `${host?.length ?? host}`);
  expectTensor('mask', batch.mask, [B, 'T'], 'float32', [B, -1]);
  const T = batch.mask.shape[1];
  const req = new Set<string>(opts.require ?? []);
  const n = opts.needs ?? {};
  if (n.tokenIds || n.logits) req.add('tokenIds');
  if (n.hidden) req.add('hidden');
  if (n.entropy) req.add('entropy');
  if (n.logits) req.add('logits');
  for (const f of ['logp', 'oldLogp', 'refLogp', 'entropy'] as const) {
    if (batch[f] !== undefined || req.has(f)) expectTensor(f, batch[f], [B, T], 'float32', [B, T]);
  }
  if (batch.tokenIds !== undefined || req.has('tokenIds'))
    expectTensor('tokenIds', batch.tokenIds, [B, T], 'int32', [B, T]);
  if (batch.hidden !== undefined || req.has('hidden'))
    expectTensor('hidden', batch.hidden, [B, T, 'd'], 'float32', [B, T, -1]);
  if (batch.logits !== undefined || req.has('logits')) {
    if (batch.logits === undefined)
      throw new ValidationError('logits', 'a LogitsSource', 'nothing (field missing)');
    expectTensor('logits.lse', batch.logits.lse, [B, T], 'float32', [B, T]);
  }
  return { B, T };
}

/** Reads values once and rejects what would otherwise become a NaN that travels. */
export async function validateBatch(
  batch: Batch,
  opts: CheckOptions = {},
): Promise<{ B: number; T: number }> {
  const { B, T } = checkBatch(batch, opts);
  const rewards = await batch.rewards.data();
  for (let i = 0; i < B; i++) {
    const r = rewards[i]!;
    if (!Number.isFinite(r)) throw new ValidationError('rewards', 'finite float32 [B]', `${r} at row ${i}`);
  }
  const mask = await batch.mask.data();
  for (let k = 0; k < mask.length; k++) {
    const m = mask[k]!;
    if (m !== 0 && m !== 1)
      throw new ValidationError(
        'mask',
        `values in {0, 1}, float32 [${B}, ${T}]`,
        `${m} at row ${Math.floor(k / T)}, t ${k % T}`,
      );
  }
  for (const f of ['logp', 'oldLogp', 'refLogp'] as const) {
    const t = batch[f];
    if (t === undefined) continue;
    const v = await t.data();
    for (let k = 0; k < v.length; k++) {
      if (mask[k] === 1 && !Number.isFinite(v[k]!))
        throw new ValidationError(
          f,
          'finite values at valid positions',
          `${v[k]} at row ${Math.floor(k / T)}, t ${k % T}`,
        );
    }
  }
  if (batch.tokenIds !== undefined && batch.logits !== undefined) {
    const ids = await batch.tokenIds.data();
    const V = batch.logits.vocabSize;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (mask[k] === 1 && (id < 0 || id >= V))
        throw new ValidationError(
          'tokenIds',
          `ids in [0, ${V}) at valid positions`,
          `${id} at row ${Math.floor(k / T)}, t ${k % T}`,
        );
    }
  }
  return { B, T };
}

/** Host arrays → a batch of tensors, validated. Rows are ragged number arrays, padded to T. */
export interface HostBatch {
  groupIds: ArrayLike<number>;
  rewards: ArrayLike<number>;
  mask: number[][];
  tokenIds?: number[][];
  logp?: number[][];
  oldLogp?: number[][];
  refLogp?: number[][];
  hidden?: number[][][];
}

export function batchFromHost(h: HostBatch): Batch {
  const B = h.groupIds.length;
  if (B === 0) throw new ValidationError('groupIds', 'at least one row (B ≥ 1)', 'an empty batch (B = 0)');
  if (h.rewards.length !== B)
    throw new ValidationError('rewards', `length ${B} (= groupIds.length)`, `length ${h.rewards.length}`);
  if (h.mask.length !== B)
    throw new ValidationError('mask', `${B} rows (= groupIds.length)`, `${h.mask.length} rows`);
  const T = h.mask[0]?.length ?? 0;
  const checkRows = (field: string, rows: number[][] | undefined) => {
    if (rows !== undefined && (rows.length !== B || rows.some((r) => r.length !== T)))
      throw new ValidationError(
        field,
        `[${B}, ${T}]`,
        `${rows.length} rows of lengths ${[...new Set(rows.map((r) => r.length))].join('/')}`,
      );
  };
  for (const f of ['mask', 'tokenIds', 'logp', 'oldLogp', 'refLogp'] as const) checkRows(f, h[f]);
  for (let i = 0; i < B; i++) {
    const g = h.groupIds[i]!;
    if (!Number.isInteger(g) || Math.abs(g) > 2 ** 31 - 1)
      throw new ValidationError('groupIds', `int32 ids, [${B}]`, `${g} at row ${i}`);
    if (!Number.isFinite(h.rewards[i]))
      throw new ValidationError('rewards', `finite float32 [${B}]`, `${h.rewards[i]} at row ${i}`);
    h.mask[i]!.forEach((m, t) => {
      if (m !== 0 && m !== 1)
        throw new ValidationError(
          'mask',
          `values in {0, 1}, float32 [${B}, ${T}]`,
          `${m} at row ${i}, t ${t}`,
        );
    });
  }
  const mat = (rows: number[][] | undefined, dtype: 'float32' | 'int32') =>
    rows === undefined ? undefined : tf.tensor2d(rows, [B, T], dtype);
  return {
    groupIds: tf.tensor1d(Array.from(h.groupIds), 'int32'),
    rewards: tf.tensor1d(Array.from(h.rewards), 'float32'),
    mask: mat(h.mask, 'float32')!,
    tokenIds: mat(h.tokenIds, 'int32'),
    logp: mat(h.logp, 'float32'),
    oldLogp: mat(h.oldLogp, 'float32'),
    refLogp: mat(h.refLogp, 'float32'),
    hidden: h.hidden === undefined ? undefined : tf.tensor3d(h.hidden, undefined, 'float32'),
  };
}

/** Disposes every tensor of a batch (the trainer owns batches; plugins own nothing). */
export function disposeBatch(batch: Partial<Batch>): void {
  for (const v of Object.values(batch)) {
    if (v instanceof tf.Tensor) v.dispose();
  }
  batch.logits?.dispose();
}
