/**
 * What the trainer needs from a verifiable task (implemented by @grpo-lab/tasks).
 */
import type { RewardFunction } from './plugins.js';
import type { Rng } from './rng.js';

export interface Problem {
  readonly prompt: string;
  readonly answer: string;
  /** e.g. { difficulty: 3 }; passed to reward functions. */
  readonly meta?: Readonly<Record<string, unknown>>;
}

export interface Task {
  readonly name: string;
  /** Every character a prompt or a completion may contain (for the character tokenizer). */
  readonly alphabet: string;
  /** Draws a training problem; never one from the eval split. */
  sample(rng: Rng): Problem;
  /** The fixed eval split (disjoint from anything `sample` returns). */
  evalSet(n: number): Problem[];
  /** Reward of a completion (1 = correct for binary tasks). */
  readonly reward: RewardFunction;
  /** A demonstration completion for supervised warm start (the answer in the task's format, with its stop mark). */
  demonstration(p: Problem): string;
}
