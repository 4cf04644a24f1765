/**
 * @grpo-lab/trainer: the GRPO-family trainer composing grpo-lab plugins, with Lazy Likelihood
 * Displacement measured in every run, a supervised warm start, checkpoint/resume and a paired probe.
 */
export {
  train,
  compose,
  makeTask,
  type TrainHooks,
  type TrainOptions,
  type RunSummary,
  type TrainLine,
  type EvalLine,
} from './train.js';
export {
  resolveConfig,
  type TrainConfig,
  type ResolvedConfig,
  type OptimizerConfig,
  type ScheduleConfig,
} from './config.js';
export { defaultRegistry } from './registry.js';
export { dynamicSampling } from './rollout.js';
export { adam, learningRate, type Adam, type AdamState } from './optimizer.js';
export {
  groupDeltas,
  median,
  mixedCorrectRows,
  summarizeLld,
  type GroupDelta,
  type LldRows,
  type LldSummary,
} from './lld.js';
export { lldProbe, type LldProbeOptions, type ProbeMethod, type ProbeResult } from './probe.js';
