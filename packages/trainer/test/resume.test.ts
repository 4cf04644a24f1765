/** Determinism, abort + resume, kill -9 + resume, and a flat tensor count over 200 steps (wasm). */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@grpo-lab/core';
import { train } from '../src/index.js';
import { charTok, comparable, copyTask, readLines, tmpDir } from './helpers.js';
import { resumeConfig } from './resume-config.js';

const here = dirname(fileURLToPath(import.meta.url));
const task = copyTask();
const tokenizer = charTok(task.alphabet);
const opts = () => ({ task, tokenizer });
let reference: unknown[];

beforeAll(async () => {
  await selectBackend('wasm');
  const dir = tmpDir('uninterrupted');
  await train(resumeConfig(dir), opts());
  reference = comparable(readLines(dir));
}, 400_000);

describe('run state', () => {
  it('two runs with one seed give identical metrics', async () => {
    const dir = tmpDir('again');
    await train(resumeConfig(dir), opts());
    expect(comparable(readLines(dir))).toEqual(reference);
    expect(readLines(dir).filter((l) => l.type === 'train')).toHaveLength(6);
  }, 400_000);

  it('abort (signal) checkpoints; resume gives the same metrics as an uninterrupted run', async () => {
    const dir = tmpDir('abort');
    const ac = new AbortController();
    const s1 = await train(resumeConfig(dir, { checkpoint: { every: 0 } }), {
      ...opts(),
      signal: ac.signal,
      hooks: { onStep: (l) => void (l.step === 3 && ac.abort()) },
    });
    expect(s1).toMatchObject({ step: 3, aborted: true });
    expect(existsSync(join(dir, 'summary.json'))).toBe(false);
    const before = tf.memory().numTensors;
    const s2 = await train(resumeConfig(dir, { resume: true, checkpoint: { every: 0 } }), opts());
    expect(s2).toMatchObject({ step: 6, aborted: false, resumedFrom: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(comparable(readLines(dir))).toEqual(reference);
  }, 400_000);

  it('kill -9 during a run, then resume: same metrics as an uninterrupted run', async () => {
    const dir = tmpDir('kill9');
    const child = spawn(
      process.execPath,
      ['--conditions=@grpo-lab/source', '--import', 'tsx', join(here, 'fixtures', 'child.mts'), dir],
      {
        cwd: join(here, '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const killedAt = await new Promise<number>((resolve, reject) => {
      setTimeout(() => reject(new Error('child never reached a checkpoint')), 300_000).unref();
      child.stdout.on('data', (b: Buffer) => {
        const m = /step (\d+)/.exec(b.toString());
        // once a checkpoint is on disk (checkpoint.every = 1) and step 2 is done: mid-run, perhaps mid-checkpoint
        if (m && Number(m[1]) >= 2 && existsSync(join(dir, 'checkpoints', 'latest'))) {
          child.kill('SIGKILL');
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code, sig) =>
        sig === 'SIGKILL' ? undefined : reject(new Error(`child exited ${code} before being killed`)),
      );
    }).finally(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    expect(killedAt).toBeLessThan(6);
    expect(existsSync(join(dir, 'summary.json'))).toBe(false);
    const s = await train(resumeConfig(dir, { resume: true }), opts());
    expect(s.resumedFrom).toBeGreaterThanOrEqual(1); // killed after step 1's checkpoint at least (maybe mid-way through step 2's)
    expect(comparable(readLines(dir))).toEqual(reference);
  }, 420_000);

  it('tensor count stays flat over 200 steps', async () => {
    const counts: number[] = [];
    await train(
      {
        outDir: tmpDir('flat'),
        steps: 200,
        promptsPerStep: 1,
        numGenerations: 2,
        maxCompletionLength: 2,
        model: { dModel: 8, nLayers: 1, nHeads: 1, maxContext: 8 },
        reweighter: 'nthr',
      },
      { ...opts(), hooks: { onStep: (l) => void counts.push(l.num_tensors as number) } },
    );
    expect(counts).toHaveLength(200);
    expect(new Set(counts.slice(1)).size, `num_tensors went ${counts[1]} → ${counts[199]}`).toBe(1);
  }, 900_000); // ~10 s unloaded; minutes on a saturated 2-core machine
});
