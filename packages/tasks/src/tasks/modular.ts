/**
 * Modular arithmetic.
 *   prompt  "a+b%m=" | "a-b%m=" | "a*b%m="   meaning (a op b) mod m; a, b < 10^d, m has exactly
 *                                             d digits (2 ≤ m ≤ 9 at d = 1)
 *   answer  "r."     r in [0, m) (the mathematical, non-negative residue), then the stop mark '.'
 *   alphabet "0123456789+-*%=."
 * `ops` picks the operators drawn [['+', '-', '*']].
 */
import { ValidationError } from '@grpo-lab/core';
import { defineTask, type TaskOptions, type VerifiableTask } from './define.js';

export type ModOp = '+' | '-' | '*';

export interface ModularOptions extends TaskOptions {
  /** Operators drawn uniformly [['+', '-', '*']]. */
  ops?: ModOp[];
}

/** (a op b) mod m, non-negative. */
export function modApply(a: number, op: ModOp, b: number, m: number): number {
  const v = op === '+' ? a + b : op === '-' ? a - b : Number((BigInt(a) * BigInt(b)) % BigInt(m));
  return ((v % m) + m) % m;
}

export function modular(options: ModularOptions = {}): VerifiableTask {
  const { ops: o, ...base } = options;
  const ops = o ?? (['+', '-', '*'] as ModOp[]);
  if (!Array.isArray(ops) || ops.length === 0 || ops.some((x) => !['+', '-', '*'].includes(x)))
    throw new ValidationError('modular.ops', 'a non-empty array of "+", "-", "*"', JSON.stringify(o));
  const task = defineTask(
    {
      name: 'modular',
      alphabet: '0123456789+-*%=.',
      format: /^\d+\.$/,
      defaultDifficulty: 2,
      maxDifficulty: 6,
      generate(rng, d) {
        const m = d === 1 ? 2 + rng.int(8) : 10 ** (d - 1) + rng.int(9 * 10 ** (d - 1));
        const a = rng.int(10 ** d);
        const b = rng.int(10 ** d);
        const op = ops[rng.int(ops.length)]!;
        return {
          prompt: `${a}${op}${b}%${m}=`,
          answer: String(modApply(a, op, b, m)),
          meta: { difficulty: d },
        };
      },
      maxAnswerLength: (d) => d,
    },
    base,
    ['ops'],
  );
  return { ...task, options: { ...task.options, ops: [...ops] } };
}
