/** `grpo-lab ablate <grid>`: methods × seeds in parallel child processes, resumable, then the report. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPlan } from '../ablate/plan.js';
import { runAblation, type Worker } from '../ablate/runner.js';
import { createProgress, progressMode } from '../progress.js';
import { writeReport } from '../report/index.js';
import { EXIT, type Io } from './io.js';

export interface AblateCommandOptions {
  out?: string;
  jobs?: number;
  retries?: number;
  backend?: string;
  report?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
  /** Replaces the child command (tests use a fake trainer). */
  worker?: Worker;
}

/**
 * The default child: this same CLI's `train` command. From a build it is dist/bin.js; from source
 * (the repo, no build) src/bin.ts run through tsx with the source export condition.
 */
export function defaultWorker(extra: string[] = []): Worker {
  const built = fileURLToPath(new URL('./bin.js', import.meta.url));
  const source = fileURLToPath(new URL('../bin.ts', import.meta.url));
  const script = existsSync(built) ? built : source;
  const viaTsx = script.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx'));
  const execArgv = viaTsx ? ['--import', 'tsx', '--conditions=@grpo-lab/source'] : process.execArgv;
  return {
    command: process.execPath,
    args: (runFile) => [...execArgv, script, 'train', runFile, '--progress-json', ...extra],
  };
}

export async function ablateCommand(gridFile: string, opts: AblateCommandOptions, io: Io): Promise<number> {
  const { plan } = await loadPlan(gridFile, {
    ...(opts.out ? { outDir: opts.out } : {}),
    ...(opts.jobs ? { jobs: opts.jobs } : {}),
  });
  if (opts.dryRun) {
    io.stdout.write(
      `${plan.runs.length} runs (${plan.methods.length} methods × ${plan.seeds.length} seeds) → ${plan.outDir}\n`,
    );
    for (const r of plan.runs) io.stdout.write(`  ${r.id}\n`);
    return EXIT.ok;
  }
  const progress = createProgress(progressMode(opts, io.stderr), io.stderr);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    progress.log('interrupted: runs checkpoint and stop; run the same command again to resume');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let outcomes;
  try {
    outcomes = await runAblation(plan, {
      worker: opts.worker ?? defaultWorker(opts.backend ? ['--backend', opts.backend] : []),
      ...(opts.jobs ? { jobs: opts.jobs } : {}),
      retries: opts.retries ?? 1,
      progress,
      signal: controller.signal,
    });
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const count = (s: string) => outcomes.filter((o) => o.state === s).length;
  if (!opts.quiet)
    io.stderr.write(
      `runs: ${count('done')} done, ${count('skipped')} already finished, ${count('failed')} failed, ${count('aborted')} not run\n`,
    );
  for (const o of outcomes.filter((x) => x.state === 'failed'))
    io.stderr.write(`failed: ${o.id} (exit ${o.exitCode}; log ${o.log})\n`);
  if (controller.signal.aborted) return EXIT.interrupted;
  if ((opts.report ?? plan.report) && count('failed') === 0) {
    const r = writeReport(plan.outDir);
    if (!opts.quiet) io.stdout.write(`${r.markdown}\nreport: ${r.htmlPath}\n`);
  }
  return count('failed') > 0 ? EXIT.failed : EXIT.ok;
}
