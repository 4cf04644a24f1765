/**
 * Train/eval partition by hashing the prompt: a problem belongs to the eval split iff
 * fmix32(FNV-1a(prompt)) mod 10 = 0 (≈ 10 % of the problem space). The partition depends on the
 * prompt alone (not on the seed), so no seed, difficulty or run can ever train on an eval problem.
 * The murmur3 finaliser matters: FNV-1a's low bits are a weak hash (its parity is the XOR of the
 * characters' parities), so `% 10` on the raw FNV value would split by digit parity.
 */
import { hashSeed } from '@grpo-lab/core';

/** 1 / EVAL_MODULUS of the problem space is held out for evaluation. */
export const EVAL_MODULUS = 10;

/** murmur3 fmix32: full avalanche of a 32-bit value. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A well-mixed 32-bit hash of a string. */
export function promptHash(prompt: string): number {
  return fmix32(hashSeed(prompt));
}

/** True when `prompt` is in the held-out eval split. */
export function isEvalPrompt(prompt: string): boolean {
  return promptHash(prompt) % EVAL_MODULUS === 0;
}
