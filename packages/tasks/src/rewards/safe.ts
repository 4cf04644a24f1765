/**
 * Isolation of reward functions: a reward that throws, returns a non-finite value (NaN, ±∞, not a
 * number) or does not settle within `timeoutMs` does not stop a run. The sample scores `onError` [0],
 * the error is counted (`scoreAll` returns `{ index, kind, message }` per failure) and logged through
 * the injected logger.
 *
 * Timeouts cover asynchronous reward functions only: JavaScript cannot interrupt a synchronous
 * function that never returns, and the abandoned promise of a timed-out async function keeps running
 * in the background. To bound a synchronous (possibly hanging) verifier, run it in a worker thread
 * with `workerReward` (worker.ts), which terminates the thread on timeout.
 */
import {
  checkNumber,
  checkKeys,
  silentLogger,
  type Logger,
  type RewardFunction,
  type RewardSample,
} from '@grpo-lab/core';

export type RewardErrorKind = 'throw' | 'nan' | 'timeout';

export interface RewardError {
  /** Index of the sample in the batch (scoreAll); -1 for a single call (safeReward). */
  readonly index: number;
  readonly kind: RewardErrorKind;
  readonly message: string;
}

/** Thrown (rejected) by reward functions that time out on their own, e.g. `workerReward`. */
export class RewardTimeoutError extends Error {
  override name = 'RewardTimeoutError';
}

/** Marks a reward function that enforces its own timeout (scoreAll then adds none). */
export const SELF_TIMED = Symbol.for('grpo-lab.rewardSelfTimed');

export interface SafeRewardOptions {
  /** Longest wait for an async reward, in ms [2000]. */
  timeoutMs?: number;
  /** Score of a failed sample [0]. */
  onError?: number;
  /** Receives one warning per failure (safeReward) or per batch with failures (scoreAll) [silent]. */
  logger?: Logger;
  /** Called with every failure (safeReward only; scoreAll returns them). */
  onFailure?: (error: RewardError) => void;
}

type Outcome = { value: number } | { kind: RewardErrorKind; message: string };

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
const fail = (e: unknown): Outcome => ({
  kind: e instanceof RewardTimeoutError ? 'timeout' : 'throw',
  message: messageOf(e),
});
const finite = (v: unknown): Outcome =>
  typeof v === 'number' && Number.isFinite(v)
    ? { value: v }
    : {
        kind: 'nan',
        message: `reward returned ${typeof v === 'number' ? String(v) : `a ${typeof v}`}, not a finite number`,
      };

/** Runs one reward; synchronous when `fn` is. */
function outcomeOf(fn: RewardFunction, s: RewardSample, timeoutMs: number): Outcome | Promise<Outcome> {
  let v: unknown;
  try {
    v = fn(s);
  } catch (e) {
    return fail(e);
  }
  if (!(v instanceof Promise)) return finite(v);
  if ((fn as { [SELF_TIMED]?: boolean })[SELF_TIMED]) return v.then(finite, fail);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind: 'timeout', message: `no result within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  return Promise.race([v.then(finite, fail), timeout]).finally(() => clearTimeout(timer));
}

function readOptions(where: string, o: SafeRewardOptions) {
  checkKeys(where, o, ['timeoutMs', 'onError', 'logger', 'onFailure']);
  return {
    timeoutMs: checkNumber(`${where}.timeoutMs`, o.timeoutMs ?? 2000, { min: 0, exclusiveMin: true }),
    onError: checkNumber(`${where}.onError`, o.onError ?? 0),
    logger: o.logger ?? silentLogger,
  };
}

/** A reward function that never throws and always returns a finite number. */
export function safeReward(fn: RewardFunction, options: SafeRewardOptions = {}): RewardFunction {
  const { timeoutMs, onError, logger } = readOptions('safeReward', options);
  const finish = (o: Outcome): number => {
    if ('value' in o) return o.value;
    const error: RewardError = { index: -1, ...o };
    logger.warn(`reward function failed (${o.kind}): ${o.message}`, error);
    options.onFailure?.(error);
    return onError;
  };
  return (s) => {
    const o = outcomeOf(fn, s, timeoutMs);
    return o instanceof Promise ? o.then(finish) : finish(o);
  };
}

export interface ScoreResult {
  /** One finite reward per sample (`onError` where the function failed). */
  readonly rewards: number[];
  readonly errors: RewardError[];
}

/** Scores a batch concurrently, isolating every failure. */
export async function scoreAll(
  samples: readonly RewardSample[],
  fn: RewardFunction,
  options: Omit<SafeRewardOptions, 'onFailure'> = {},
): Promise<ScoreResult> {
  const { timeoutMs, onError, logger } = readOptions('scoreAll', options);
  const outcomes = await Promise.all(samples.map((s) => outcomeOf(fn, s, timeoutMs)));
  const errors: RewardError[] = [];
  const rewards = outcomes.map((o, index) => {
    if ('value' in o) return o.value;
    errors.push({ index, ...o });
    return onError;
  });
  if (errors.length > 0)
    logger.warn(`reward function failed on ${errors.length} of ${samples.length} samples`, {
      byKind: countKinds(errors),
      first: errors.slice(0, 3),
    });
  return { rewards, errors };
}

/** `{ throw, nan, timeout }` counts of a list of errors (for metrics). */
export function countKinds(errors: readonly RewardError[]): Record<RewardErrorKind, number> {
  const c = { throw: 0, nan: 0, timeout: 0 };
  for (const e of errors) c[e.kind]++;
  return c;
}
