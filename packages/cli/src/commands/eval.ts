/**
 * `grpo-lab eval <checkpoint>`: greedy accuracy and pass@k of a checkpoint on its task's eval split.
 * <checkpoint> is a checkpoint dir (`<run>/checkpoints/step-<n>`) or a run dir (its latest checkpoint).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { selectBackend, type BackendName, type PluginSpec } from '@grpo-lab/core';
import * as model from '@grpo-lab/model';
import type { TransformerConfig } from '@grpo-lab/model';
import { evaluate } from '@grpo-lab/tasks';
import { makeTask } from '@grpo-lab/trainer';
import type * as tf from '@tensorflow/tfjs';
import { EXIT, type Io } from './io.js';

export interface EvalCommandOptions {
  size?: number;
  k?: number[];
  samples?: number;
  temperature?: number;
  backend?: BackendName;
  json?: boolean;
  quiet?: boolean;
}

/** The checkpoint dir and the run dir whose config.json names the task. */
export function locateCheckpoint(path: string): { ckDir: string; runDir: string } {
  const p = resolve(path);
  const latest = join(p, 'checkpoints', 'latest');
  if (existsSync(latest))
    return { ckDir: join(p, 'checkpoints', readFileSync(latest, 'utf8').trim()), runDir: p };
  if (existsSync(join(p, 'model.safetensors'))) return { ckDir: p, runDir: dirname(dirname(p)) };
  throw new Error(`${path}: not a checkpoint dir (model.safetensors) nor a run dir with checkpoints/latest`);
}

export async function evalCommand(path: string, opts: EvalCommandOptions, io: Io): Promise<number> {
  const { ckDir, runDir } = locateCheckpoint(path);
  const cfgFile = join(runDir, 'config.json');
  if (!existsSync(cfgFile)) throw new Error(`${cfgFile}: missing (the run's config names the task)`);
  const run = JSON.parse(readFileSync(cfgFile, 'utf8')) as {
    task: PluginSpec;
    maxCompletionLength?: number;
    correctThreshold?: number;
    eval?: { size?: number };
  };
  await selectBackend(opts.backend ?? 'auto');
  const task = makeTask(run.task);
  const tok = model.charTokenizer(task.alphabet);
  const ck = (await model.loadCheckpoint(ckDir)) as unknown as {
    weights: Record<string, tf.Tensor>;
    config: TransformerConfig;
  };
  const policy = model.transformer(ck.config);
  for (const [name, v] of Object.entries(policy.namedWeights())) {
    const t = ck.weights[name];
    if (!t) throw new Error(`${ckDir}: checkpoint lacks weight "${name}"`);
    v.assign(t);
  }
  Object.values(ck.weights).forEach((t) => t.dispose());
  const demo = tok.encode(task.demonstration(task.evalSet(1)[0]!));
  const stops = [...new Set([tok.eosId, demo[demo.length - 1]!])];
  const encode = (p: string) => (tok.bosId === undefined ? tok.encode(p) : [tok.bosId, ...tok.encode(p)]);
  const problems = task.evalSet(opts.size ?? run.eval?.size ?? 200);
  const res = await evaluate(
    async (prompts, { n, greedy, seed }) => {
      const gens = await policy.generate({
        prompts: prompts.map(encode),
        numSamples: n,
        maxNewTokens: run.maxCompletionLength ?? 16,
        temperature: greedy ? 0 : (opts.temperature ?? 1),
        stopTokens: stops,
        seed,
      });
      const out: string[][] = prompts.map(() => []);
      for (const g of gens) out[g.promptIndex]!.push(tok.decode(g.tokens));
      return out;
    },
    problems,
    {
      reward: task.reward,
      threshold: run.correctThreshold ?? 1,
      ...(opts.k?.length ? { k: opts.k, n: Math.max(opts.samples ?? 0, ...opts.k) } : {}),
    },
  );
  policy.dispose();
  const result = {
    checkpoint: ckDir,
    count: res.count,
    accuracy: res.accuracy,
    pass_at_k: res.passAtK,
    by_difficulty: res.byDifficulty,
  };
  if (opts.json) io.stdout.write(JSON.stringify(result) + '\n');
  else {
    io.stdout.write(`${ckDir}\n  problems: ${res.count}\n  greedy accuracy: ${res.accuracy?.toFixed(4)}\n`);
    for (const [k, v] of Object.entries(res.passAtK ?? {})) io.stdout.write(`  pass@${k}: ${v.toFixed(4)}\n`);
    for (const [d, s] of Object.entries(res.byDifficulty))
      io.stdout.write(`  difficulty ${d}: accuracy ${s.accuracy?.toFixed(4)} (${s.count})\n`);
  }
  return EXIT.ok;
}
