/**
 * A `Task` over a fixed list of problems (e.g. from `readGsm8k` / `readMath`), with the same hash
 * split as the generated tasks: a problem is in eval iff its prompt hashes to 0 mod 10, so the split
 * does not depend on file order or seed. `sample` draws uniformly from the training part;
 * `evalSet(n)` is the first n eval problems in list order. The demonstration is `meta.solution` when
 * the problem has one (GSM8K / MATH reasoning), else the answer, followed by `stop` [''].
 * The alphabet is every character of the prompts and demonstrations (for a character tokenizer).
 */
import {
  checkKeys,
  GrpoLabError,
  ValidationError,
  type Problem,
  type RewardFunction,
  type Rng,
  type Task,
} from '@grpo-lab/core';
import { exactMatch } from '../rewards/match.js';
import { isEvalPrompt } from '../split.js';

export interface DatasetTaskOptions {
  /** Task name ['dataset']. */
  name?: string;
  /** Reward [exactMatch]; e.g. gsm8kMatch or boxedMatch. */
  reward?: RewardFunction;
  /** Appended to every demonstration [''] (use '' when the tokenizer's eos ends completions). */
  stop?: string;
}

export function datasetTask(problems: readonly Problem[], options: DatasetTaskOptions = {}): Task {
  checkKeys('datasetTask', options, ['name', 'reward', 'stop']);
  const name = options.name ?? 'dataset';
  const stop = options.stop ?? '';
  if (!Array.isArray(problems) || problems.length === 0)
    throw new ValidationError(
      `${name}.problems`,
      'a non-empty array of problems',
      JSON.stringify(problems)?.slice(0, 40) ?? 'nothing',
    );
  const train = problems.filter((p) => !isEvalPrompt(p.prompt));
  const evalPart = problems.filter((p) => isEvalPrompt(p.prompt));
  const demonstration = (p: Problem) =>
    (typeof p.meta?.solution === 'string' ? p.meta.solution : p.answer) + stop;
  const chars = new Set<string>();
  for (const p of problems) for (const ch of p.prompt + demonstration(p)) chars.add(ch);
  return {
    name,
    alphabet: [...chars].sort().join(''),
    reward: options.reward ?? exactMatch,
    sample(rng: Rng): Problem {
      if (train.length === 0)
        throw new GrpoLabError(`${name}: every problem is in the eval split; nothing to train on`);
      return train[rng.int(train.length)]!;
    },
    evalSet: (n: number) => evalPart.slice(0, n),
    demonstration,
  };
}
