/**
 * Logits of the tfjs Llama/Qwen2 decoder against bench/qwen2_reference.py, an independent float64
 * implementation of the published architecture (PyTorch, or the same algorithm in pure Python when
 * torch is not installed), on tiny random model directories: to 1e-4.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, expectCloseTo, repoRoot, useBackend } from '../../../testing/index.js';
import { loadPretrained, type LlamaConfig } from '../src/llama/index.js';
import { writeTinyLlamaDir } from './fixtures/tiny-llama.js';

const PY = '/usr/bin/python3';
const SCRIPT = join(repoRoot, 'bench', 'qwen2_reference.py');
const hasPython = existsSync(PY);
const hasTorch = hasPython && spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!hasTorch)
  console.warn(
    `llama-reference: torch is not importable by ${PY}; the PyTorch comparison is skipped (the pure-Python reference still runs)`,
  );

const TOKENS = [
  [0, 0, 0, 17, 4, 95, 60, 33, 8],
  [21, 3, 77, 101, 5, 5, 64, 12, 90],
];
const ATTENTION = [
  [0, 0, 0, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1, 1, 1],
];

const VARIANTS: [string, Partial<LlamaConfig>][] = [
  ['qwen2: qkv bias, GQA 4/2, untied', {}],
  [
    'llama: no bias, GQA 4/1, tied, theta 500000',
    { modelType: 'llama', qkvBias: false, numKvHeads: 1, tieEmbeddings: true, ropeTheta: 5e5 },
  ],
];

let root: string;
const dirOf = (label: string) => join(root, label.split(':')[0]!);
const refs: Partial<Record<'torch' | 'python', Record<string, number[][][]>>> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'grpo-ref-'));
  await writeFile(join(root, 'in.json'), JSON.stringify({ tokens: TOKENS, attention: ATTENTION }));
  for (const [label, config] of VARIANTS)
    await writeTinyLlamaDir(dirOf(label), { config, seed: 11, tokenizer: false });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs the reference once per implementation, for every variant directory. */
async function reference(dir: string, impl: 'torch' | 'python'): Promise<number[][][]> {
  if (!refs[impl]) {
    const out = join(root, `ref-${impl}.json`);
    const dirs = VARIANTS.map(([label]) => dirOf(label));
    execFileSync(PY, [SCRIPT, ...dirs, '--input', join(root, 'in.json'), '--out', out, '--impl', impl], {
      stdio: 'pipe',
    });
    const r = JSON.parse(await readFile(out, 'utf8')) as {
      impl: string;
      logits: Record<string, number[][][]>;
    };
    expect(r.impl).toBe(impl);
    refs[impl] = r.logits;
  }
  return refs[impl][dir]!;
}

describe.each(VARIANTS)('reference logits, %s', (label) => {
  async function compare(impl: 'torch' | 'python') {
    const ref = await reference(dirOf(label), impl);
    for (const backend of TEST_BACKENDS) {
      await useBackend(backend);
      const { model } = await loadPretrained(dirOf(label), { trainable: false });
      const z = model.logits(tf.tensor2d(TOKENS, undefined, 'int32'), tf.tensor2d(ATTENTION));
      const got = await z.array();
      z.dispose();
      model.dispose();
      TOKENS.forEach((row, b) =>
        row.forEach((_, s) => {
          if (ATTENTION[b]![s])
            expectCloseTo(got[b]![s]!, ref[b]![s]!, 1e-4, `${backend} ${impl} logits[${b}][${s}]`);
        }),
      );
    }
  }

  it.skipIf(!hasPython)('matches the pure-Python float64 reference to 1e-4 on every test backend', () =>
    compare('python'),
  );
  it.skipIf(!hasTorch)(
    `matches the PyTorch float64 reference to 1e-4${hasTorch ? '' : ` (skipped: torch not importable by ${PY})`}`,
    () => compare('torch'),
    600_000, // importing torch takes long on a busy machine
  );
});
