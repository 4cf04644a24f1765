/**
 * The trainer's one typed config: plain JSON (plugin specs by name), validated once, with every
 * default written here. Names follow what TRL / verl users know:
 *   numGenerations = G (TRL `num_generations`, verl `rollout.n`), numIterations = μ (TRL
 *   `num_iterations`, verl `ppo_epochs`), miniBatchSize = rows per optimizer update (verl
 *   `ppo_mini_batch_size` in responses), microBatchSize = rows per forward/backward, gradients
 *   accumulated (verl `ppo_micro_batch_size`), kl.coef = β (TRL `beta`), maxCompletionLength (TRL
 *   `max_completion_length`), aggregation (verl `loss_agg_mode`), clipping epsilons live in the
 *   policyLoss spec (`{ name: 'ppoClip', low: 0.2, high: 0.28 }`).
 */
import { BACKENDS, checkBoolean, checkKeys, checkNumber, checkOneOf, ValidationError } from '@grpo-lab/core';
import type { BackendName, PluginSpec } from '@grpo-lab/core';

export interface OptimizerConfig {
  /** `adamw` = Adam + decoupled weight decay (Loshchilov & Hutter, arXiv 1711.05101). ['adam'] */
  name?: 'adam' | 'adamw' | 'sgd';
  lr?: number; // [1e-3]
  beta1?: number; // [0.9]
  beta2?: number; // [0.999]
  eps?: number; // [1e-8]
  /** Decoupled weight decay (adamw only). [0.01] */
  weightDecay?: number;
  /** Global gradient-norm clip (0 = off). [1] */
  maxGradNorm?: number;
}

export interface ScheduleConfig {
  /** ['constant'] */
  name?: 'constant' | 'linear' | 'cosine';
  /** Linear warmup from 0 over this many optimizer updates. [0] */
  warmupSteps?: number;
  /** Floor of `linear` / `cosine` decay as a fraction of lr. [0] */
  minLrRatio?: number;
}

export interface TrainConfig {
  /** Run directory: config.json, metrics.jsonl, checkpoints/, summary.json. */
  outDir: string;
  seed?: number; // [0]
  /** Selects the tfjs backend before training; omitted = keep the active one. */
  backend?: BackendName;
  /** A task from @grpo-lab/tasks: `{ name: 'addition', difficulty: 1 }`. */
  task?: PluginSpec;
  /** Transformer hyper-parameters (vocabSize comes from the task's character tokenizer). */
  model?: { dModel?: number; nLayers?: number; nHeads?: number; maxContext?: number; [k: string]: unknown };
  steps?: number; // [50] RL steps
  promptsPerStep?: number; // [8]
  numGenerations?: number; // [4] G
  numIterations?: number; // [1] μ
  miniBatchSize?: number; // [0] rows per optimizer update; 0 = the whole step batch
  microBatchSize?: number; // [0] rows per forward/backward; 0 = the mini-batch
  maxCompletionLength?: number; // [16]
  temperature?: number; // [1]
  topP?: number; // [1]
  topK?: number; // [0]
  advantage?: PluginSpec; // ['grpo']
  reweighter?: PluginSpec | null; // [null] = weights 1
  policyLoss?: PluginSpec; // ['ppoClip']
  aggregation?: PluginSpec; // ['token-mean']
  /** Reference KL in the loss: coef β [0] (no reference forward at 0), estimator ['k3']. */
  kl?: { coef?: number; estimator?: PluginSpec };
  entropyCoef?: number; // [0]
  /** DAPO dynamic sampling: 'dynamicSampling' (drop groups with equal rewards and refill) or a registered filter. [null] */
  groupFilter?: PluginSpec | null;
  /** Extra generation rounds to refill filtered groups (DAPO `max_num_gen_batches` − 1). [3] */
  maxRefill?: number;
  /** Mask completions that hit maxCompletionLength without a stop token (DAPO overlong filtering). [false] */
  maskTruncated?: boolean;
  /** Reward ≥ this counts as correct (accuracy, LLD's y⁺). [1] */
  correctThreshold?: number;
  /**
   * Reward isolation: a reward call that throws, returns a non-finite value or (async) does not
   * settle within `timeoutMs` [2000] scores `onError` [0], is counted (`reward_errors`) and logged.
   */
  reward?: { timeoutMs?: number; onError?: number };
  optimizer?: OptimizerConfig;
  schedule?: ScheduleConfig;
  /** Supervised warm start on task.demonstration(): steps [0], batchSize [16], lr [optimizer.lr]. */
  sft?: { steps?: number; batchSize?: number; lr?: number };
  /** Greedy accuracy on task.evalSet(size) every `every` steps (0 = off) and at the end. */
  eval?: { every?: number; size?: number };
  /** Checkpoint every `every` steps (0 = only on abort / at the end). [0] */
  checkpoint?: { every?: number };
  /** Δ(x) of SPEC §5 after every update; `epsilon`: LLD when Δ < ε. [on, 0] */
  lld?: { enabled?: boolean; epsilon?: number };
  /** Continue from `<outDir>/checkpoints/latest`. [false] */
  resume?: boolean;
}

export type ResolvedConfig = Required<
  Omit<TrainConfig, 'backend' | 'reweighter' | 'groupFilter' | 'task' | 'model'>
> & {
  backend?: BackendName;
  task: PluginSpec;
  model: Record<string, unknown>;
  reweighter: PluginSpec | null;
  groupFilter: PluginSpec | null;
  kl: { coef: number; estimator: PluginSpec };
  optimizer: Required<OptimizerConfig>;
  schedule: Required<ScheduleConfig>;
  sft: { steps: number; batchSize: number; lr: number };
  eval: { every: number; size: number };
  reward: { timeoutMs: number; onError: number };
  checkpoint: { every: number };
  lld: { enabled: boolean; epsilon: number };
};

const TOP_KEYS = [
  'outDir',
  'seed',
  'backend',
  'task',
  'model',
  'steps',
  'promptsPerStep',
  'numGenerations',
  'numIterations',
  'miniBatchSize',
  'microBatchSize',
  'maxCompletionLength',
  'temperature',
  'topP',
  'topK',
  'advantage',
  'reweighter',
  'policyLoss',
  'aggregation',
  'kl',
  'entropyCoef',
  'groupFilter',
  'maxRefill',
  'maskTruncated',
  'correctThreshold',
  'reward',
  'optimizer',
  'schedule',
  'sft',
  'eval',
  'checkpoint',
  'lld',
  'resume',
];

const int = (f: string, v: unknown, min = 0) => checkNumber(f, v, { min, integer: true });
const bool = (f: string, v: unknown) => checkBoolean(f, v);
const spec = (f: string, v: unknown): PluginSpec => {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string')
    return v as PluginSpec;
  throw new ValidationError(f, 'a plugin name or { name, ...options }', JSON.stringify(v));
};
const obj = (f: string, v: unknown, keys: string[]): Record<string, unknown> => {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ValidationError(f, 'an object', JSON.stringify(v));
  checkKeys(f, v, keys);
  return v as Record<string, unknown>;
};

/** Fills defaults and validates every field; errors name the field and the allowed values. */
export function resolveConfig(config: TrainConfig): ResolvedConfig {
  const c = obj('config', config, TOP_KEYS) as unknown as TrainConfig;
  if (typeof c.outDir !== 'string' || c.outDir === '')
    throw new ValidationError('outDir', 'a directory path', JSON.stringify(c.outDir));
  const o = obj('optimizer', c.optimizer, [
    'name',
    'lr',
    'beta1',
    'beta2',
    'eps',
    'weightDecay',
    'maxGradNorm',
  ]);
  const s = obj('schedule', c.schedule, ['name', 'warmupSteps', 'minLrRatio']);
  const sft = obj('sft', c.sft, ['steps', 'batchSize', 'lr']);
  const ev = obj('eval', c.eval, ['every', 'size']);
  const rw = obj('reward', c.reward, ['timeoutMs', 'onError']);
  const ck = obj('checkpoint', c.checkpoint, ['every']);
  const lld = obj('lld', c.lld, ['enabled', 'epsilon']);
  const kl = obj('kl', c.kl, ['coef', 'estimator']);
  const optName = checkOneOf('optimizer.name', o.name ?? 'adam', ['adam', 'adamw', 'sgd'] as const);
  const lr = checkNumber('optimizer.lr', o.lr ?? 1e-3, { min: 0 });
  const r: ResolvedConfig = {
    outDir: c.outDir,
    seed: int('seed', c.seed ?? 0),
    backend: c.backend === undefined ? undefined : checkOneOf('backend', c.backend, BACKENDS),
    task: spec('task', c.task ?? 'addition'),
    model: obj('model', c.model ?? {}, Object.keys(c.model ?? {})),
    steps: int('steps', c.steps ?? 50),
    promptsPerStep: int('promptsPerStep', c.promptsPerStep ?? 8, 1),
    numGenerations: int('numGenerations', c.numGenerations ?? 4, 1),
    numIterations: int('numIterations', c.numIterations ?? 1, 1),
    miniBatchSize: int('miniBatchSize', c.miniBatchSize ?? 0),
    microBatchSize: int('microBatchSize', c.microBatchSize ?? 0),
    maxCompletionLength: int('maxCompletionLength', c.maxCompletionLength ?? 16, 1),
    temperature: checkNumber('temperature', c.temperature ?? 1, { min: 0 }),
    topP: checkNumber('topP', c.topP ?? 1, { min: 0, max: 1, exclusiveMin: true }),
    topK: int('topK', c.topK ?? 0),
    advantage: spec('advantage', c.advantage ?? 'grpo'),
    reweighter: c.reweighter == null ? null : spec('reweighter', c.reweighter),
    policyLoss: spec('policyLoss', c.policyLoss ?? 'ppoClip'),
    aggregation: spec('aggregation', c.aggregation ?? 'token-mean'),
    kl: {
      coef: checkNumber('kl.coef', kl.coef ?? 0, { min: 0 }),
      estimator: spec('kl.estimator', kl.estimator ?? 'k3'),
    },
    entropyCoef: checkNumber('entropyCoef', c.entropyCoef ?? 0),
    groupFilter: c.groupFilter == null ? null : spec('groupFilter', c.groupFilter),
    maxRefill: int('maxRefill', c.maxRefill ?? 3),
    maskTruncated: bool('maskTruncated', c.maskTruncated ?? false),
    correctThreshold: checkNumber('correctThreshold', c.correctThreshold ?? 1),
    reward: {
      timeoutMs: checkNumber('reward.timeoutMs', rw.timeoutMs ?? 2000, { min: 0, exclusiveMin: true }),
      onError: checkNumber('reward.onError', rw.onError ?? 0),
    },
    optimizer: {
      name: optName,
      lr,
      beta1: checkNumber('optimizer.beta1', o.beta1 ?? 0.9, { min: 0, max: 1 }),
      beta2: checkNumber('optimizer.beta2', o.beta2 ?? 0.999, { min: 0, max: 1 }),
      eps: checkNumber('optimizer.eps', o.eps ?? 1e-8, { min: 0, exclusiveMin: true }),
      weightDecay: checkNumber('optimizer.weightDecay', o.weightDecay ?? (optName === 'adamw' ? 0.01 : 0), {
        min: 0,
      }),
      maxGradNorm: checkNumber('optimizer.maxGradNorm', o.maxGradNorm ?? 1, { min: 0 }),
    },
    schedule: {
      name: checkOneOf('schedule.name', s.name ?? 'constant', ['constant', 'linear', 'cosine'] as const),
      warmupSteps: int('schedule.warmupSteps', s.warmupSteps ?? 0),
      minLrRatio: checkNumber('schedule.minLrRatio', s.minLrRatio ?? 0, { min: 0, max: 1 }),
    },
    sft: {
      steps: int('sft.steps', sft.steps ?? 0),
      batchSize: int('sft.batchSize', sft.batchSize ?? 16, 1),
      lr: checkNumber('sft.lr', sft.lr ?? lr, { min: 0 }),
    },
    eval: { every: int('eval.every', ev.every ?? 0), size: int('eval.size', ev.size ?? 64, 1) },
    checkpoint: { every: int('checkpoint.every', ck.every ?? 0) },
    lld: {
      enabled: bool('lld.enabled', lld.enabled ?? true),
      epsilon: checkNumber('lld.epsilon', lld.epsilon ?? 0),
    },
    resume: bool('resume', c.resume ?? false),
  };
  if (optName !== 'adamw' && r.optimizer.weightDecay > 0)
    throw new ValidationError(
      'optimizer.weightDecay',
      `0 with "${optName}" (use name "adamw" for decoupled weight decay)`,
      String(r.optimizer.weightDecay),
    );
  return r;
}
