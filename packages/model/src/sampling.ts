/**
 * Token selection from one row of logits z ∈ ℝ^V, model-agnostic (every model's sampler uses it):
 *   temperature τ > 0:  p = softmax(z/τ); keep the top-k ids, then the smallest set of the
 *                       remaining (renormalised) mass ≥ top-p (Holtzman et al., arXiv 1904.09751);
 *                       draw from the kept ids with one seeded uniform (inverse CDF).
 *   temperature 0:      argmax (ties → the smallest id), no random draw.
 * The behaviour log-prob returned is log softmax(z/τ)[y] (τ = 1 when greedy) over the full
 * vocabulary, before top-k/top-p filtering, as the GenerateRequest contract states (vLLM's
 * default "raw" logprobs behave the same way). Order of filters as Hugging Face
 * `generate`: temperature, top-k, top-p.
 */
import type * as tf from '@tensorflow/tfjs';
import { checkKeys, checkNumber, type Rng } from '@grpo-lab/core';

export interface SamplingOptions {
  /** 0 = greedy. [1] */
  readonly temperature?: number;
  /** Keep the k most likely ids (0 = off). [0] */
  readonly topK?: number;
  /** Nucleus mass in (0, 1] (1 = off). [1] */
  readonly topP?: number;
}

export type ResolvedSampling = Required<SamplingOptions>;

export function resolveSampling(o: SamplingOptions = {}): ResolvedSampling {
  checkKeys('sampling', o, ['temperature', 'topK', 'topP']);
  return {
    temperature: checkNumber('sampling.temperature', o.temperature ?? 1, { min: 0 }),
    topK: checkNumber('sampling.topK', o.topK ?? 0, { min: 0, integer: true }),
    topP: checkNumber('sampling.topP', o.topP ?? 1, { min: 0, max: 1, exclusiveMin: true }),
  };
}

export interface Selected {
  readonly token: number;
  readonly logp: number;
}

/**
 * Selects one token from `logits[offset .. offset + V)`. `scratch` (length ≥ V) avoids an
 * allocation per call. Consumes exactly one `rng.next()` when τ > 0 and none when greedy.
 */
export function selectToken(
  logits: ArrayLike<number>,
  offset: number,
  V: number,
  s: ResolvedSampling,
  rng: Rng,
  scratch: Float64Array = new Float64Array(V),
): Selected {
  let max = -Infinity;
  let arg = 0;
  for (let i = 0; i < V; i++) {
    const z = logits[offset + i]!;
    if (z > max) [max, arg] = [z, i];
  }
  if (!Number.isFinite(max)) throw new RangeError(`sampling: logits row has no finite maximum (${max})`);
  const inv = s.temperature > 0 ? 1 / s.temperature : 1;
  let total = 0;
  for (let i = 0; i < V; i++) total += scratch[i] = Math.exp((logits[offset + i]! - max) * inv);
  const logpOf = (t: number) => (logits[offset + t]! - max) * inv - Math.log(total);
  if (s.temperature === 0) return { token: arg, logp: logpOf(arg) };

  const u = rng.next();
  const filtered = (s.topK > 0 && s.topK < V) || s.topP < 1;
  if (!filtered) {
    const target = u * total;
    let acc = 0;
    for (let i = 0; i < V; i++) {
      acc += scratch[i]!;
      if (acc > target) return { token: i, logp: logpOf(i) };
    }
    return { token: arg, logp: logpOf(arg) };
  }
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => scratch[b]! - scratch[a]! || a - b);
  let n = s.topK > 0 ? Math.min(s.topK, V) : V;
  let kept = 0;
  for (let i = 0; i < n; i++) kept += scratch[order[i]!]!;
  if (s.topP < 1) {
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += scratch[order[i]!]!;
      if (acc >= s.topP * kept) {
        n = i + 1;
        kept = acc;
        break;
      }
    }
  }
  const target = u * kept;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += scratch[order[i]!]!;
    if (acc > target) return { token: order[i]!, logp: logpOf(order[i]!) };
  }
  return { token: order[n - 1]!, logp: logpOf(order[n - 1]!) };
}

/** Selects one token per row of a logits tensor [N, V] (one host read). */
export async function sampleRows(
  logits: tf.Tensor2D,
  options: SamplingOptions,
  rng: Rng,
): Promise<{ tokens: number[]; logp: number[] }> {
  const s = resolveSampling(options);
  const [N, V] = logits.shape;
  const host = await logits.data();
  const scratch = new Float64Array(V);
  const tokens: number[] = [];
  const logp: number[] = [];
  for (let r = 0; r < N; r++) {
    const sel = selectToken(host as Float32Array, r * V, V, s, rng, scratch);
    tokens.push(sel.token);
    logp.push(sel.logp);
  }
  return { tokens, logp };
}
