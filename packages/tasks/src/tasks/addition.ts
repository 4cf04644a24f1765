/**
 * Multi-digit addition.
 *   prompt  "a+b="          a, b < 10^d, at least one of them with exactly d digits (levels disjoint)
 *   answer  "c."            c = a + b in decimal, then the stop mark '.'
 *   alphabet "0123456789+=."
 * With `reverse: true` the answer digits are written least-significant first ("12+39=" → "15."),
 * the order in which carries are computed; small transformers learn it far faster
 * (Lee et al., "Teaching Arithmetic to Small Transformers", arXiv 2307.03381).
 * Problem space at level d ≈ 10^(2d); 1-digit addition has 100 problems (≈ 10 in eval).
 */
import { ValidationError, type Rng } from '@grpo-lab/core';
import { defineTask, type TaskOptions, type VerifiableTask } from './define.js';

export interface ArithmeticOptions extends TaskOptions {
  /** Write the answer least-significant digit first [false]. */
  reverse?: boolean;
}

/** Two operands below 10^d, at least one with exactly d digits. */
export function drawOperands(rng: Rng, d: number, dB = d): [number, number] {
  for (;;) {
    const a = rng.int(10 ** d);
    const b = rng.int(10 ** dB);
    if (d === 1 || Math.max(a, b) >= 10 ** (d - 1)) return [a, b];
  }
}

export function checkReverse(name: string, v: unknown): boolean {
  if (v !== undefined && typeof v !== 'boolean')
    throw new ValidationError(`${name}.reverse`, 'a boolean', JSON.stringify(v));
  return v ?? false;
}

export const flip = (s: string): string => [...s].reverse().join('');

export function addition(options: ArithmeticOptions = {}): VerifiableTask {
  const { reverse: rev, ...base } = options;
  const reverse = checkReverse('addition', rev);
  const task = defineTask(
    {
      name: 'addition',
      alphabet: '0123456789+=.',
      format: /^\d+\.$/,
      defaultDifficulty: 2,
      maxDifficulty: 7,
      generate(rng, d) {
        const [a, b] = drawOperands(rng, d);
        const c = String(a + b);
        return { prompt: `${a}+${b}=`, answer: reverse ? flip(c) : c, meta: { difficulty: d } };
      },
      maxAnswerLength: (d) => d + 1,
    },
    base,
    ['reverse'],
  );
  return { ...task, options: { ...task.options, reverse } };
}
