/**
 * What every generated task shares: option checks, a difficulty range, the hash split (split.ts),
 * rejection sampling of training problems, a deterministic eval set, and the answer format
 * `<answer>.` ('.' is the stop mark). A task file only says how to generate and check one problem.
 *
 * Eval set: per difficulty level, a stream seeded by `<name>:eval:<seed>:<level>` keeps the distinct
 * problems that fall in the eval split; levels are interleaved round-robin so every level gets the
 * same count. `evalSet(n)` is a prefix of `evalSet(m)` for n < m. A level whose problem space is
 * smaller than asked (e.g. 1-digit addition has 100 problems, ≈ 10 in eval) runs out and the set is
 * shorter than n: it never repeats a problem.
 */
import { checkKeys, checkNumber, createRng, GrpoLabError } from '@grpo-lab/core';
import type { Problem, RewardFunction, RewardSample, Rng, Task } from '@grpo-lab/core';
import { cutAtStop } from '../rewards/extract.js';
import { isEvalPrompt } from '../split.js';

/** The stop mark that ends every completion of the built-in tasks. */
export const STOP = '.';

export interface TaskOptions {
  /** Largest difficulty level drawn; its meaning is per task (digits, numbers, length). */
  difficulty?: number;
  /** Smallest level drawn [= difficulty]; each problem's level is uniform in [minDifficulty, difficulty]. */
  minDifficulty?: number;
  /** Seed of the eval set [0]; training draws use the rng given to `sample`. */
  seed?: number;
  /** Size of `evalSet()` when called without an argument [200]. */
  evalSize?: number;
}

/** A core `Task` plus what a trainer or a report may want to know about it. */
export interface VerifiableTask extends Task {
  readonly kind: 'task';
  readonly options: Readonly<Record<string, unknown>>;
  /** The difficulty levels drawn, ascending. */
  readonly levels: readonly number[];
  /** The stop mark that ends every completion. */
  readonly stop: string;
  /** The shape of a well-formed completion (stop mark included), for `formatReward`. */
  readonly format: RegExp;
  /** Longest demonstration at the configured levels, stop mark included (a `maxNewTokens` hint). */
  readonly maxCompletionLength: number;
  evalSet(n?: number): Problem[];
}

export interface TaskSpec {
  readonly name: string;
  readonly alphabet: string;
  readonly format: RegExp;
  readonly defaultDifficulty: number;
  readonly maxDifficulty: number;
  /** One problem of level d (answer without the stop mark, meta.difficulty = d). */
  generate(rng: Rng, d: number): Problem;
  /** Is `text` (the completion up to the stop mark) a correct answer? [text === answer] */
  check?(text: string, sample: RewardSample): boolean;
  /** The ideal answer text [p.answer]. */
  solve?(p: Problem): string;
  /** Longest answer text at level d (without the stop mark). */
  maxAnswerLength(d: number): number;
}

const BASE_KEYS = ['difficulty', 'minDifficulty', 'seed', 'evalSize'] as const;
const MAX_TRIES = 10_000;
const EXHAUSTED_AFTER = 2_000;

/** Builds a `VerifiableTask` from a spec; `extraKeys` are task-specific options the factory handled. */
export function defineTask(
  spec: TaskSpec,
  options: TaskOptions,
  extraKeys: readonly string[] = [],
): VerifiableTask {
  const { name } = spec;
  checkKeys(name, options, [...BASE_KEYS, ...extraKeys]);
  const difficulty = checkNumber(`${name}.difficulty`, options.difficulty ?? spec.defaultDifficulty, {
    min: 1,
    max: spec.maxDifficulty,
    integer: true,
  });
  const minDifficulty = checkNumber(`${name}.minDifficulty`, options.minDifficulty ?? difficulty, {
    min: 1,
    max: difficulty,
    integer: true,
  });
  const seed = checkNumber(`${name}.seed`, options.seed ?? 0, { min: 0, max: 2 ** 32 - 1, integer: true });
  const evalSize = checkNumber(`${name}.evalSize`, options.evalSize ?? 200, {
    min: 0,
    max: 1e6,
    integer: true,
  });
  const levels = Array.from({ length: difficulty - minDifficulty + 1 }, (_, i) => minDifficulty + i);

  const check = spec.check ?? ((text: string, s: RewardSample) => text === s.answer);
  const reward: RewardFunction = (s) => {
    const text = cutAtStop(s.completion, STOP);
    return text !== null && check(text, s) ? 1 : 0;
  };

  // One lazily extended list of distinct eval problems per level.
  const evalStreams = levels.map((d) => ({
    rng: createRng(`${name}:eval:${seed}:${d}`),
    seen: new Set<string>(),
    problems: [] as Problem[],
    exhausted: false,
    d,
  }));
  const growLevel = (s: (typeof evalStreams)[number]): boolean => {
    for (let misses = 0; misses < EXHAUSTED_AFTER; misses++) {
      const p = spec.generate(s.rng, s.d);
      if (isEvalPrompt(p.prompt) && !s.seen.has(p.prompt)) {
        s.seen.add(p.prompt);
        s.problems.push(p);
        return true;
      }
    }
    s.exhausted = true;
    return false;
  };

  return {
    kind: 'task',
    name,
    alphabet: spec.alphabet,
    options: { ...options, difficulty, minDifficulty, seed, evalSize },
    levels,
    stop: STOP,
    format: spec.format,
    maxCompletionLength: Math.max(...levels.map((d) => spec.maxAnswerLength(d))) + STOP.length,
    reward,
    sample(rng: Rng): Problem {
      const d = levels[rng.int(levels.length)]!;
      for (let i = 0; i < MAX_TRIES; i++) {
        const p = spec.generate(rng, d);
        if (!isEvalPrompt(p.prompt)) return p;
      }
      throw new GrpoLabError(`${name}: no training problem found at difficulty ${d} in ${MAX_TRIES} draws`);
    },
    evalSet(n: number = evalSize): Problem[] {
      checkNumber(`${name}.evalSet(n)`, n, { min: 0, max: 1e6, integer: true });
      const out: Problem[] = [];
      for (let i = 0; out.length < n; i++) {
        const s = evalStreams[i % levels.length]!;
        const j = Math.floor(i / levels.length);
        if (j >= s.problems.length && !s.exhausted) growLevel(s);
        if (j < s.problems.length) out.push(s.problems[j]!);
        else if (evalStreams.every((e) => e.exhausted && e.problems.length <= j)) break;
      }
      return out;
    },
    demonstration: (p: Problem) => (spec.solve ? spec.solve(p) : p.answer) + STOP,
  };
}

/** Uniform integer in [0, 10^digits). */
export function randDigits(rng: Rng, digits: number): number {
  return rng.int(10 ** digits);
}
