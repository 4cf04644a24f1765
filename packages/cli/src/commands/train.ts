/** `grpo-lab train <config>`: validate the config, train one run, show progress, exit with a code. */
import { resolve } from 'node:path';
import type { BackendName } from '@grpo-lab/core';
import { train, type TrainConfig } from '@grpo-lab/trainer';
import { PROGRESS_PREFIX, type ProgressEvent } from '../ablate/runner.js';
import { loadTrainConfig, userTask } from '../config/validate.js';
import { createProgress, progressMode } from '../progress.js';
import { cliLogger, EXIT, type Io } from './io.js';

export interface TrainCommandOptions {
  out?: string;
  resume?: boolean;
  backend?: BackendName;
  seed?: number;
  steps?: number;
  quiet?: boolean;
  verbose?: boolean;
  /** Machine-readable progress on stdout (used by `ablate` for its child processes). */
  progressJson?: boolean;
}

export async function trainCommand(file: string, opts: TrainCommandOptions, io: Io): Promise<number> {
  const overrides: Partial<TrainConfig> = {};
  if (opts.out) overrides.outDir = resolve(opts.out);
  if (opts.resume) overrides.resume = true;
  if (opts.seed !== undefined) overrides.seed = opts.seed;
  if (opts.steps !== undefined) overrides.steps = opts.steps;
  const loaded = await loadTrainConfig(file, overrides);
  const config: TrainConfig = { ...loaded.config, backend: opts.backend ?? loaded.config.backend ?? 'auto' };
  const task = userTask(config, loaded.tasks);
  const progress = createProgress(opts.progressJson ? 'quiet' : progressMode(opts, io.stderr), io.stderr);
  const emit = (ev: ProgressEvent) => {
    if (opts.progressJson) io.stdout.write(PROGRESS_PREFIX + JSON.stringify(ev) + '\n');
  };
  const steps = config.steps ?? 50;
  const sftSteps = config.sft?.steps ?? 0;
  const sftBar = sftSteps > 0 && !config.resume ? progress.task('warm start', sftSteps) : undefined;
  let rlBar: ReturnType<typeof progress.task> | undefined;
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    progress.log('interrupted: saving a checkpoint after this step (Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const summary = await train(config, {
      registry: loaded.registry,
      logger: cliLogger(io, opts),
      signal: controller.signal,
      ...(task ? { task } : {}),
      hooks: {
        onSft: ({ step, loss }) => {
          sftBar?.update(step, `loss ${loss.toFixed(3)}`);
          emit({ phase: 'sft', step, steps: sftSteps });
        },
        onStep: (line) => {
          rlBar ??= progress.task('train', steps);
          const reward = typeof line.reward_mean === 'number' ? line.reward_mean : undefined;
          const accuracy = typeof line.accuracy === 'number' ? line.accuracy : undefined;
          rlBar.update(line.step, reward !== undefined ? `reward ${reward.toFixed(3)}` : '');
          emit({
            phase: 'rl',
            step: line.step,
            steps,
            ...(reward !== undefined ? { reward } : {}),
            ...(accuracy !== undefined ? { accuracy } : {}),
          });
        },
      },
    });
    progress.stop();
    if (summary.aborted) {
      if (!opts.quiet)
        io.stderr.write(`stopped at step ${summary.step}; resume with: grpo-lab train ${file} --resume\n`);
      return EXIT.interrupted;
    }
    if (!opts.quiet && !opts.progressJson) {
      const acc = summary.eval ? `, eval accuracy ${summary.eval.accuracy.toFixed(3)}` : '';
      io.stdout.write(
        `finished ${summary.step} steps in ${summary.wall_s.toFixed(1)} s${acc}; run dir ${summary.outDir}\n`,
      );
    }
    return EXIT.ok;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
