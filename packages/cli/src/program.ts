/**
 * The `grpo-lab` command line (commander): train, ablate, report, eval, bench. Each command's module
 * (and with it tfjs) is imported when the command runs, so `--help` and usage errors are instant.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BACKENDS, type BackendName } from '@grpo-lab/core';
import { EXIT, processIo, type Io } from './commands/io.js';
import { ConfigError } from './config/errors.js';

const VERSION = '0.1.0';

const intArg = (min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`expected an integer ≥ ${min}, got "${v}"`);
  return n;
};
const intList = (v: string) => v.split(',').map((s) => intArg(1)(s.trim()));
const backendOption = () =>
  new Option('--backend <name>', 'tensor backend').choices(BACKENDS as unknown as string[]);

export function createProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command('grpo-lab')
    .description('GRPO-family RL for language-model policies on TensorFlow.js: train, run ablations, report.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  program.addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 a run failed, 2 bad usage or invalid config, 130 interrupted.
Example:  grpo-lab ablate examples/quick-ablation.yaml --jobs 2`,
  );

  program
    .command('train')
    .description(
      'train one run from a YAML/JSON config (metrics.jsonl, checkpoints, summary.json in its outDir)',
    )
    .argument('<config>', 'train config file (.yaml, .yml or .json)')
    .option('-o, --out <dir>', "run directory (overrides the config's outDir)")
    .option('--resume', 'continue from the run dir’s latest checkpoint')
    .addOption(backendOption())
    .option('--seed <n>', 'override the seed', intArg(0))
    .option('--steps <n>', 'override the number of RL steps', intArg(0))
    .option('-q, --quiet', 'no progress output')
    .option('-v, --verbose', 'debug logs from the trainer')
    .addOption(
      new Option('--progress-json', 'machine-readable progress on stdout (used by ablate)').hideHelp(),
    )
    .action(async (config: string, o) =>
      setCode(await (await import('./commands/train.js')).trainCommand(config, o, io)),
    );

  program
    .command('ablate')
    .description(
      'run methods × seeds from a grid file in parallel processes (resumable), then write the report',
    )
    .argument('<grid>', 'ablation grid file (.yaml or .json)')
    .option('-o, --out <dir>', "ablation directory (overrides the grid's outDir)")
    .option('-j, --jobs <n>', 'parallel runs (child processes)', intArg(1))
    .option('--retries <n>', 'restarts of a crashed run (from its checkpoint)', intArg(0), 1)
    .addOption(backendOption())
    .option('--no-report', 'do not write the report at the end')
    .option('--dry-run', 'list the runs and exit')
    .option('-q, --quiet', 'no progress output')
    .action(async (grid: string, o) =>
      setCode(await (await import('./commands/ablate.js')).ablateCommand(grid, o, io)),
    );

  program
    .command('report')
    .description(
      'write report.html (self-contained, charts + statistics) and report.md for an ablation or run dir',
    )
    .argument('<dir>', 'ablation dir (<method>__seed<k>/ runs + ablation.json) or one run dir')
    .option('-o, --out <dir>', 'where to write the report (default: <dir>)')
    .option('--smoothing <n>', 'running-mean window of the training curves, in steps', intArg(1))
    .option('-q, --quiet', 'print nothing')
    .option('--no-print', 'do not print the Markdown summary')
    .action(async (dir: string, o) =>
      setCode(await (await import('./commands/report.js')).reportCommand(dir, o, io)),
    );

  program
    .command('eval')
    .description("greedy accuracy and pass@k of a checkpoint on its task's eval split")
    .argument(
      '<checkpoint>',
      'a checkpoint dir (<run>/checkpoints/step-<n>) or a run dir (latest checkpoint)',
    )
    .option('--size <n>', 'eval problems (default: the run’s eval.size)', intArg(1))
    .option('-k, --k <list>', 'pass@k for these k, comma separated (e.g. 1,4)', intList)
    .option('--samples <n>', 'samples per problem for pass@k (default: max k)', intArg(1))
    .option('--temperature <t>', 'sampling temperature for pass@k', parseFloat)
    .addOption(backendOption())
    .option('--json', 'one JSON line instead of text')
    .action(async (ck: string, o) =>
      setCode(await (await import('./commands/eval.js')).evalCommand(ck, o, io)),
    );

  program
    .command('bench')
    .description("time a few GRPO steps of a tiny transformer (JSON lines), or run the repo's bench scripts")
    .addOption(backendOption())
    .option('--steps <n>', 'steps to time (the first is warm-up)', intArg(2), 3)
    .option('--reweighter <name>', 'add a token re-weighter (e.g. nthr) to measure its overhead')
    .option('--repo', "run the repository's bench/run.ts instead (PyTorch anchor side by side)")
    .action(async (o) => setCode(await (await import('./commands/bench.js')).benchCommand(o, io)));

  return program;
}

/** Runs the command line; resolves to the exit code (never calls process.exit itself, except a second Ctrl-C). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = createProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return EXIT.ok;
      return e.code === 'commander.executeSubCommandAsync' ? EXIT.failed : EXIT.usage;
    }
    if (e instanceof ConfigError) {
      io.stderr.write(`error: ${e.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`error: ${(e as Error).message ?? String(e)}\n`);
    return EXIT.failed;
  }
}

export type { BackendName };
