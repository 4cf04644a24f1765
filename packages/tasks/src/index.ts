/**
 * @grpo-lab/tasks: what the policy is rewarded on, and how accuracy is measured.
 * Verifiable task generators, reward functions (with isolation of failing ones), JSONL dataset
 * loaders and evaluation (greedy accuracy, unbiased pass@k, per difficulty).
 */
import { addition } from './tasks/addition.js';
import { countdown } from './tasks/countdown.js';
import { modular } from './tasks/modular.js';
import { multiplication } from './tasks/multiplication.js';
import { reversal, sorting } from './tasks/sequences.js';

export { STOP, defineTask, type TaskOptions, type TaskSpec, type VerifiableTask } from './tasks/define.js';
export { addition, type ArithmeticOptions } from './tasks/addition.js';
export { multiplication } from './tasks/multiplication.js';
export { modular, type ModularOptions, type ModOp } from './tasks/modular.js';
export { sorting, reversal } from './tasks/sequences.js';
export {
  countdown,
  type CountdownOptions,
  checkCountdown,
  evalExpression,
  solveCountdown,
} from './tasks/countdown.js';
export { isEvalPrompt, promptHash, EVAL_MODULUS } from './split.js';

export { cutAtStop, extractBoxed, extractGsm8k, parseNumber, lastNumber } from './rewards/extract.js';
export {
  exactMatch,
  numericMatch,
  boxedMatch,
  gsm8kMatch,
  normalizeMath,
  type NumericMatchOptions,
} from './rewards/match.js';
export { formatReward, combineRewards, type FormatPreset, type WeightedReward } from './rewards/compose.js';
export {
  safeReward,
  scoreAll,
  countKinds,
  RewardTimeoutError,
  type SafeRewardOptions,
  type ScoreResult,
  type RewardError,
  type RewardErrorKind,
} from './rewards/safe.js';
export { rewardPlugins, createReward, type RewardSpec } from './rewards/registry.js';
export { workerReward, type WorkerRewardOptions, type WorkerReward } from './rewards/worker.js';

export {
  readJsonl,
  readJsonlLines,
  collect,
  DatasetError,
  type ReadJsonlOptions,
  type JsonRecord,
} from './data/jsonl.js';
export {
  readProblems,
  readGsm8k,
  readMath,
  type DatasetFormat,
  type ReadProblemsOptions,
} from './data/problems.js';
export { datasetTask, type DatasetTaskOptions } from './data/dataset-task.js';

export { passAtK } from './eval/passk.js';
export {
  evaluate,
  type GenerateFn,
  type GenerateOptions,
  type EvaluateOptions,
  type EvalResult,
  type EvalScores,
  type EvalRewardError,
} from './eval/evaluate.js';

/** Task factories by name (for configs: `task: { name: 'addition', difficulty: 2 }`). */
export const taskPlugins = { addition, multiplication, countdown, modular, sorting, reversal } as const;

export type TaskName = keyof typeof taskPlugins;
