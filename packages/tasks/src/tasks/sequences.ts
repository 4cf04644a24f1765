/**
 * Sorting and reversal of a digit string (the algorithmic tasks of the RL-on-small-models literature).
 *   sorting   prompt "s3817="  answer "1378."  (ascending, repeats kept)
 *   reversal  prompt "r3817="  answer "7183."
 *   alphabet  "0123456789sr=."   (both tasks share it, so they can be mixed with one tokenizer)
 * Level d = a string of d + 1 digits (level 1: 2 digits, 100 problems). The answer is a permutation
 * of the prompt's digits, so it is as long as the input.
 */
import type { Rng } from '@grpo-lab/core';
import { defineTask, type TaskOptions, type VerifiableTask } from './define.js';

function digitString(rng: Rng, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String(rng.int(10));
  return s;
}

function sequenceTask(name: 'sorting' | 'reversal', options: TaskOptions): VerifiableTask {
  const tag = name === 'sorting' ? 's' : 'r';
  return defineTask(
    {
      name,
      alphabet: '0123456789sr=.',
      format: /^\d+\.$/,
      defaultDifficulty: 3,
      maxDifficulty: 15,
      generate(rng, d) {
        const s = digitString(rng, d + 1);
        const digits = [...s];
        const answer = (name === 'sorting' ? digits.sort() : digits.reverse()).join('');
        return { prompt: `${tag}${s}=`, answer, meta: { difficulty: d } };
      },
      maxAnswerLength: (d) => d + 1,
    },
    options,
  );
}

export function sorting(options: TaskOptions = {}): VerifiableTask {
  return sequenceTask('sorting', options);
}

export function reversal(options: TaskOptions = {}): VerifiableTask {
  return sequenceTask('reversal', options);
}
