/**
 * Run directory and resumable state:
 *   <outDir>/config.json  <outDir>/metrics.jsonl  <outDir>/summary.json (written last: run finished)
 *   <outDir>/checkpoints/step-<n>/  (the model package's atomic saveCheckpoint: weights, model config,
 *                                    optimizer slots, state.json = step, RNG state, wall time, ...)
 *   <outDir>/checkpoints/latest     (pointer file "step-<n>", replaced by rename after the checkpoint)
 * A resumed run restores weights, Adam slots and step, the RNG state (the data cursor: prompts are
 * drawn from it) and truncates metrics.jsonl to the checkpoint's step, so the lines it then writes
 * are those an uninterrupted run would have written.
 */
import { mkdir, readFile, rename, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, saveCheckpoint } from '@grpo-lab/model';
import type { PolicyModel, RngState } from '@grpo-lab/core';
import type { AdamState } from './optimizer.js';

export interface TrainerState {
  readonly step: number;
  readonly rng: RngState;
  readonly adamStep: number;
  readonly wallS: number;
  readonly sftDone: boolean;
}

/** Stable names of a policy's trainable weights (`namedWeights()` when the model has it). */
export function namedVariables(policy: PolicyModel): { names: string[]; vars: tf.Variable[] } {
  const named = (policy as { namedWeights?: () => Record<string, tf.Variable> }).namedWeights?.();
  if (named) {
    const names = Object.keys(named);
    return { names, vars: names.map((n) => named[n]!) };
  }
  const vars = policy.trainableVariables();
  return { names: vars.map((_, i) => `w.${i}`), vars };
}

export const checkpointsDir = (outDir: string) => join(outDir, 'checkpoints');

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export async function saveRunState(
  outDir: string,
  policy: PolicyModel,
  adam: AdamState,
  reference: PolicyModel | null,
  state: TrainerState,
  keep = 2,
): Promise<string> {
  const { names, vars } = namedVariables(policy);
  const weights: Record<string, tf.Tensor> = {};
  names.forEach((n, i) => (weights[n] = vars[i]!));
  const optimizer: Record<string, tf.Tensor> = { ...adam.slots };
  if (reference) {
    const ref = namedVariables(reference);
    ref.names.forEach((n, i) => (optimizer[`reference.${n}`] = ref.vars[i]!));
  }
  const name = `step-${state.step}`;
  const dir = join(checkpointsDir(outDir), name);
  const config = (policy as { config?: object }).config ?? {};
  await saveCheckpoint(dir, { weights, config, optimizer, state });
  await writeAtomic(join(checkpointsDir(outDir), 'latest'), name + '\n');
  // keep the newest `keep` step directories
  const steps = (await readdir(checkpointsDir(outDir)))
    .map((d) => /^step-(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const s of steps.slice(Math.max(1, keep)))
    await rm(join(checkpointsDir(outDir), `step-${s}`), { recursive: true, force: true });
  return dir;
}

/** The latest checkpoint's directory, or null when the run has none. */
export async function latestCheckpoint(outDir: string): Promise<string | null> {
  try {
    const name = (await readFile(join(checkpointsDir(outDir), 'latest'), 'utf8')).trim();
    return name ? join(checkpointsDir(outDir), name) : null;
  } catch {
    return null;
  }
}

/** Loads weights (and the reference's, when saved) into the given models; returns Adam state + trainer state. */
export async function loadRunState(
  dir: string,
  policy: PolicyModel,
  reference: PolicyModel | null,
): Promise<{ adam: AdamState; state: TrainerState; dispose(): void }> {
  const ck = await loadCheckpoint(dir);
  const assign = (model: PolicyModel, src: Record<string, tf.Tensor>, prefix: string) => {
    const { names, vars } = namedVariables(model);
    names.forEach((n, i) => {
      const t = src[prefix + n];
      if (!t) throw new Error(`checkpoint ${dir}: missing weight "${prefix + n}"`);
      vars[i]!.assign(t);
    });
  };
  assign(policy, ck.weights, '');
  const opt = ck.optimizer ?? {};
  if (reference) assign(reference, opt, 'reference.');
  const state = ck.state as TrainerState;
  const slots: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(opt)) if (!k.startsWith('reference.')) slots[k] = v;
  return {
    adam: { step: state.adamStep, slots },
    state,
    dispose: () => {
      Object.values(ck.weights).forEach((t) => t.dispose());
      Object.values(opt).forEach((t) => t.dispose());
    },
  };
}

/** Drops metrics lines of steps after `step` (written after the checkpoint, before a crash). */
export async function truncateMetrics(path: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const lines = text.split('\n').filter((l) => {
    if (!l.trim()) return false;
    try {
      const o = JSON.parse(l) as { step?: number };
      return typeof o.step !== 'number' || o.step <= step;
    } catch {
      return false; // a half-written last line
    }
  });
  await writeAtomic(path, lines.map((l) => l + '\n').join(''));
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
