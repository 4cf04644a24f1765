/**
 * Multi-digit multiplication.
 *   prompt  "a*b="          a < 10^d with exactly d digits (any digit at d = 1), b < 10^⌈d/2⌉
 *   answer  "c."            c = a · b in decimal, then the stop mark '.'
 *   alphabet "0123456789*=."
 * Levels: 1 = 1×1 digits (100 problems), 2 = 2×1, 3 = 3×2, 4 = 4×2, … `reverse: true` writes the
 * answer least-significant digit first (see addition.ts).
 */
import { defineTask, type VerifiableTask } from './define.js';
import { checkReverse, flip, type ArithmeticOptions } from './addition.js';

export function multiplication(options: ArithmeticOptions = {}): VerifiableTask {
  const { reverse: rev, ...base } = options;
  const reverse = checkReverse('multiplication', rev);
  const bDigits = (d: number) => Math.ceil(d / 2);
  const task = defineTask(
    {
      name: 'multiplication',
      alphabet: '0123456789*=.',
      format: /^\d+\.$/,
      defaultDifficulty: 2,
      maxDifficulty: 6,
      generate(rng, d) {
        const a = d === 1 ? rng.int(10) : 10 ** (d - 1) + rng.int(9 * 10 ** (d - 1));
        const b = rng.int(10 ** bDigits(d));
        const c = String(a * b);
        return { prompt: `${a}*${b}=`, answer: reverse ? flip(c) : c, meta: { difficulty: d } };
      },
      maxAnswerLength: (d) => d + bDigits(d),
    },
    base,
    ['reverse'],
  );
  return { ...task, options: { ...task.options, reverse } };
}
