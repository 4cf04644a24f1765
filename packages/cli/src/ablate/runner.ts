/**
 * Runs an ablation plan in parallel child processes (at most `jobs` at once), resumably:
 *   - a run whose dir has summary.json finished: skipped;
 *   - a run with a checkpoint (`checkpoints/latest`) crashed or was stopped: restarted with resume;
 *   - otherwise it starts from scratch.
 * A run that exits non-zero is restarted (with resume when it left a checkpoint) up to `retries`
 * times. Each child is `grpo-lab train <run file> --progress-json`: it reports progress as
 * `@grpo-lab:progress {json}` lines on stdout; everything else it prints goes to
 * `<outDir>/logs/<run>.log`.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Progress, TaskProgress } from '../progress.js';
import type { AblationPlan, PlannedRun } from './plan.js';

export const PROGRESS_PREFIX = '@grpo-lab:progress ';

/** A progress event from a child: `{ phase: 'sft' | 'rl', step, steps, reward?, accuracy? }`. */
export interface ProgressEvent {
  readonly phase: 'sft' | 'rl';
  readonly step: number;
  readonly steps: number;
  readonly reward?: number;
  readonly accuracy?: number;
}

/** How to start one run: the command and its arguments, given the run file to train. */
export interface Worker {
  readonly command: string;
  args(runFile: string): string[];
}

export type RunState = 'skipped' | 'done' | 'failed' | 'aborted';

export interface RunOutcome {
  readonly id: string;
  readonly state: RunState;
  readonly attempts: number;
  readonly resumed: boolean;
  readonly exitCode: number | null;
  readonly wall_s: number;
  readonly log?: string;
}

export interface RunAblationOptions {
  readonly worker: Worker;
  readonly jobs?: number;
  /** Restarts of a crashed run within this invocation [1]. */
  readonly retries?: number;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
}

export const isFinished = (run: PlannedRun) => existsSync(join(run.dir, 'summary.json'));
export const hasCheckpoint = (run: PlannedRun) => existsSync(join(run.dir, 'checkpoints', 'latest'));

/** ablation.json: the grid, the methods, the baseline (read by `grpo-lab report`). */
export function writeManifest(plan: AblationPlan): void {
  mkdirSync(plan.outDir, { recursive: true });
  const manifest = {
    name: plan.name,
    baseline: plan.baseline,
    methods: plan.methods,
    seeds: plan.seeds,
    gridFile: plan.gridFile,
    grid: plan.grid,
    runs: plan.runs.map((r) => ({ id: r.id, method: r.method, seed: r.seed })),
  };
  writeFileSync(join(plan.outDir, 'ablation.json'), JSON.stringify(manifest, null, 2) + '\n');
}

/** The train file a child reads: the run's config, resume flag and the grid's user plugins. */
function writeRunFile(plan: AblationPlan, run: PlannedRun, resume: boolean): string {
  const dir = join(plan.outDir, '.runs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${run.id}.json`);
  const body = { ...run.config, resume, ...(plan.plugins.length ? { plugins: plan.plugins } : {}) };
  writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  return file;
}

function runOnce(
  plan: AblationPlan,
  run: PlannedRun,
  resume: boolean,
  opts: RunAblationOptions,
  bar: TaskProgress,
): Promise<number | null> {
  const runFile = writeRunFile(plan, run, resume);
  const logDir = join(plan.outDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${run.id}.log`), { flags: 'a' });
  log.write(`--- ${new Date().toISOString()} ${resume ? 'resume' : 'start'} ${run.id}\n`);
  return new Promise((resolveExit) => {
    const child = spawn(opts.worker.command, opts.worker.args(runFile), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onAbort = () => child.kill('SIGINT');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let buf = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith(PROGRESS_PREFIX)) {
          try {
            const ev = JSON.parse(line.slice(PROGRESS_PREFIX.length)) as ProgressEvent;
            bar.setTotal(ev.steps);
            const info =
              ev.phase === 'sft'
                ? 'warm start'
                : ev.reward !== undefined
                  ? `reward ${ev.reward.toFixed(3)}`
                  : '';
            bar.update(ev.step, info);
          } catch {
            log.write(line + '\n');
          }
        } else log.write(line + '\n');
      }
    });
    child.stderr.pipe(log, { end: false });
    child.on('error', (e) => {
      log.write(`spawn failed: ${e.message}\n`);
    });
    child.on('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      log.end(`--- exit ${code ?? sig}\n`);
      resolveExit(code ?? (sig ? 128 + 2 : null));
    });
  });
}

/** Runs every unfinished run of the plan; resolves when all have ended (never rejects on a failed run). */
export async function runAblation(plan: AblationPlan, opts: RunAblationOptions): Promise<RunOutcome[]> {
  writeManifest(plan);
  const jobs = Math.max(1, opts.jobs ?? plan.jobs);
  const retries = opts.retries ?? 1;
  const outcomes: RunOutcome[] = [];
  const todo = plan.runs.filter((r) => {
    if (!isFinished(r)) return true;
    outcomes.push({ id: r.id, state: 'skipped', attempts: 0, resumed: false, exitCode: null, wall_s: 0 });
    return false;
  });
  const overall = opts.progress.task(`${plan.name} runs`, plan.runs.length);
  overall.update(outcomes.length, `${outcomes.length} already finished`);
  const runOne = async (run: PlannedRun) => {
    const t0 = Date.now();
    const bar = opts.progress.task(run.id, Number(run.config.steps ?? 50));
    let attempts = 0;
    let resumedAny = false;
    let code: number | null = null;
    while (attempts <= retries && !opts.signal?.aborted) {
      const resume = hasCheckpoint(run);
      resumedAny ||= resume;
      attempts++;
      code = await runOnce(plan, run, resume, opts, bar);
      if (code === 0 && isFinished(run)) break;
      if (opts.signal?.aborted) break;
      opts.progress.log(
        `${run.id}: exited with ${code}${attempts <= retries ? '; restarting' : ''} (log: ${join(plan.outDir, 'logs', `${run.id}.log`)})`,
      );
    }
    const state: RunState = isFinished(run) ? 'done' : opts.signal?.aborted ? 'aborted' : 'failed';
    bar.done(state === 'done' ? `done in ${((Date.now() - t0) / 1000).toFixed(0)} s` : state);
    outcomes.push({
      id: run.id,
      state,
      attempts,
      resumed: resumedAny,
      exitCode: code,
      wall_s: (Date.now() - t0) / 1000,
      log: join(plan.outDir, 'logs', `${run.id}.log`),
    });
    overall.update(outcomes.length, `${outcomes.filter((o) => o.state === 'failed').length} failed`);
  };
  let next = 0;
  const lanes = Array.from({ length: Math.min(jobs, todo.length) }, async () => {
    while (next < todo.length && !opts.signal?.aborted) await runOne(todo[next++]!);
  });
  await Promise.all(lanes);
  overall.done();
  return plan.runs.map(
    (r) =>
      outcomes.find((o) => o.id === r.id) ?? {
        id: r.id,
        state: 'aborted',
        attempts: 0,
        resumed: false,
        exitCode: null,
        wall_s: 0,
      },
  );
}
