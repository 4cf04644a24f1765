/** Tiny stand-ins for tests: a copy task, a character tokenizer, a tiny transformer config. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Problem, Rng, Task, Tokenizer } from '@grpo-lab/core';

/** Prompt "ab=" → answer "ab" reversed? No: answer = the first digit, completion "<d>.". Easy after SFT. */
export function copyTask(digits = 3): Task {
  const alphabet = '0123456789=.';
  const make = (a: number, b: number): Problem => ({
    prompt: `${a}${b}=`,
    answer: String(a),
    meta: { difficulty: 1 },
  });
  return {
    name: 'copy',
    alphabet,
    sample: (rng: Rng) => make(rng.int(digits), rng.int(digits)),
    evalSet: (n: number) =>
      Array.from({ length: n }, (_, i) => make(i % digits, Math.floor(i / digits) % digits)),
    reward: ({ completion, answer }) => (completion.replace(/\.$/, '') === answer ? 1 : 0),
    demonstration: (p) => `${p.answer}.`,
  };
}

export function charTok(alphabet: string): Tokenizer {
  return {
    vocabSize: alphabet.length + 3,
    padId: 0,
    bosId: 1,
    eosId: 2,
    encode: (s) => [...s].map((c) => alphabet.indexOf(c) + 3),
    decode: (ids) =>
      ids
        .filter((i) => i >= 3)
        .map((i) => alphabet[i - 3])
        .join(''),
  };
}

export const tinyModel = { dModel: 32, nLayers: 1, nHeads: 2, maxContext: 16 };

export function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `grpo-trainer-${name}-`));
}

export function readLines(dir: string): any[] {
  return fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** Drops fields that legitimately differ between runs (wall time and what depends on it, process tensor count). */
export function comparable(lines: any[]): any[] {
  return lines.map(({ wall_s: _w, tokens_per_s: _t, num_tensors: _n, ...rest }) => rest);
}
