/**
 * `grpo-lab bench`: a quick in-process benchmark (a few GRPO steps of a tiny transformer on the
 * chosen backend; one JSON line per figure), or with `--repo` the repository's own bench scripts
 * (`bench/run.ts`, which also compares with the PyTorch anchor).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { BackendName } from '@grpo-lab/core';
import { train } from '@grpo-lab/trainer';
import * as tf from '@tensorflow/tfjs';
import { EXIT, type Io } from './io.js';

export interface BenchCommandOptions {
  backend?: BackendName;
  steps?: number;
  reweighter?: string;
  repo?: boolean;
  quiet?: boolean;
}

/** The nearest dir above `from` holding bench/run.ts. */
export function findRepoBench(from = process.cwd()): string | undefined {
  for (let d = resolve(from); ; d = dirname(d)) {
    if (existsSync(join(d, 'bench', 'run.ts'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

export async function benchCommand(opts: BenchCommandOptions, io: Io): Promise<number> {
  if (opts.repo) {
    const root = findRepoBench();
    if (!root)
      throw new Error(
        'bench --repo: no bench/run.ts found above the current directory (run it inside a grpo-lab clone)',
      );
    const args = [
      '--import',
      'tsx',
      '--conditions=@grpo-lab/source',
      'bench/run.ts',
      ...(opts.backend ? ['--backend', opts.backend] : []),
    ];
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    return r.status ?? EXIT.failed;
  }
  const dir = mkdtempSync(join(tmpdir(), 'grpo-lab-bench-'));
  const steps = opts.steps ?? 3;
  try {
    const summary = await train({
      outDir: dir,
      backend: opts.backend ?? 'auto',
      task: { name: 'addition', difficulty: 2 },
      model: { dModel: 128, nLayers: 2, nHeads: 4, maxContext: 64 },
      steps,
      promptsPerStep: 8,
      numGenerations: 4,
      maxCompletionLength: 8,
      ...(opts.reweighter ? { reweighter: opts.reweighter } : {}),
      lld: { enabled: false },
    });
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    const train_ = lines.filter((l) => (l.type as unknown) === 'train').slice(1); // the first step includes warm-up
    const mean = (k: string) => train_.reduce((s, l) => s + (l[k] ?? 0), 0) / Math.max(1, train_.length);
    const stepS =
      train_.length > 1
        ? (train_.at(-1)!.wall_s! - train_[0]!.wall_s!) / (train_.length - 1)
        : summary.wall_s / steps;
    const base = {
      bench: 'quick-grpo-step',
      backend: tf.getBackend(),
      model: 'd128 L2 H4',
      batch: '8×4',
      steps,
    };
    io.stdout.write(JSON.stringify({ ...base, figure: 'step_s', value: stepS }) + '\n');
    io.stdout.write(
      JSON.stringify({ ...base, figure: 'generated_tokens_per_s', value: mean('tokens_per_s') }) + '\n',
    );
    return EXIT.ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
