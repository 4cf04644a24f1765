/**
 * Batched generation with a KV cache, for any model that exposes `IncrementalModel`:
 *   prefill the left-padded prompt block once per distinct prompt  → cache [n, …], logits [n, V]
 *   repeat each prompt's cache rows G times                          → N = n·G rows
 *   then one token per step for all live rows: logits_s = step(cache, y_{s−1}) (no prefix recompute).
 * Rows that emit a stop token (or reach maxNewTokens) are finished; the cache drops finished rows
 * once a quarter of its rows are done. Each step runs in its own engine scope and the previous cache
 * is disposed, so tensor memory stays flat over long generations (SPEC §6: no await inside tidy).
 * Token choice: sampling.ts (seeded with core's createRng; one host read of the logits per step).
 * Reference: Hugging Face `generate` (left padding, positions = cumsum(attention) − 1).
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkKeys,
  checkNumber,
  createRng,
  ValidationError,
  type GenerateRequest,
  type Generation,
} from '@grpo-lab/core';
import { resolveSampling, selectToken } from './sampling.js';

/** Cache tensors: any list whose tensors all have the row axis first. */
export type Cache = tf.Tensor[];

export interface IncrementalModel {
  readonly vocabSize: number;
  readonly maxContext: number;
  /** tokens int32 [n, P] (left-padded), attention float32 [n, P] → next-token logits [n, V] and the cache. */
  prefill(tokens: tf.Tensor2D, attention: tf.Tensor2D): { logits: tf.Tensor2D; cache: Cache };
  /**
   * tokens int32 [N], positions int32 [N], keyMask float32 [N, K + 1] (cache width K, plus the new
   * token) → next-token logits [N, V] and a new cache; the old cache is left to the caller.
   */
  step(
    cache: Cache,
    tokens: tf.Tensor1D,
    positions: tf.Tensor1D,
    keyMask: tf.Tensor2D,
  ): { logits: tf.Tensor2D; cache: Cache };
}

const KEYS = ['prompts', 'numSamples', 'maxNewTokens', 'temperature', 'topP', 'topK', 'stopTokens', 'seed'];

function checkRequest(m: IncrementalModel, req: GenerateRequest): number {
  checkKeys('generate', req, KEYS);
  if (!Array.isArray(req.prompts) || req.prompts.length === 0)
    throw new ValidationError(
      'generate.prompts',
      'a non-empty array of token-id arrays',
      JSON.stringify(req.prompts),
    );
  let P = 0;
  req.prompts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0)
      throw new ValidationError(
        `generate.prompts[${i}]`,
        'a non-empty array of token ids',
        JSON.stringify(p),
      );
    const bad = p.findIndex((t) => !Number.isInteger(t) || t < 0 || t >= m.vocabSize);
    if (bad >= 0)
      throw new ValidationError(
        `generate.prompts[${i}][${bad}]`,
        `a token id in [0, ${m.vocabSize})`,
        String(p[bad]),
      );
    P = Math.max(P, p.length);
  });
  checkNumber('generate.numSamples', req.numSamples, { min: 1, integer: true });
  checkNumber('generate.maxNewTokens', req.maxNewTokens, { min: 1, integer: true });
  checkNumber('generate.seed', req.seed, { integer: true });
  for (const t of req.stopTokens ?? [])
    if (!Number.isInteger(t) || t < 0 || t >= m.vocabSize)
      throw new ValidationError('generate.stopTokens', `token ids in [0, ${m.vocabSize})`, String(t));
  if (P + req.maxNewTokens - 1 > m.maxContext)
    throw new ValidationError(
      'generate.maxNewTokens',
      `longest prompt (${P}) + maxNewTokens − 1 ≤ maxContext (${m.maxContext}) (context overflow)`,
      String(req.maxNewTokens),
    );
  return P;
}

/** Runs `fn` in an engine scope, keeping only the tensors it returns. */
function scoped<T extends { logits: tf.Tensor2D; cache: Cache }>(fn: () => T): T {
  const engine = tf.engine();
  engine.startScope();
  try {
    const r = fn();
    [r.logits, ...r.cache].forEach((t) => tf.keep(t));
    return r;
  } finally {
    engine.endScope();
  }
}

export async function generateWithCache(m: IncrementalModel, req: GenerateRequest): Promise<Generation[]> {
  const P = checkRequest(m, req);
  const s = resolveSampling({ temperature: req.temperature, topK: req.topK, topP: req.topP });
  const stops = new Set(req.stopTokens ?? []);
  const V = m.vocabSize;
  const G = req.numSamples;
  const nP = req.prompts.length;
  const N = nP * G;
  const rng = createRng(req.seed);
  const scratch = new Float64Array(V);
  const lens = req.prompts.map((p) => p.length);
  const out = Array.from({ length: N }, (_, r) => ({
    promptIndex: Math.floor(r / G),
    tokens: [] as number[],
    logp: [] as number[],
    truncated: false,
  }));
  const done = new Array<boolean>(N).fill(false);

  // Prefill once per distinct prompt, then repeat each prompt's rows G times.
  let { logits, cache } = scoped(() => {
    const ids = new Int32Array(nP * P);
    const att = new Float32Array(nP * P);
    req.prompts.forEach((p, i) =>
      p.forEach((t, j) => ((ids[i * P + P - p.length + j] = t), (att[i * P + P - p.length + j] = 1))),
    );
    const pf = m.prefill(tf.tensor2d(ids, [nP, P], 'int32'), tf.tensor2d(att, [nP, P]));
    const rep = tf.tensor1d(
      Array.from({ length: N }, (_, r) => Math.floor(r / G)),
      'int32',
    );
    return { logits: pf.logits, cache: pf.cache.map((t) => tf.gather(t, rep, 0)) };
  });
  let rows = Array.from({ length: N }, (_, r) => r); // cache row i holds output row rows[i]
  let host = await logits.data();
  let prefilled = true; // prefill logits have one row per prompt, step logits one per cache row
  const logitRow = (i: number) => (prefilled ? Math.floor(rows[i]! / G) : i);
  try {
    for (let step = 0; step < req.maxNewTokens; step++) {
      // 1. choose the next token of every live row
      rows.forEach((r, i) => {
        if (done[r]) return;
        const sel = selectToken(host, logitRow(i) * V, V, s, rng, scratch);
        out[r]!.tokens.push(sel.token);
        out[r]!.logp.push(sel.logp);
        if (stops.has(sel.token)) done[r] = true;
        else if (step === req.maxNewTokens - 1) [done[r], out[r]!.truncated] = [true, true];
      });
      const live = rows.filter((r) => !done[r]);
      logits.dispose();
      if (live.length === 0) break;
      // 2. drop finished rows from the cache once a quarter of it is finished
      if (live.length <= 0.75 * rows.length) {
        const keep = rows.flatMap((r, i) => (done[r] ? [] : [i]));
        const old = cache;
        cache = tf.tidy(() => {
          const idx = tf.tensor1d(keep, 'int32');
          return old.map((t) => tf.gather(t, idx, 0));
        });
        old.forEach((t) => t.dispose());
        rows = live;
      }
      // 3. one decoding step for every cache row (finished rows still in it feed their last token)
      const width = P + step + 1;
      const tok = new Int32Array(rows.length);
      const pos = new Int32Array(rows.length);
      const mask = new Float32Array(rows.length * width);
      rows.forEach((r, i) => {
        const o = out[r]!;
        tok[i] = o.tokens[o.tokens.length - 1]!;
        pos[i] = lens[o.promptIndex]! + step;
        mask.fill(1, i * width + P - lens[o.promptIndex]!, (i + 1) * width);
      });
      const prev = cache;
      ({ logits, cache } = scoped(() =>
        m.step(
          prev,
          tf.tensor1d(tok, 'int32'),
          tf.tensor1d(pos, 'int32'),
          tf.tensor2d(mask, [rows.length, width]),
        ),
      ));
      prev.forEach((t) => t.dispose());
      prefilled = false;
      host = await logits.data(); // the one sync point per step
    }
  } finally {
    if (!logits.isDisposed) logits.dispose();
    cache.forEach((t) => t.dispose());
  }
  return out;
}
