/**
 * Correctness rewards over `{ prompt, completion, answer, meta }` (1 correct, 0 not):
 * - `exactMatch`: trimmed completion = trimmed answer; when `meta.stop` is a string the completion is
 *   first cut at it and must contain it (for datasets whose samples say how completions end; the
 *   built-in tasks have their own `task.reward`, which cuts at the task's stop mark);
 * - `numericMatch({ tol, relTol, from })`: |x − y| ≤ max(tol, relTol·|y|) for the number x read from
 *   the completion (`from`: last number, `\boxed{}`, `####` or the whole text) and y from the answer;
 * - `boxedMatch`: MATH convention; the last `\boxed{…}` of the completion equals the answer (or the
 *   answer's own last `\boxed{…}`) after light LaTeX normalisation, or both are equal numbers;
 * - `gsm8kMatch`: GSM8K convention; the number after the completion's last `####` equals the answer's
 *   (the answer may be a full GSM8K solution ending in `#### 42`). Strict: no `####`, no reward
 *   (verl `gsm8k.py`, method "strict").
 * A completion that does not contain what the reward looks for scores 0; an answer that cannot be read
 * (or a sample that is not `{ completion: string, answer: string }`) throws a ValidationError, which
 * `scoreAll` counts as an error: that is a data bug, not a wrong completion.
 */
import { checkKeys, checkNumber, checkOneOf, ValidationError } from '@grpo-lab/core';
import type { RewardFunction, RewardSample } from '@grpo-lab/core';
import { cutAtStop, extractBoxed, extractGsm8k, lastNumber, parseNumber } from './extract.js';

/** Throws a ValidationError naming the field when `s` is not a reward sample. */
export function checkSample(s: RewardSample): void {
  if (s === null || typeof s !== 'object') throw new ValidationError('sample', 'an object', String(s));
  if (typeof s.completion !== 'string')
    throw new ValidationError('sample.completion', 'a string', typeof s.completion);
  if (typeof s.answer !== 'string') throw new ValidationError('sample.answer', 'a string', typeof s.answer);
}

export const exactMatch: RewardFunction = (s) => {
  checkSample(s);
  const stop = s.meta?.stop;
  const text = typeof stop === 'string' && stop !== '' ? cutAtStop(s.completion, stop) : s.completion;
  return text !== null && text.trim() === s.answer.trim() ? 1 : 0;
};

function readAnswer(answer: string, extract: (t: string) => string | null): number {
  const v = parseNumber(extract(answer) ?? answer);
  if (v === null) throw new ValidationError('sample.answer', 'a number', JSON.stringify(answer));
  return v;
}

export interface NumericMatchOptions {
  /** Absolute tolerance [1e-6]. */
  tol?: number;
  /** Relative tolerance [0]: a match when |x − y| ≤ max(tol, relTol·|y|). */
  relTol?: number;
  /** Where the completion's number is read [last]: the last number, `\boxed{}`, after `####`, or the whole text. */
  from?: 'last' | 'boxed' | 'gsm8k' | 'whole';
}

const FROM = ['last', 'boxed', 'gsm8k', 'whole'] as const;

export function numericMatch(options: NumericMatchOptions = {}): RewardFunction {
  checkKeys('numericMatch', options, ['tol', 'relTol', 'from']);
  const tol = checkNumber('numericMatch.tol', options.tol ?? 1e-6, { min: 0 });
  const relTol = checkNumber('numericMatch.relTol', options.relTol ?? 0, { min: 0 });
  const from = checkOneOf('numericMatch.from', options.from ?? 'last', FROM);
  const read = (t: string): number | null => {
    if (from === 'last') return lastNumber(t);
    const x = from === 'boxed' ? extractBoxed(t) : from === 'gsm8k' ? extractGsm8k(t) : t;
    return x === null ? null : parseNumber(x);
  };
  return (s) => {
    checkSample(s);
    const y = readAnswer(
      s.answer,
      from === 'boxed' ? extractBoxed : from === 'gsm8k' ? extractGsm8k : () => null,
    );
    const x = read(s.completion);
    return x !== null && Math.abs(x - y) <= Math.max(tol, relTol * Math.abs(y)) ? 1 : 0;
  };
}

/** Light normalisation of a LaTeX answer (as the MATH reference `strip_string`, abridged). */
export function normalizeMath(s: string): string {
  let t = s.replace(/\\text\{([^{}]*)\}|\\mathrm\{([^{}]*)\}/g, (_, a, b) => a ?? b);
  t = t.replace(/\\left|\\right|\\[!,;:]|\\\$|\$|\s+/g, '');
  t = t.replace(/\\[dt]frac/g, '\\frac').replace(/\^\{?\\circ\}?/g, '');
  t = t.replace(/\\frac(\d)(\d)/g, '\\frac{$1}{$2}');
  return t.replace(/\.$/, '');
}

/** A normalised answer as a number (plain, `a/b` or `\frac{a}{b}`), or null. */
function mathNumber(t: string): number | null {
  const f = /^(-?)\\frac\{(-?\d+)\}\{(-?\d+)\}$/.exec(t);
  if (f) return Number(f[3]) === 0 ? null : (f[1] ? -1 : 1) * (Number(f[2]) / Number(f[3]));
  return parseNumber(t);
}

export const boxedMatch: RewardFunction = (s) => {
  checkSample(s);
  const pred = extractBoxed(s.completion);
  if (pred === null) return 0;
  const gold = normalizeMath(extractBoxed(s.answer) ?? s.answer);
  if (gold === '') throw new ValidationError('sample.answer', 'a non-empty answer', JSON.stringify(s.answer));
  const p = normalizeMath(pred);
  if (p === gold) return 1;
  const x = mathNumber(p);
  const y = mathNumber(gold);
  return x !== null && y !== null && Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y)) ? 1 : 0;
};

export const gsm8kMatch: RewardFunction = (s) => {
  checkSample(s);
  const y = readAnswer(s.answer, extractGsm8k);
  const t = extractGsm8k(s.completion);
  const x = t === null ? null : parseNumber(t);
  return x !== null && Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)) ? 1 : 0;
};
