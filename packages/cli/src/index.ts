/**
 * @grpo-lab/cli — the `grpo-lab` command (train, ablate, report, eval, bench) and the pieces it is
 * built from, usable as a library: config schemas and validation, ablation plans and the parallel
 * resumable runner, the report (statistics, HTML page, Markdown summary).
 */
export { main, createProgram } from './program.js';
export { EXIT, type Io } from './commands/io.js';
export { trainCommand, type TrainCommandOptions } from './commands/train.js';
export { ablateCommand, defaultWorker, type AblateCommandOptions } from './commands/ablate.js';
export { reportCommand, type ReportCommandOptions } from './commands/report.js';
export { evalCommand, locateCheckpoint, type EvalCommandOptions } from './commands/eval.js';
export { benchCommand, type BenchCommandOptions } from './commands/bench.js';

export { ConfigError, formatIssues } from './config/errors.js';
export {
  gridSchema,
  overridesSchema,
  pluginSpec,
  trainFileSchema,
  userPlugin,
  PLUGIN_KINDS,
} from './config/schema.js';
export type { Grid, Overrides, TrainFile, UserPlugin, UserPluginKind } from './config/schema.js';
export {
  checkPlugins,
  loadTrainConfig,
  parseWith,
  prepareRegistry,
  readConfigFile,
  userTask,
} from './config/validate.js';
export type { LoadedTrainConfig, Prepared } from './config/validate.js';
export { loadUserPlugins, type LoadedPlugins, type TaskFactory } from './config/plugins.js';

export { loadPlan, type AblationPlan, type PlannedRun } from './ablate/plan.js';
export { runAblation, writeManifest, PROGRESS_PREFIX } from './ablate/runner.js';
export type { ProgressEvent, RunAblationOptions, RunOutcome, RunState, Worker } from './ablate/runner.js';
export {
  createProgress,
  progressMode,
  type Progress,
  type ProgressMode,
  type TaskProgress,
} from './progress.js';

export * from './report/index.js';
