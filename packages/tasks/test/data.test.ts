/** JSONL loaders: good files, conventions, field mapping, streaming, malformed files with line numbers. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@grpo-lab/core';
import {
  boxedMatch,
  collect,
  DatasetError,
  datasetTask,
  gsm8kMatch,
  isEvalPrompt,
  readGsm8k,
  readJsonl,
  readMath,
  readProblems,
} from '@grpo-lab/tasks';

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function failure(p: Promise<unknown>): Promise<DatasetError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DatasetError);
  return e as DatasetError;
}

describe('readJsonl', () => {
  it('streams records, skipping blank lines, with field mapping', async () => {
    const rows = await collect(
      readJsonl(fx('mapped.jsonl'), { map: { question: 'input', answer: 'output' } }),
    );
    expect(rows).toEqual([
      { input: '2+2', output: 4, id: 'a', question: '2+2', answer: 4 },
      { input: '3+4', output: '7', id: 'b', question: '3+4', answer: '7' },
    ]);
    expect(await collect(readJsonl(fx('gsm8k.jsonl')))).toHaveLength(2);
  });

  it('names the file and line of malformed JSON, non-objects and missing fields', async () => {
    const a = await failure(collect(readJsonl(fx('malformed-json.jsonl'))));
    expect(a.line).toBe(3);
    expect(a.message).toMatch(/malformed-json\.jsonl:3: malformed JSON/);
    const b = await failure(collect(readJsonl(fx('not-object.jsonl'))));
    expect(b.message).toMatch(/not-object\.jsonl:2: expected a JSON object, got an array/);
    const c = await failure(collect(readJsonl(fx('missing-field.jsonl'), { map: { answer: 'output' } })));
    expect(c.message).toMatch(/missing-field\.jsonl:2: missing field "output" \(mapped to "answer"\)/);
    await expect(collect(readJsonl(fx('does-not-exist.jsonl')))).rejects.toThrow(/ENOENT/);
  });

  it('yields the good records before a malformed line and streams large files lazily', async () => {
    const seen: unknown[] = [];
    await failure(
      (async () => {
        for await (const r of readJsonl(fx('malformed-json.jsonl'))) seen.push(r);
      })(),
    );
    expect(seen).toEqual([{ question: 'ok', answer: '1' }]);

    const dir = mkdtempSync(join(tmpdir(), 'grpo-lab-tasks-'));
    try {
      const big = join(dir, 'big.jsonl');
      const line = (i: number) => JSON.stringify({ question: `q${i}`, answer: String(i) });
      writeFileSync(big, Array.from({ length: 20_000 }, (_, i) => line(i)).join('\n') + '\n{broken\n');
      // Breaking early never reaches the broken last line and closes the file.
      expect((await collect(readJsonl(big), 3)).map((r) => r.answer)).toEqual(['0', '1', '2']);
      const e = await failure(collect(readProblems(big)));
      expect(e.line).toBe(20_001);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readProblems', () => {
  it('GSM8K convention: the answer after ####, commas removed, solution kept', async () => {
    const ps = await collect(readGsm8k(fx('gsm8k.jsonl')));
    expect(ps.map((p) => p.answer)).toEqual(['72', '2000']);
    expect(ps[0]!.prompt).toMatch(/^Natalia sold clips/);
    expect(ps[0]!.meta!.solution).toMatch(/#### 72$/);
    expect(gsm8kMatch({ ...ps[1]!, completion: 'so #### 2000' })).toBe(1);
    const e = await failure(collect(readGsm8k(fx('gsm8k-no-marker.jsonl'))));
    expect(e.message).toMatch(/gsm8k-no-marker\.jsonl:2: GSM8K answer has no "#### <answer>"/);
  });

  it('MATH convention: the last \\boxed{}, level as difficulty, subject as type', async () => {
    const ps = await collect(readMath(fx('math.jsonl')));
    expect(ps.map((p) => p.answer)).toEqual(['\\frac{3}{4}', '3', '\\{1, 2\\}']);
    expect(ps.map((p) => p.meta!.difficulty)).toEqual([2, 1, undefined]);
    expect(ps[0]!.meta!.type).toBe('Prealgebra');
    expect(boxedMatch({ ...ps[0]!, completion: 'thus \\boxed{0.75}' })).toBe(1);
    const e = await failure(collect(readMath(fx('math-unbalanced.jsonl'))));
    expect(e.message).toMatch(/math-unbalanced\.jsonl:1: MATH solution has no complete \\boxed/);
  });

  it('plain convention with mapping; wrong field types name the field and line', async () => {
    const ps = await collect(
      readProblems(fx('mapped.jsonl'), { map: { question: 'input', answer: 'output' } }),
    );
    expect(ps).toEqual([
      { prompt: '2+2', answer: '4' },
      { prompt: '3+4', answer: '7' },
    ]);
    const e = await failure(collect(readProblems(fx('null-answer.jsonl'))));
    expect(e.message).toMatch(/null-answer\.jsonl:1: field "answer" must be a string or a number, got null/);
    await expect(collect(readProblems(fx('mapped.jsonl'), { format: 'csv' as never }))).rejects.toThrow(
      /readProblems.format/,
    );
  });
});

describe('datasetTask', () => {
  it('splits by prompt hash, samples only training problems, demonstrates with the solution', async () => {
    const problems = Array.from({ length: 200 }, (_, i) => ({ prompt: `${i}*2=`, answer: String(2 * i) }));
    const t = datasetTask(problems, { name: 'double', stop: '.' });
    const ev = t.evalSet(1000);
    expect(ev.length).toBeGreaterThan(5);
    expect(ev.every((p) => isEvalPrompt(p.prompt))).toBe(true);
    const rng = createRng(0);
    const drawn = Array.from({ length: 500 }, () => t.sample(rng).prompt);
    expect(drawn.some((p) => isEvalPrompt(p))).toBe(false);
    expect(t.demonstration(problems[3]!)).toBe('6.');
    expect(t.alphabet).toBe('*.0123456789=');
    const g = datasetTask(await collect(readGsm8k(fx('gsm8k.jsonl'))), { reward: gsm8kMatch });
    expect(g.demonstration((await collect(readGsm8k(fx('gsm8k.jsonl'))))[0]!)).toMatch(/#### 72$/);
    expect(() => datasetTask([])).toThrow(/problems/);
  });
});
